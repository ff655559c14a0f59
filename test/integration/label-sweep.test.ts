import { GetItemCommand } from '@aws-sdk/client-dynamodb'
import { describe, expect, it } from 'vitest'
import { applyLabelEvent } from '../../functions/apply-labels/apply-event.ts'
import { labelStreamEnvVar } from '../../functions/aws/service-names.ts'
import { labelSweepDependencies } from '../../functions/label-sweep/dependencies.ts'
import { sweepLabels } from '../../functions/label-sweep/sweep.ts'
import { tableEnvironment } from '../../local/emulators.ts'
import { useEmulators } from '../support/emulators.ts'
import { applierFixture, label, lines } from '../support/label-applier.ts'
import { fixedNow } from '../support/scorer.ts'

const aws = useEmulators()
const day = 86_400_000

describe('the sweep of labels that came before their transaction (dynalite, kinesalite, real SDK clients)', () => {
  it('resends a waiting label once its transaction is scored, so it counts after the decision; sets aside one whose transaction never comes', async () => {
    const f = await applierFixture(aws)
    let now = fixedNow.getTime()
    const sweep = labelSweepDependencies(
      { ...tableEnvironment({ labels: f.labelsTable, decisions: f.fixture.names.decisions }), [labelStreamEnvVar]: f.labelStream, VIGIL_LABEL_MAX_WAIT_DAYS: '7' },
      { dynamo: aws.dynamo, kinesis: aws.kinesis, now: () => now },
    )
    const apply = async () => {
      for (const event of await f.poller.drain(100)) expect((await applyLabelEvent(event, f.deps)).response.batchItemFailures).toEqual([])
    }
    const item = async (id: string) => (await aws.dynamo.send(new GetItemCommand({ TableName: f.labelsTable, Key: { transactionId: { S: id } }, ConsistentRead: true }))).Item

    await f.score(lines.slice(0, 2))
    const early = label('tx-3', true, '2026-11-24T11:00:00Z', 'issuer')
    const never = label('tx-never', true, new Date(now - 8 * day).toISOString(), 'issuer')
    await f.send([JSON.stringify(early), JSON.stringify(never)])
    await apply()
    expect((await item('tx-3'))?.pending?.S).toBe('pending')

    // Not scored yet, and inside the wait: tx-3's label waits; tx-never's is past it.
    expect(await sweepLabels(sweep)).toMatchObject({ resent: 0, unmatched: [{ transactionId: 'tx-never', labels: 1 }], stillWaiting: 1 })
    expect(JSON.parse((await item('tx-never'))!.unmatched!.S!)).toEqual([never])
    expect((await item('tx-never'))?.pending).toBeUndefined()

    await f.score(lines.slice(2))
    expect(await sweepLabels(sweep)).toMatchObject({ resent: 1, unmatched: [], stillWaiting: 0 })
    await apply()
    const applied = await item('tx-3')
    expect(JSON.parse(applied!.standing!.S!)).toEqual(early)
    expect(JSON.parse(applied!.applied!.S!).map((a: { outcome: string }) => a.outcome)).toEqual(['pending', 'accepted'])
    expect(applied?.pending).toBeUndefined()
    const merchant = (await f.fixture.entityStates()).get('merchant#m-hot') as { w: Record<string, number[]> }
    expect(merchant.w['30d:cf']!.filter((_, i) => i % 2 === 1).reduce((a, b) => a + b, 0)).toBe(1)

    // Nothing left: a later sweep resends nothing, and sending the label again changes nothing.
    now += day
    expect(await sweepLabels(sweep)).toMatchObject({ resent: 0, unmatched: [], stillWaiting: 0 })
  })
})
