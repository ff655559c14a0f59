/**
 * The demo's chargeback feed: each fraud of the generated traffic comes back as a chargeback label
 * on the labels stream a little later, as an issuer's would weeks later, so `npm start` shows the
 * loop close within a minute: a merchant or card with confirmed fraud, and the label-fed rules
 * firing on what follows. `reportedAt` is the demo's event clock when the label is sent, so it is
 * never before its transaction.
 */
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import type { Label } from '../functions/core/labels/label.ts'
import type { TrafficEvent } from './traffic/index.ts'

export interface ChargebackFeedOptions {
  readonly client: KinesisClient
  readonly streamName: string
  /** Wall-clock delay between a fraud's put and its chargeback. */
  readonly delayMs: number
  /** The demo's event time now (the producer's clock). */
  readonly eventClock: () => number
  readonly onSent: (count: number) => void
  readonly onError: (error: unknown) => void
  readonly tickMs?: number
}

export interface ChargebackFeed {
  /** Events just put on the transaction stream: the frauds among them are reported later. */
  put(events: readonly TrafficEvent[]): void
  stop(): Promise<void>
}

export function startChargebackFeed(options: ChargebackFeedOptions): ChargebackFeed {
  const queue: { dueAt: number; transactionId: string }[] = []
  let busy: Promise<void> = Promise.resolve()
  const send = async (transactionIds: readonly string[]) => {
    const reportedAt = new Date(options.eventClock()).toISOString()
    for (let i = 0; i < transactionIds.length; i += 500) {
      const labels: Label[] = transactionIds.slice(i, i + 500).map((transactionId) => ({ transactionId, fraud: true, reportedAt, source: 'chargeback', reason: 'demo: 10.4 card absent fraud' }))
      const out = await options.client.send(
        new PutRecordsCommand({ StreamName: options.streamName, Records: labels.map((label) => ({ Data: Buffer.from(JSON.stringify(label)), PartitionKey: label.transactionId })) }),
      )
      options.onSent(labels.length - (out.FailedRecordCount ?? 0))
    }
  }
  const timer = setInterval(() => {
    const now = Date.now()
    let due = 0
    while (due < queue.length && queue[due]!.dueAt <= now) due++
    if (due === 0) return
    const batch = queue.splice(0, due).map((entry) => entry.transactionId)
    busy = busy.then(() => send(batch)).catch(options.onError)
  }, options.tickMs ?? 500)
  return {
    put(events) {
      const dueAt = Date.now() + options.delayMs
      for (const event of events) if (event.kind === 'valid' && event.fraud) queue.push({ dueAt, transactionId: event.transaction.transactionId as string })
    },
    stop: async () => {
      clearInterval(timer)
      await busy
    },
  }
}
