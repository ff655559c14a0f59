import { GetItemCommand } from '@aws-sdk/client-dynamodb'
import { describe, expect, it } from 'vitest'
import { applyLabelEvent } from '../../functions/apply-labels/apply-event.ts'
import type { LabelApplierDeps } from '../../functions/apply-labels/process-batch.ts'
import { entityKinds } from '../../functions/core/features/definition.ts'
import { MemoryScorer } from '../../functions/core/memory-scorer.ts'
import { parseTransactionJson } from '../../functions/core/transaction.ts'
import { ruleStatsItems } from '../../lib/table-schema.ts'
import { useEmulators } from '../support/emulators.ts'
import { applierFixture, label, labelFedRules, lines } from '../support/label-applier.ts'
import { scanTable } from '../support/scan.ts'
import { compiled, firedIds } from '../support/scenario.ts'
import { fixedNow } from '../support/scorer.ts'
import { testKey } from '../support/transactions.ts'

const aws = useEmulators()

/** The applier's ports with a crash after `writes` writes (label items and entities alike). */
function crashingAfter(deps: LabelApplierDeps, writes: number): LabelApplierDeps {
  let left = writes
  const gate = () => {
    if (left-- <= 0) throw new Error('crashed')
  }
  return {
    ...deps,
    labels: { read: (ids) => deps.labels.read(ids), write: async (...args) => (gate(), deps.labels.write(...args)) },
    entities: { read: (keys) => deps.entities.read(keys), write: async (...args) => (gate(), deps.entities.write(...args)) },
  }
}

describe('label applier on Kinesis and DynamoDB (kinesalite, dynalite, real SDK clients)', () => {
  it('applies verdicts, chargebacks, flips and early labels exactly once, through a crash and a redelivery, as the in-memory replay does', async () => {
    const { fixture, deps, poller, send, score, labelsTable } = await applierFixture(aws)
    await score(lines)

    const labels = [
      label('tx-0', true, '2026-11-24T10:00:00Z', 'analyst'),
      label('tx-0', true, '2026-11-24T10:05:00Z'), // the chargeback after the verdict: a duplicate
      label('tx-2', true, '2026-11-24T10:06:00Z'),
      label('tx-2', false, '2026-11-24T10:07:00Z', 'issuer'), // the dispute lost: a flip
      label('tx-3', true, '2026-11-24T10:08:00Z'),
      label('tx-3', false, '2026-11-24T09:00:00Z', 'customer'), // older and disagreeing: superseded
      label('tx-late', true, '2026-11-24T10:09:00Z', 'issuer'), // not scored yet: waits
    ]
    await send([...labels.slice(0, 3).map((l) => JSON.stringify(l)), '{"transactionId": "tx-9", "fraud": "yes"}', ...labels.slice(3).map((l) => JSON.stringify(l))])
    const [event] = await poller.drain(100)

    await applyLabelEvent(event!, crashingAfter(deps, 3)) // dies between label items and entities
    expect((await applyLabelEvent(event!, deps)).response).toEqual({ batchItemFailures: [] })
    const again = await applyLabelEvent(event!, deps) // delivered once more
    expect(again.outcome).toMatchObject({ entityWrites: 0, outcomes: { accepted: 4, duplicate: 1, superseded: 1, pending: 1 } })

    // The same history and labels through the pure core, in memory.
    const truth = new MemoryScorer(compiled(labelFedRules as never), { labels: true })
    for (const line of lines) {
      const parsed = parseTransactionJson(line, testKey)
      if (!parsed.ok) throw new Error(parsed.error.code)
      truth.score(parsed.value, fixedNow.toISOString())
    }
    for (const l of labels) truth.label(l)
    const stored = await fixture.entityStates()
    for (const kind of entityKinds) for (const [id, state] of truth.states[kind]) expect(stored.get(`${kind}#${id}`)).toEqual(state)
    expect(stored.get('merchant#m-hot')).toMatchObject({ w: { '30d:cf': expect.arrayContaining([2]) } })

    const items = new Map((await scanTable(aws.dynamo, labelsTable)).map((item) => [item.transactionId!.S!, item]))
    expect(JSON.parse(items.get('tx-0')!.standing!.S!)).toMatchObject({ fraud: true, source: 'chargeback' })
    expect(JSON.parse(items.get('tx-2')!.standing!.S!)).toMatchObject({ fraud: false, source: 'issuer' })
    expect(items.get('tx-late')).toMatchObject({ pending: { S: 'pending' }, pendingSince: { S: '2026-11-24T10:09:00.000Z' } })
    expect(await fixture.quarantine()).toEqual([expect.objectContaining({ code: { S: 'invalid_label' }, issues: { S: expect.stringContaining('fraud') } })])
  })

  it('a label changes the decisions scored after it is applied, never those before; the scorer and the applier keep both their writes', async () => {
    const { deps, poller, send, score, fixture } = await applierFixture(aws)
    await score(lines.slice(0, 3))
    await send([JSON.stringify(label('tx-0', true, '2026-11-24T10:00:00Z'))])
    for (const event of await poller.drain(100)) await applyLabelEvent(event, deps)
    await score(lines.slice(3))
    const decisions = await fixture.decisions()
    expect(['tx-1', 'tx-2'].map((id) => firedIds(decisions.get(id)))).toEqual([[], []])
    // tx-1 is on tx-0's card: flagged before, and at the merchant; the rest only at the merchant.
    expect(['tx-3', 'tx-4', 'tx-5'].map((id) => firedIds(decisions.get(id)))).toEqual([['merchant-fraud'], ['merchant-fraud'], ['merchant-fraud']])
    const merchant = (await fixture.entityStates()).get('merchant#m-hot') as { w: Record<string, number[]> }
    const buckets = merchant.w['30d:cf']!
    expect(buckets.filter((_, i) => i % 2 === 0).reduce((a, b) => a + b, 0)).toBe(6) // every transaction counted
    expect(buckets.filter((_, i) => i % 2 === 1).reduce((a, b) => a + b, 0)).toBe(1) // and the one fraud

    // The labels of the rule's hits, by source, in its stats: a chargeback, then reversed by the issuer.
    await send([label('tx-3', true, '2026-11-24T11:00:00Z'), label('tx-4', true, '2026-11-24T11:00:00Z', 'analyst'), label('tx-3', false, '2026-11-24T12:00:00Z', 'issuer')].map((l) => JSON.stringify(l)))
    for (const event of await poller.drain(100)) await applyLabelEvent(event, deps)
    const stats = await aws.dynamo.send(new GetItemCommand({ TableName: fixture.names.rules, Key: { pk: { S: ruleStatsItems.partition(2) }, sk: { S: 'merchant-fraud' } } }))
    const n = (name: string) => Number(stats.Item?.[name]?.N ?? 0)
    expect([n('fraud'), n('legitimate'), n('fraud_chargeback'), n('fraud_analyst'), n('legitimate_issuer'), n('hits')]).toEqual([1, 1, 0, 1, 1, 3])
  })
})
