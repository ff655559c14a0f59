import { setTimeout as sleep } from 'node:timers/promises'
import { PutRecordCommand } from '@aws-sdk/client-kinesis'
import agg from 'aws-kinesis-agg'
import { describe, expect, it } from 'vitest'
import { QueryCommand } from '@aws-sdk/client-dynamodb'
import { listValue, publishRuleSet } from '../../functions/aws/rule-set-store.ts'
import { parseTransactionJson } from '../../functions/core/transaction.ts'
import { ruleStatsItems } from '../../lib/table-schema.ts'
import { testKey } from '../support/transactions.ts'
import { defaultRuleSet } from '../support/scenario.ts'
import { useEmulators } from '../support/emulators.ts'
import { checkInterleavings, crashingAfter, expectGroundTruth, groundTruth, resumeFrom, scorerFixture, throttlingOnce, trafficLines } from '../support/scorer.ts'

const aws = useEmulators()

describe('scorer on Kinesis and DynamoDB (kinesalite, dynalite, real SDK clients)', () => {
  it('turns a batch with duplicates, a crash and a poison pill into exactly the ground truth', async () => {
    const fixture = await scorerFixture(aws)
    const lines = trafficLines(1, 80, { malformedShare: 0.05, duplicateShare: 0.1 })
    await fixture.put(lines)
    const events = await fixture.poller.drain(25)
    expect(events.length).toBeGreaterThan(2)

    await fixture.invoke(events[0]!, crashingAfter(fixture.deps, 9)) // the process dies mid-commit
    for (const event of events) expect((await fixture.invoke(event)).response).toEqual({ batchItemFailures: [] })
    await fixture.invoke(events[0]!) // and the first batch is delivered once more

    await expectGroundTruth(fixture, lines)
    const malformed = lines.filter((l) => !groundTruthAccepts(l)).length
    expect((await fixture.quarantine()).length).toBe(malformed)
  })

  it('decides a transaction once when it appears twice in one batch, and counts it once', async () => {
    const fixture = await scorerFixture(aws)
    const lines = trafficLines(2, 12)
    const withDuplicate = [...lines.slice(0, 6), lines[3]!, ...lines.slice(6)]
    await fixture.put(withDuplicate)
    const [event] = await fixture.poller.drain(100)
    const { outcome } = await fixture.invoke(event!)
    expect(outcome).toMatchObject({ duplicates: 1, firstUnfinished: undefined })
    expect(outcome.decided).toHaveLength(12)
    await expectGroundTruth(fixture, lines)
  })

  it('skips a producer retry that arrives in a later batch under a new sequence number', async () => {
    const fixture = await scorerFixture(aws)
    const lines = trafficLines(3, 10)
    await fixture.put(lines)
    await fixture.put([lines[0]!, lines[4]!])
    const events = await fixture.poller.drain(10)
    expect(events).toHaveLength(2)
    await fixture.invoke(events[0]!)
    const { outcome } = await fixture.invoke(events[1]!)
    expect(outcome).toMatchObject({ duplicates: 2, decided: [] })
    await expectGroundTruth(fixture, lines)
  })

  it.each([1, 4, 11, 16])('after a crash following %i writes, the redelivered batch completes to the ground truth', async (writes) => {
    const fixture = await scorerFixture(aws)
    const lines = trafficLines(4, 14)
    await fixture.put(lines)
    const [event] = await fixture.poller.drain(100)
    await fixture.invoke(event!, crashingAfter(fixture.deps, writes))
    const { outcome } = await fixture.invoke(event!)
    expect(outcome.firstUnfinished).toBeUndefined()
    await expectGroundTruth(fixture, lines)
  })

  it('on throttling, fails only from the first unfinished record, and the retry from there recounts nothing', async () => {
    const fixture = await scorerFixture(aws)
    const lines = trafficLines(5, 20)
    await fixture.put(lines)
    const [event] = await fixture.poller.drain(100)
    const first = await fixture.invoke(event!, throttlingOnce(fixture.deps, 8))
    expect(first.response.batchItemFailures).toHaveLength(1)
    const failedAt = first.response.batchItemFailures[0]!.itemIdentifier
    expect(event!.Records.findIndex((r) => r.kinesis.sequenceNumber === failedAt)).toBeGreaterThan(0)
    const retry = await fixture.invoke(resumeFrom(event!, failedAt))
    expect(retry.response.batchItemFailures).toEqual([])
    await expectGroundTruth(fixture, lines)
  })

  it('two consumers processing the same batch at once produce one decision and one count per transaction', async () => {
    const fixture = await scorerFixture(aws)
    const lines = trafficLines(6, 30)
    await fixture.put(lines)
    const [event] = await fixture.poller.drain(100)
    const results = await Promise.all([fixture.invoke(event!), fixture.invoke(event!)])
    const retried = results.filter((r) => r.response.batchItemFailures.length > 0)
    for (const r of retried) await fixture.invoke(resumeFrom(event!, r.response.batchItemFailures[0]!.itemIdentifier))
    await expectGroundTruth(fixture, lines)
  })

  it('two consumers with overlapping batches at once still count every transaction exactly once', async () => {
    const fixture = await scorerFixture(aws)
    const lines = trafficLines(7, 40)
    await fixture.put(lines)
    const [event] = await fixture.poller.drain(100)
    const a = { Records: event!.Records.slice(0, 25) }
    const b = { Records: event!.Records.slice(15) }
    const results = await Promise.all([fixture.invoke(a), fixture.invoke(b)])
    for (const [i, r] of results.entries()) {
      const failed = r.response.batchItemFailures[0]?.itemIdentifier
      if (failed) await fixture.invoke(resumeFrom(i === 0 ? a : b, failed))
    }
    const truth = groundTruth(lines)
    expect(await fixture.entityStates()).toEqual(truth.states)
    expect([...(await fixture.decisions()).keys()].sort()).toEqual([...truth.decisions.keys()].sort())
  })

  it('quarantines a poison pill with its reason and position, decides the rest, and reports no failure', async () => {
    const fixture = await scorerFixture(aws)
    const lines = trafficLines(8, 6)
    const poison = JSON.stringify({ ...JSON.parse(lines[2]!), amount: 'lots', card: { pan: '4111111111111111' }, note: 'x'.repeat(5000) })
    await fixture.put([...lines.slice(0, 3), poison, '\u00ff\u0000 not json', ...lines.slice(3)])
    const [event] = await fixture.poller.drain(100)
    const { response, outcome } = await fixture.invoke(event!)
    expect(response).toEqual({ batchItemFailures: [] })
    expect(outcome.decided).toHaveLength(6)
    const quarantined = await fixture.quarantine()
    expect(quarantined.map((q) => q.code!.S).sort()).toEqual(['invalid_json', 'invalid_transaction'])
    const bad = quarantined.find((q) => q.code!.S === 'invalid_transaction')!
    expect(JSON.parse(bad.issues!.S!)).toEqual([{ path: 'amount', message: expect.any(String) }])
    expect(bad.sequenceNumber!.S).toBe(event!.Records[3]!.kinesis.sequenceNumber)
    expect(bad.shardId!.S).toMatch(/^shardId-/)
    expect(JSON.stringify(quarantined)).not.toContain('4111111111111111')
    await expectGroundTruth(fixture, lines)
  })

  it('de-aggregates KPL records and decides each user record once, even when the aggregate is redelivered', async () => {
    const fixture = await scorerFixture(aws)
    const lines = trafficLines(9, 8)
    const aggregated = await new Promise<{ partitionKey: string; data: Buffer }>((resolve, reject) => {
      const out: Array<{ partitionKey: string; data: Buffer }> = []
      agg.aggregate(
        lines.map((line) => ({ partitionKey: 'card', data: Buffer.from(line) })),
        (encoded, done) => {
          out.push(encoded)
          done()
        },
        () => (out.length === 1 ? resolve(out[0]!) : reject(new Error(`${out.length} aggregates`))),
        reject,
      )
    })
    await aws.kinesis.send(new PutRecordCommand({ StreamName: (await fixture.poller.streamArn()).split('/')[1], PartitionKey: aggregated.partitionKey, Data: aggregated.data }))
    const [event] = await fixture.poller.drain(100)
    expect(event!.Records).toHaveLength(1)
    const first = await fixture.invoke(event!, crashingAfter(fixture.deps, 5))
    expect(first.outcome.errors.length).toBeGreaterThan(0)
    const { outcome, response } = await fixture.invoke(event!)
    expect(response).toEqual({ batchItemFailures: [] })
    expect(outcome.decided.length + outcome.redelivered).toBe(8)
    await expectGroundTruth(fixture, lines)
  })

  it('applies a newly activated rule-set version within the refresh interval, without a restart', async () => {
    const fixture = await scorerFixture(aws, { rulesRefreshSeconds: 0.2 })
    const lines = trafficLines(10, 6)
    await fixture.put(lines.slice(0, 3))
    const [first] = await fixture.poller.drain(100)
    expect((await fixture.invoke(first!)).outcome.decided.map((d) => d.ruleSetVersion)).toEqual([1, 1, 1])

    const v1 = defaultRuleSet()
    await publishRuleSet(aws.dynamo, fixture.names.rules, { ...v1, version: 2, rules: [...v1.rules, { id: 'review-everything', description: 'd', when: 'true', action: 'review', mode: 'active' }] }, new Date())
    await sleep(300)
    await fixture.put(lines.slice(3))
    const [second] = await fixture.poller.drain(100)
    const decided = (await fixture.invoke(second!)).outcome.decided
    expect(decided.map((d) => [d.ruleSetVersion, d.outcome])).toEqual([[2, 'review'], [2, 'review'], [2, 'review']])
  })

  it('blocks a card put on the block list at run time (a list item) within the refresh interval', async () => {
    const fixture = await scorerFixture(aws, { rulesRefreshSeconds: 0.2 })
    const lines = trafficLines(12, 4)
    await fixture.put(lines.slice(0, 2))
    const [first] = await fixture.poller.drain(100)
    const decided = (await fixture.invoke(first!)).outcome.decided
    expect(decided.map((d) => d.outcome)).toEqual(['approve', 'approve'])

    const token = tokenOf(lines[2]!)
    await listValue(aws.dynamo, fixture.names.rules, 'blocked_cards', token)
    await sleep(300)
    await fixture.put(lines.slice(2, 3))
    const [second] = await fixture.poller.drain(100)
    const [decision] = (await fixture.invoke(second!)).outcome.decided
    expect(decision?.outcome).toBe('block')
    expect(decision?.rules.find((r) => r.id === 'blocked-card')?.values).toEqual({ 'txn.card.token': token })
  })

  it('counts how often each rule fired, per rule-set version, once per decision', async () => {
    const fixture = await scorerFixture(aws)
    const lines = trafficLines(13, 60, { duplicateShare: 0.1 })
    await fixture.put(lines)
    const events = await fixture.poller.drain(20)
    for (const event of events) await fixture.invoke(event)
    await fixture.invoke(events[0]!) // a redelivery counts nothing again
    const expected = new Map<string, number>()
    for (const decision of groundTruth(lines).decisions.values()) {
      for (const rule of decision.rules) if (rule.status === 'fired') expected.set(rule.id, (expected.get(rule.id) ?? 0) + 1)
    }
    expect(expected.size).toBeGreaterThan(0)
    const { Items } = await aws.dynamo.send(new QueryCommand({ TableName: fixture.names.rules, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: ruleStatsItems.partition(1) } } }))
    expect(new Map((Items ?? []).map((item) => [item.sk!.S!, Number(item.hits!.N)]))).toEqual(expected)
  })

  it('property: any interleaving of crashes, throttling, redeliveries, replays and concurrent consumers ends at the ground truth', async () => {
    await checkInterleavings(aws, { numRuns: 15, records: 24, maxSteps: 12 })
  })
})

function groundTruthAccepts(line: string): boolean {
  return groundTruth([line]).decisions.size === 1
}

function tokenOf(line: string): string {
  const parsed = parseTransactionJson(line, testKey)
  if (!parsed.ok) throw new Error('expected a valid line')
  return parsed.value.card.token
}
