/**
 * An at-least-once producer, as payment systems write one: PutRecords of up to 100 records, the
 * entries Kinesis reports failed put again, and a request that fails outright (after the SDK's own
 * retries) sent again whole, whether or not it had landed: so a connection reset after the put
 * leaves duplicates in the stream, as it does in production. Lanes are interleaved in chunks.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis'
import type { Lane } from './traffic.ts'

export interface ProducerOptions {
  readonly client: KinesisClient
  readonly streamName: string
  readonly lanes: readonly Lane[]
  /** Awaited before each request with the count put so far: where the run paces the producer. */
  readonly gate: (put: number) => Promise<void>
}

const maxEntries = 100
const chunk = 50

export async function produce(options: ProducerOptions): Promise<{ put: number; resent: number }> {
  let put = 0
  let resent = 0
  for (const entries of requests(options.lanes)) {
    await options.gate(put)
    let pending = entries
    while (pending.length > 0) {
      try {
        const out = await options.client.send(new PutRecordsCommand({ StreamName: options.streamName, Records: pending }))
        pending = pending.filter((_, i) => out.Records?.[i]?.ErrorCode !== undefined)
      } catch {
        await sleep(20)
      }
      if (pending.length > 0) resent += pending.length
    }
    put += entries.length
  }
  return { put, resent }
}

function* requests(lanes: readonly Lane[]): Generator<PutRecordsRequestEntry[]> {
  const longest = Math.max(...lanes.map((l) => l.records.length))
  let entries: PutRecordsRequestEntry[] = []
  for (let from = 0; from < longest; from += chunk) {
    for (const lane of lanes) {
      for (const record of lane.records.slice(from, from + chunk)) {
        entries.push({ PartitionKey: lane.partitionKey, Data: typeof record === 'string' ? Buffer.from(record, 'utf8') : record })
        if (entries.length === maxEntries) {
          yield entries
          entries = []
        }
      }
    }
  }
  if (entries.length > 0) yield entries
}
