/**
 * Lambda's Kinesis event source mapping, emulated: one poller per shard, one batch per shard at a
 * time (ParallelizationFactor 1), records handed to the function in shard order in the exact event
 * shape Lambda delivers, with the mapping's settings as the synthesized template gives them:
 *
 * - **BatchSize / MaximumBatchingWindowInSeconds**: a batch is invoked when it is full or when its
 *   oldest record has waited the window.
 * - **ReportBatchItemFailures**: a response naming a record checkpoints everything before it; the
 *   retry starts at that record. An unknown or empty `itemIdentifier` fails the whole batch, as
 *   Lambda does.
 * - **MaximumRetryAttempts** (-1 = until the record expires): a batch that fails (a throw, or a
 *   partial failure) is retried with a backoff; once the attempts are exhausted its remaining
 *   records go to the dead-letter sink (the local stand-in for the on-failure SQS destination),
 *   and the shard moves on.
 * - **BisectBatchOnFunctionError**: a batch whose invocation throws is split in two and each half
 *   retried on its own (splitting does not count as a retry, as in Lambda), isolating the record.
 * - **MaximumRecordAgeInSeconds** (-1 = none): records older than this when a batch is about to be
 *   invoked are not scored but dead-lettered.
 *
 * - **Resharding**: shards are listed again every `shardDiscoveryMs`; a child shard (from a split or
 *   a merge) is not read until every parent it names has been read to its end and delivered, so a
 *   partition key's records reach the function in order across the split, as Lambda guarantees.
 *
 * Not emulated: tumbling windows, enhanced fan-out, and checkpoints across restarts (a restarted
 * runtime reads from TRIM_HORIZON again; the scorer's exactly-once commit makes the replay a no-op).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis'
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda'
import type { EventSourceMappingSettings } from './synthesized.ts'
import { lambdaKinesisRecord } from './kinesis-event.ts'

/** A record the mapping gave up on, with what the on-failure destination reports (no payload). */
export interface DeadLetter {
  readonly shardId: string
  readonly sequenceNumber: string
  readonly partitionKey: string
  readonly approximateArrivalTimestamp: string
  readonly reason: 'RetryAttemptsExhausted' | 'RecordAgeExceeded'
  readonly attempts: number
  readonly lastError?: string
  readonly at: string
}

export interface EventSourceOptions {
  readonly client: KinesisClient
  readonly streamName: string
  readonly streamArn: string
  readonly region: string
  readonly settings: Pick<
    EventSourceMappingSettings,
    'BatchSize' | 'MaximumBatchingWindowInSeconds' | 'MaximumRetryAttempts' | 'MaximumRecordAgeInSeconds' | 'BisectBatchOnFunctionError' | 'ReportBatchItemFailures'
  >
  /** The function: its partial batch response, or a throw (a function error). */
  readonly invoke: (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | void>
  readonly onDeadLetter: (letter: DeadLetter) => void
  /** How long an idle shard waits before polling again; default 250 ms (Lambda: about 1 s). */
  readonly idlePollMs?: number
  /** First retry delay, doubled per attempt up to 5 s; default 100 ms. */
  readonly retryBaseMs?: number
  /** How often the shard list is read again to find the children of a split or merge; default 1 s. */
  readonly shardDiscoveryMs?: number
  readonly now?: () => number
}

export interface EventSource {
  /** Every shard found so far, children of a resharding included. */
  readonly shardIds: readonly string[]
  /** Stops polling; resolves once every shard's in-flight batch has finished. */
  stop(): Promise<void>
}

export async function startEventSource(options: EventSourceOptions): Promise<EventSource> {
  const abort = new AbortController()
  const shardIds: string[] = []
  const finished = new Map<string, Promise<void>>()
  const loops: Array<Promise<void>> = []
  const startNewShards = async () => {
    for (const shard of await listShards(options.client, options.streamName)) {
      if (shard.ShardId === undefined || finished.has(shard.ShardId)) continue
      const shardId = shard.ShardId
      // A parent missing from the list has aged out of the stream: nothing of it is left to read.
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].flatMap((id) => (id === undefined ? [] : [finished.get(id) ?? Promise.resolve()]))
      const loop = Promise.all(parents)
        .then(() => new ShardPoller(shardId, options, abort.signal).run())
        .catch((error: unknown) => {
          if (!abort.signal.aborted) process.stderr.write(`event source: shard ${shardId} stopped: ${(error as Error).message}\n`)
        })
      shardIds.push(shardId)
      finished.set(shardId, loop)
      loops.push(loop)
    }
  }
  await startNewShards()
  const discovery = (async () => {
    while (!abort.signal.aborted) {
      await pause(options.shardDiscoveryMs ?? 1_000, abort.signal)
      if (!abort.signal.aborted) await startNewShards().catch(() => {}) // a transient error: the next round lists again
    }
  })()
  let stopping: Promise<void> | undefined
  return {
    shardIds,
    stop: () =>
      (stopping ??= (async () => {
        abort.abort()
        await discovery
        await Promise.all(loops)
      })()),
  }
}

async function listShards(client: KinesisClient, streamName: string): Promise<Shard[]> {
  const shards: Shard[] = []
  let next: string | undefined
  do {
    const out = await client.send(new ListShardsCommand(next === undefined ? { StreamName: streamName } : { NextToken: next }))
    shards.push(...(out.Shards ?? []))
    next = out.NextToken
  } while (next !== undefined)
  return shards
}

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  await sleep(Math.max(1, ms), undefined, { signal }).catch(() => {})
}

interface Pending {
  records: KinesisStreamRecord[]
  /** Retries so far of these records. */
  attempts: number
  lastError?: string
}

class ShardPoller {
  readonly #shardId: string
  readonly #o: EventSourceOptions
  readonly #signal: AbortSignal
  readonly #now: () => number
  #iterator: string | undefined
  #lastSequence: string | undefined
  /** The shard is closed (split or merged) and read to its end. */
  #ended = false
  #buffer: KinesisStreamRecord[] = []
  #bufferSince = 0

  constructor(shardId: string, options: EventSourceOptions, signal: AbortSignal) {
    this.#shardId = shardId
    this.#o = options
    this.#signal = signal
    this.#now = options.now ?? Date.now
  }

  /** Polls until stopped, or until a closed shard has been read to its end and delivered. */
  async run(): Promise<void> {
    const { BatchSize, MaximumBatchingWindowInSeconds } = this.#o.settings
    const idle = this.#o.idlePollMs ?? 250
    while (!this.#signal.aborted) {
      if (this.#buffer.length < BatchSize && !this.#ended) {
        const fetched = await this.#getRecords(BatchSize - this.#buffer.length)
        if (fetched.length > 0 && this.#buffer.length === 0) this.#bufferSince = this.#now()
        this.#buffer.push(...fetched)
      }
      if (this.#buffer.length === 0) {
        if (this.#ended) return
        await this.#pause(idle)
        continue
      }
      const waited = this.#now() - this.#bufferSince
      if (this.#buffer.length < BatchSize && !this.#ended && waited < MaximumBatchingWindowInSeconds * 1000) {
        await this.#pause(Math.min(idle, MaximumBatchingWindowInSeconds * 1000 - waited))
        continue
      }
      const batch = this.#buffer.splice(0, BatchSize)
      this.#bufferSince = this.#now()
      await this.#deliver(batch)
    }
  }

  /** Delivers one batch to completion: success, or its failing records dead-lettered. */
  async #deliver(batch: KinesisStreamRecord[]): Promise<void> {
    const s = this.#o.settings
    const queue: Pending[] = [{ records: batch, attempts: 0 }]
    while (queue.length > 0) {
      const item = queue[0]!
      this.#expire(item)
      if (item.records.length === 0) {
        queue.shift()
        continue
      }
      let remaining: KinesisStreamRecord[]
      let thrown = false
      try {
        const response = await this.#o.invoke({ Records: item.records })
        remaining = this.#unfinished(item.records, response)
      } catch (error) {
        thrown = true
        remaining = item.records
        item.lastError = (error as Error).message ?? String(error)
      }
      if (remaining.length === 0) {
        queue.shift()
        continue
      }
      if (!thrown) item.lastError = `partial batch failure at ${remaining[0]!.kinesis.sequenceNumber}`
      if (thrown && s.BisectBatchOnFunctionError && remaining.length > 1) {
        const half = Math.ceil(remaining.length / 2)
        queue.splice(0, 1, { ...item, records: remaining.slice(0, half) }, { ...item, records: remaining.slice(half) })
        continue
      }
      item.records = remaining
      item.attempts++
      if (s.MaximumRetryAttempts >= 0 && item.attempts > s.MaximumRetryAttempts) {
        for (const record of remaining) this.#deadLetter(record, 'RetryAttemptsExhausted', item.attempts - 1, item.lastError)
        queue.shift()
        continue
      }
      // Stopping mid-retry: the records stay unprocessed in the stream, as when a mapping is disabled.
      if (this.#signal.aborted) return
      await this.#pause(Math.min((this.#o.retryBaseMs ?? 100) * 2 ** (item.attempts - 1), 5_000))
    }
  }

  /** The records from the first reported failure on; none when the batch succeeded. */
  #unfinished(records: KinesisStreamRecord[], response: KinesisStreamBatchResponse | void): KinesisStreamRecord[] {
    const failures = response?.batchItemFailures ?? []
    if (!this.#o.settings.ReportBatchItemFailures || failures.length === 0) return []
    const indexes = failures.map((f) => records.findIndex((r) => r.kinesis.sequenceNumber === f.itemIdentifier))
    if (indexes.some((i) => i < 0)) return records // an unknown identifier fails the whole batch
    return records.slice(Math.min(...indexes))
  }

  /** Drops (dead-letters) records older than MaximumRecordAgeInSeconds. */
  #expire(item: Pending): void {
    const maxAge = this.#o.settings.MaximumRecordAgeInSeconds
    if (maxAge < 0) return
    const cutoff = this.#now() / 1000 - maxAge
    const kept: KinesisStreamRecord[] = []
    for (const record of item.records) {
      if (record.kinesis.approximateArrivalTimestamp < cutoff) this.#deadLetter(record, 'RecordAgeExceeded', item.attempts, item.lastError)
      else kept.push(record)
    }
    item.records = kept
  }

  #deadLetter(record: KinesisStreamRecord, reason: DeadLetter['reason'], attempts: number, lastError: string | undefined): void {
    this.#o.onDeadLetter({
      shardId: this.#shardId,
      sequenceNumber: record.kinesis.sequenceNumber,
      partitionKey: record.kinesis.partitionKey,
      approximateArrivalTimestamp: new Date(record.kinesis.approximateArrivalTimestamp * 1000).toISOString(),
      reason,
      attempts,
      ...(lastError !== undefined ? { lastError } : {}),
      at: new Date(this.#now()).toISOString(),
    })
  }

  async #getRecords(limit: number): Promise<KinesisStreamRecord[]> {
    for (let attempt = 0; ; attempt++) {
      this.#iterator ??= await this.#newIterator()
      if (this.#iterator === undefined) return [] // closed shard read to its end
      try {
        const out = await this.#o.client.send(new GetRecordsCommand({ ShardIterator: this.#iterator, Limit: Math.max(1, Math.min(limit, 10_000)) }))
        this.#iterator = out.NextShardIterator
        this.#ended = out.NextShardIterator === undefined || out.NextShardIterator === null
        const records = out.Records ?? []
        const last = records.at(-1)?.SequenceNumber
        if (last !== undefined) this.#lastSequence = last
        const source = { shardId: this.#shardId, streamArn: this.#o.streamArn, region: this.#o.region, invokeIdentityArn: 'arn:aws:iam::000000000000:role/vigil-local-score', now: this.#now }
        return records.map((r) => lambdaKinesisRecord(r, source))
      } catch (error) {
        this.#iterator = undefined
        if (error instanceof ExpiredIteratorException && attempt === 0) continue
        if (this.#signal.aborted) return []
        throw error
      }
    }
  }

  async #newIterator(): Promise<string | undefined> {
    const out = await this.#o.client.send(
      new GetShardIteratorCommand({
        StreamName: this.#o.streamName,
        ShardId: this.#shardId,
        ...(this.#lastSequence === undefined
          ? { ShardIteratorType: 'TRIM_HORIZON' as const }
          : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' as const, StartingSequenceNumber: this.#lastSequence }),
      }),
    )
    return out.ShardIterator
  }

  #pause(ms: number): Promise<void> {
    return pause(ms, this.#signal)
  }
}
