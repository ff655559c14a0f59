/**
 * A producer for the local stream: the seeded traffic generator (local/traffic/), paced by its
 * event times (a transaction is put when its `occurredAt` comes; duplicates and late arrivals at
 * once), put with PutRecords in batches of up to 500, partition key = the card token, so a card's
 * transactions stay on one shard and in order. A malformed line is keyed by its hash.
 *
 * Event time runs `speed` times faster than the wall clock (60 by default: a minute a second), so
 * a card-testing burst or an account takeover, which take minutes of a cardholder's time, shows
 * up in seconds of a demo, while `ratePerSecond` stays the rate put on the stream. Event time
 * starts a week behind the wall clock: the scorer refuses event times more than a minute after
 * their arrival (core/event-time.ts), and at 60× a week lasts the demo almost three hours (the
 * default rules' 30-day windows accept the week-old start); after that event time keeps to the
 * wall clock, and the generated rate drops by the same factor.
 */
import { createHash, randomUUID } from 'node:crypto'
import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis'
import { keyringFrom, primaryToken, type Keyring } from '../functions/core/keyring.ts'
import { generateTraffic, type TrafficEvent } from './traffic/index.ts'

export interface ProducerOptions {
  readonly client: KinesisClient
  readonly streamName: string
  readonly seed: number
  /** Mean records put per (wall-clock) second over a day (the generator's daily rhythm modulates it). */
  readonly ratePerSecond: number
  /** How much faster event time runs than the wall clock; default 60. */
  readonly speed?: number
  /** Share of transactions in fraud episodes; default 0.03, enough to open cases every few seconds. */
  readonly fraudShare?: number
  /** The producer's PAN tokenization key (a plain key or a keyring), so the partition key is the card token the scorer derives. */
  readonly tokenizationKey: string
  readonly onPut: (count: number) => void
  /** The events of each batch once put, e.g. for the chargeback feed (local/chargebacks.ts). */
  readonly onPutEvents?: (events: readonly TrafficEvent[]) => void
  readonly onError: (error: unknown) => void
  readonly tickMs?: number
}

export interface Producer {
  /** The demo's event time now. */
  eventClock(): number
  stop(): Promise<void>
}

const maxPutRecords = 500
const startBehindMs = 7 * 86_400_000

/**
 * The demo's event time at wall-clock `now`: `speed` times faster from a week behind `started`,
 * until it catches up with the wall clock; from then on the wall clock itself, never ahead of
 * arrival, which the scorer would refuse.
 */
export function eventClock(started: number, speed: number, now: number): number {
  return Math.min(started - startBehindMs + (now - started) * speed, now)
}

export function startProducer(options: ProducerOptions): Producer {
  const keyring = keyringFrom(options.tokenizationKey, "the producer's tokenization key")
  const started = Date.now()
  const start = started - startBehindMs
  const speed = options.speed ?? 60
  const events = generateTraffic({ seed: options.seed, start: new Date(start), ratePerSecond: options.ratePerSecond / speed, fraudShare: options.fraudShare ?? 0.03 })
  let pending: TrafficEvent | undefined
  let lastTime = start
  let busy: Promise<void> = Promise.resolve()
  let stopped = false

  const due = (): TrafficEvent[] => {
    const now = eventClock(started, speed, Date.now())
    const out: TrafficEvent[] = []
    for (;;) {
      if (pending === undefined) {
        const next = events.next()
        if (next.done) break
        pending = next.value
      }
      const t = pending.kind === 'valid' ? Date.parse(pending.transaction.occurredAt) : lastTime
      if (t > now) break
      lastTime = Math.max(lastTime, t)
      out.push(pending)
      pending = undefined
      if (out.length >= 5_000) break
    }
    return out
  }

  const put = async (batch: TrafficEvent[]) => {
    for (let i = 0; i < batch.length; i += maxPutRecords) {
      let entries: PutRecordsRequestEntry[] = batch.slice(i, i + maxPutRecords).map((event) => ({
        Data: Buffer.from(event.line),
        PartitionKey: partitionKey(event, keyring),
      }))
      // A producer retries what PutRecords refused (throttling); here at most twice.
      for (let attempt = 0; entries.length > 0 && attempt < 3; attempt++) {
        const out = await options.client.send(new PutRecordsCommand({ StreamName: options.streamName, Records: entries }))
        const failed = (out.Records ?? []).flatMap((r, j) => (r.ErrorCode ? [entries[j]!] : []))
        options.onPut(entries.length - failed.length)
        entries = failed
      }
    }
    options.onPutEvents?.(batch)
  }

  const timer = setInterval(() => {
    if (stopped) return
    const batch = due()
    if (batch.length === 0) return
    busy = busy.then(() => put(batch)).catch(options.onError)
  }, options.tickMs ?? 100)

  return {
    eventClock: () => eventClock(started, speed, Date.now()),
    stop: async () => {
      stopped = true
      clearInterval(timer)
      await busy
    },
  }
}

function partitionKey(event: TrafficEvent, keyring: Keyring): string {
  const card = event.transaction?.card as { pan?: string; token?: string } | undefined
  if (card?.pan) return primaryToken(card.pan, keyring)
  if (card?.token) return card.token
  // A malformed line: never the raw text (it may hold a PAN); its hash spreads them over shards.
  return event.line ? createHash('sha256').update(event.line).digest('base64url') : randomUUID()
}
