/**
 * The fault suite's input: the seeded traffic generator's transactions in independent lanes. A lane
 * is one partition key (so one shard at a time, in order) with its own cardholders, accounts and
 * IP addresses, so no entity is shared between lanes: the ground truth of the whole stream is
 * then the truth of each lane on its own, whatever order the shards are consumed in relative to
 * one another, and only the order within a lane matters, which is what Kinesis guarantees.
 */
import { createHash } from 'node:crypto'
import { generateTraffic } from '../../local/traffic/index.ts'
import { Random } from '../../local/traffic/random.ts'

export interface Lane {
  readonly partitionKey: string
  /** Record payloads in the order the producer puts them. */
  readonly records: ReadonlyArray<string | Buffer>
}

export interface TrafficShape {
  /** Malformed lines from the generator's producer bugs. */
  readonly malformedShare?: number
  /** Verbatim repeats of earlier lines (producer retries). */
  readonly duplicateShare?: number
  /** Transactions a few seconds to minutes late (the generator's). */
  readonly outOfOrderShare?: number
  /** Transactions held back and put hundreds to thousands of records later: hours late in event time. */
  readonly lateShare?: number
  /** Hostile payloads: huge, deeply nested, wrong types, invalid UTF-8, corrupt KPL aggregates. */
  readonly poisonShare?: number
}

export const laneCount = 4

/**
 * Twenty days before today, at 08:00 UTC. The scorer refuses event times after a record's arrival
 * (today, from kinesalite) or older than the default rules' 30-day windows (core/event-time.ts); a
 * lane of the largest run spans about fifteen days. The time of day, and so which transactions
 * fall at night, is the same every day.
 */
function trafficStart(): Date {
  const day = 86_400_000
  return new Date((Math.floor(Date.now() / day) - 20) * day + 8 * 3_600_000)
}

/** `lanes` lanes of about `total / lanes` records each, lane i's partition key hashing into the i-th of `lanes` equal parts of the key space. */
export function faultTraffic(seed: number, total: number, shape: TrafficShape, lanes = laneCount): Lane[] {
  return Array.from({ length: lanes }, (_, lane) => {
    const rng = new Random(seed, 1_000 + lane)
    const records: Array<string | Buffer> = []
    for (const event of generateTraffic({
      seed: seed * 100 + lane,
      start: trafficStart(),
      count: Math.ceil(total / lanes),
      cards: 24,
      ratePerSecond: 0.02,
      fraudShare: 0.05,
      malformedShare: shape.malformedShare ?? 0.01,
      duplicateShare: shape.duplicateShare ?? 0.01,
      outOfOrderShare: shape.outOfOrderShare ?? 0.01,
    })) {
      records.push(event.kind === 'malformed' ? event.line : inLane(event.line, lane))
      if (rng.chance(shape.poisonShare ?? 0)) records.push(poison(rng))
    }
    return { partitionKey: partitionKeyIn(lane, lanes), records: delayed(records, shape.lateShare ?? 0, rng) }
  })
}

/** The line with its account, merchant, device and IP address renamed into the lane's own namespace: every entity a rule set may track. */
function inLane(line: string, lane: number): string {
  const txn = JSON.parse(line) as { accountId?: string; merchant?: { id?: string }; device?: { id?: string; ip?: string } }
  if (txn.accountId !== undefined) txn.accountId = `lane${lane}-${txn.accountId}`
  if (txn.merchant?.id !== undefined) txn.merchant.id = `lane${lane}-${txn.merchant.id}`
  if (txn.device?.id !== undefined) txn.device.id = `lane${lane}-${txn.device.id}`
  if (txn.device?.ip !== undefined) txn.device.ip = txn.device.ip.replace(/^\d+\./, `${lane + 1}.`)
  return JSON.stringify(txn)
}

/** Moves a share of the valid lines later in the lane, by 200 to 2,000 records. */
function delayed(records: Array<string | Buffer>, share: number, rng: Random): Array<string | Buffer> {
  const held: Array<{ at: number; record: string | Buffer }> = []
  const out: Array<string | Buffer> = []
  records.forEach((record, i) => {
    while (held.length > 0 && held[0]!.at <= i) out.push(held.shift()!.record)
    if (typeof record === 'string' && rng.chance(share)) held.push({ at: i + rng.int(200, 2_000), record })
    else out.push(record)
    held.sort((a, b) => a.at - b.at)
  })
  return [...out, ...held.map((h) => h.record)]
}

const kplMagic = Buffer.from([0xf3, 0x89, 0x9a, 0xc2])

function poison(rng: Random): string | Buffer {
  switch (rng.int(0, 4)) {
    case 0:
      return JSON.stringify({ transactionId: 'x'.repeat(rng.int(50_000, 200_000)), amount: 1, currency: 'EUR' })
    case 1: {
      const depth = rng.int(1_000, 5_000)
      return `${'['.repeat(depth)}${']'.repeat(depth)}`
    }
    case 2:
      return JSON.stringify({ transactionId: rng.int(0, 1e9), occurredAt: true, amount: { minor: 5 }, card: [], merchant: 'm', channel: null })
    case 3:
      return Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, rng.int(0, 255)])
    default:
      return Buffer.concat([kplMagic, Buffer.from(rng.hex(64), 'hex')])
  }
}

const keySpace = 2n ** 128n

/** The Kinesis hash key of a partition key: its MD5 as a 128-bit integer. */
export function hashKeyOf(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`)
}

/** The lowest hash key of part `part` of `parts`: where a shard is split to separate lanes. */
export function laneBoundary(part: number, parts = laneCount): bigint {
  return (keySpace * BigInt(part)) / BigInt(parts)
}

function partitionKeyIn(lane: number, lanes: number): string {
  for (let k = 0; ; k++) {
    const key = `faults-lane-${lane}-${k}`
    const hash = hashKeyOf(key)
    if (hash >= laneBoundary(lane, lanes) && hash < laneBoundary(lane + 1, lanes)) return key
  }
}
