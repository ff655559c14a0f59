import { describe, expect, it } from 'vitest'
import { labelSchema } from '../../functions/core/labels/label.ts'
import { startChargebackFeed } from '../../local/chargebacks.ts'
import { createStream } from '../../local/emulators.ts'
import { generateTraffic } from '../../local/traffic/index.ts'
import { useEmulators, uniqueName } from '../support/emulators.ts'
import { KinesisPoller } from '../support/kinesis-poller.ts'

const aws = useEmulators()

describe("npm start's chargeback feed", () => {
  it('reports every fraud of the traffic, and nothing else, as a chargeback after its delay, never dated before its transaction', async () => {
    const streamName = uniqueName('labels')
    await createStream(aws.kinesis, streamName, 1)
    const events = [...generateTraffic({ seed: 7, start: new Date('2026-11-20T08:00:00Z'), count: 400, fraudShare: 0.2 })]
    const frauds = events.flatMap((e) => (e.kind === 'valid' && e.fraud ? [e.transaction.transactionId as string] : []))
    expect(frauds.length).toBeGreaterThan(10)
    const eventClock = Date.parse('2026-11-21T00:00:00Z')
    let sent = 0
    const feed = startChargebackFeed({ client: aws.kinesis, streamName, delayMs: 300, eventClock: () => eventClock, onSent: (n) => (sent += n), onError: (e) => { throw e }, tickMs: 20 })
    const put = Date.now()
    feed.put(events)
    const poller = new KinesisPoller({ client: aws.kinesis, streamName })
    expect((await poller.drain(1000)).length).toBe(0) // not before the delay
    while (sent < frauds.length && Date.now() - put < 10_000) await new Promise((resolve) => setTimeout(resolve, 20))
    await feed.stop()
    expect(Date.now() - put).toBeGreaterThanOrEqual(300)
    const labels = (await poller.drain(1000)).flatMap((event) => event.Records.map((r) => labelSchema.parse(JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')))))
    expect(labels.map((l) => l.transactionId).sort()).toEqual([...frauds].sort())
    expect(new Set(labels.map((l) => `${l.fraud} ${l.source} ${l.reportedAt}`))).toEqual(new Set([`true chargeback ${new Date(eventClock).toISOString()}`]))
    const occurredAt = new Map(events.flatMap((e) => (e.kind === 'valid' ? [[e.transaction.transactionId as string, Date.parse(e.transaction.occurredAt as string)] as const] : [])))
    for (const label of labels) expect(Date.parse(label.reportedAt)).toBeGreaterThanOrEqual(occurredAt.get(label.transactionId)!)
  })
})
