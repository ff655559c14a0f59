/**
 * Issue 11 item 6: an event time far from the record's arrival must not blind an entity. Through
 * the real scorer path (kinesalite, dynalite, real SDK clients, the default rules).
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DynamoEntityStore } from '../../functions/aws/entity-store.ts'
import type { EntityKey } from '../../functions/core/scoring.ts'
import { createTables } from '../../local/emulators.ts'
import { useEmulators, uniqueName } from '../support/emulators.ts'
import { compiled, defaultRuleSet, history } from '../support/scenario.ts'
import { expectGroundTruth, fixedNow, scorerFixture, trafficLines } from '../support/scorer.ts'

const aws = useEmulators()

const minutes = (n: number) => n * 60_000
const day = 86_400_000
/** How far back the default rules read (a 28-day window lagged 7): older events are refused. */
const largestWindow = compiled(defaultRuleSet()).plan.largestWindowMs

/** A card-testing burst on one card: small amounts at four merchants in three minutes, just before the fixture's clock. */
const burst = (prefix: string) =>
  history(new Date(fixedNow.getTime() - minutes(10)).toISOString(), [
    { at: 0, amount: 100, merchant: { id: 'm-1' } },
    { at: 1, amount: 100, merchant: { id: 'm-2' } },
    { at: 2, amount: 100, merchant: { id: 'm-3' } },
    { at: 3, amount: 100, merchant: { id: 'm-4' } },
  ]).map((txn, i) => JSON.stringify({ ...txn, transactionId: `${prefix}-${i}` }))

/** A line like `line` (same card, account, device) under a new id, dated `occurredAt`. */
const redated = (line: string, id: string, occurredAt: string) => JSON.stringify({ ...JSON.parse(line), transactionId: id, occurredAt })

describe('event time against arrival time (issue 11 item 6)', () => {
  it('a card-testing burst still blocks after a transaction dated 9999-12-31 on the same card', async () => {
    const fixture = await scorerFixture(aws)
    await fixture.put([redated(burst('b')[0]!, 'poison', '9999-12-31T23:59:59Z'), ...burst('burst')])
    for (const event of await fixture.poller.drain(100)) await fixture.invoke(event)

    const decisions = await fixture.decisions()
    expect(decisions.get('burst-3')?.outcome).toBe('block')
    expect(decisions.has('poison')).toBe(false)
    const [quarantined] = await fixture.quarantine()
    expect(quarantined?.code?.S).toBe('event_time_skew')
    expect(JSON.parse(quarantined!.issues!.S!)).toEqual([{ path: 'occurredAt', message: "must not be after 2026-11-24T12:01:00.000Z: the record's arrival plus the allowed skew" }])
  })

  it('refuses the end of a burst back-dated beyond the largest window (scored against empty windows, it was approved); the same line on time blocks', async () => {
    const fixture = await scorerFixture(aws)
    const lines = burst('old')
    await fixture.put([...lines.slice(0, 3), redated(lines[3]!, 'old-3', new Date(fixedNow.getTime() - largestWindow - day).toISOString()), redated(lines[3]!, 'now-3', JSON.parse(lines[3]!).occurredAt)])
    for (const event of await fixture.poller.drain(100)) await fixture.invoke(event)

    const decisions = await fixture.decisions()
    expect(decisions.has('old-3')).toBe(false)
    expect(decisions.get('now-3')?.outcome).toBe('block')
    expect((await fixture.quarantine()).map((q) => q.code?.S)).toEqual(['event_time_skew'])
  })

  it('property: absurd event times anywhere in the stream leave decisions and entity state as if they had never been sent', async () => {
    const absurd = fc.oneof(
      fc.date({ min: new Date(fixedNow.getTime() + minutes(1) + 1), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }),
      fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date(fixedNow.getTime() - largestWindow - 1), noInvalidDate: true }),
    )
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000 }), fc.array(fc.tuple(fc.nat(), absurd), { minLength: 1, maxLength: 6 }), async (seed, injected) => {
        const fixture = await scorerFixture(aws)
        const lines = trafficLines(seed, 20)
        const sent = [...lines]
        // Each a copy of a real line (its card, account, device, IP, merchant) at an absurd time, anywhere.
        injected.forEach(([at, date], i) => sent.splice(at % (sent.length + 1), 0, redated(lines[at % lines.length]!, `absurd-${i}`, date.toISOString())))
        await fixture.put(sent)
        for (const event of await fixture.poller.drain(7)) await fixture.invoke(event)

        await expectGroundTruth(fixture, lines)
        expect((await fixture.quarantine()).map((q) => q.code?.S)).toEqual(injected.map(() => 'event_time_skew'))
      }),
      { numRuns: 10 },
    )
  })
})

describe('entity items and the clock (issue 11 item 6)', () => {
  async function entityTable() {
    const names = { decisions: uniqueName('decisions'), entityState: uniqueName('entities'), rules: uniqueName('rules'), quarantine: uniqueName('quarantine') }
    await createTables(aws.dynamo, names)
    return names.entityState
  }
  const now = Date.parse('2026-11-24T12:00:00Z')
  const key = 'card#tok' as EntityKey

  it('expire a retention after their write, not after their newest event time', async () => {
    const table = await entityTable()
    const store = new DynamoEntityStore(aws.dynamo, table, { retentionDays: 35, eventMaxAheadMs: 60_000, now: () => now })
    await store.write(key, { state: { t: Date.parse('9999-12-31T23:59:59Z') }, version: 1, highWater: {} }, undefined)
    const { Item } = await aws.dynamo.send(new GetItemCommand({ TableName: table, Key: { entityKey: { S: key } } }))
    expect(Number(Item?.expiresAt?.N)).toBe((now + 35 * day) / 1000)
  })

  it('a state stored with a newest time from the future (before the bound existed) starts afresh, keeping its version and marks', async () => {
    const table = await entityTable()
    const poisoned = { t: Date.parse('9999-12-31T23:59:59Z'), w: { '10m:c': [4] } }
    await aws.dynamo.send(
      new PutItemCommand({
        TableName: table,
        Item: { entityKey: { S: key }, state: { S: JSON.stringify(poisoned) }, version: { N: '7' }, highWater: { M: { 'shardId-0': { S: '49:0' } } } },
      }),
    )
    const store = new DynamoEntityStore(aws.dynamo, table, { retentionDays: 35, eventMaxAheadMs: 60_000, now: () => now })
    expect((await store.read([key])).get(key)).toEqual({ state: { t: now }, version: 7, highWater: { 'shardId-0': '49:0' } })
  })
})
