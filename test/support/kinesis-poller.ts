/**
 * Reads a Kinesis stream the way a Lambda event source mapping does, and hands back what Lambda
 * would: one `KinesisStreamEvent` per shard batch, records in shard order, in the exact shape Lambda
 * delivers (base64 `data`, arrival time in float seconds, `eventID` = `<shardId>:<sequenceNumber>`).
 *
 * Each shard keeps a position (the last sequence number handed out) and a shard iterator; a batch
 * advances both. `rewind`/`seek` move a shard back (or forward) to replay a batch or resume after a
 * partial failure, as the mapping does with the first failed `itemIdentifier`. An expired iterator
 * (kinesalite and Kinesis: 5 minutes) is renewed from the position. After a reshard, a child shard
 * is read only once its parents are exhausted, so per-key order holds across the reshard.
 *
 * Not a concurrency model of the mapping (no parallelization factor, no retries, no bisection):
 * that is local/event-source.ts's job. Calls for one shard are serialized.
 */
import {
  DescribeStreamSummaryCommand,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type _Record,
  type KinesisClient,
  type Shard,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis'
import type { KinesisStreamEvent } from 'aws-lambda'
import { lambdaKinesisRecord } from '../../local/kinesis-event.ts'

export interface KinesisPollerOptions {
  readonly client: KinesisClient
  readonly streamName: string
  /** `invokeIdentityArn` of every record (the function's execution role); default a local role ARN. */
  readonly invokeIdentityArn?: string
}

/** Where a shard's next read starts. */
export type ShardPosition =
  | { readonly type: 'TRIM_HORIZON' }
  | { readonly type: 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER'; readonly sequenceNumber: string }

interface ShardState {
  shard: Shard
  /** Where to get the next iterator from when `iterator` is unset or expired. */
  position: ShardPosition
  iterator: string | undefined
  /** The shard is closed and read to its end. */
  ended: boolean
  /** Serializes calls on this shard. */
  queue: Promise<unknown>
}

export class KinesisPoller {
  readonly #client: KinesisClient
  readonly #streamName: string
  readonly #invokeIdentityArn: string | undefined
  #stream: { arn: string; region: string; account: string } | undefined
  #shards = new Map<string, ShardState>()
  #listed = false

  constructor(options: KinesisPollerOptions) {
    this.#client = options.client
    this.#streamName = options.streamName
    this.#invokeIdentityArn = options.invokeIdentityArn
  }

  /** The stream's ARN (from DescribeStreamSummary). */
  async streamArn(): Promise<string> {
    return (await this.#describe()).arn
  }

  /** Every shard the poller knows, open or closed, in ListShards order. */
  async shardIds(): Promise<string[]> {
    await this.#ensureListed()
    return [...this.#shards.keys()]
  }

  /**
   * The next batch of every readable shard that has records (at most `limit` records per shard,
   * like the mapping's BatchSize): one event per shard, shards in ListShards order. Empty when
   * nothing new. Handing a batch out advances the shard; replay with `rewind`/`seek`.
   */
  async poll(limit = 100): Promise<KinesisStreamEvent[]> {
    await this.#ensureListed()
    const events: KinesisStreamEvent[] = []
    const polled = new Set<ShardState>()
    for (;;) {
      const readable = [...this.#shards.values()].filter(
        (s) => !s.ended && !polled.has(s) && this.#parentsEnded(s.shard),
      )
      if (readable.length === 0) break
      for (const s of readable) polled.add(s)
      const batches = await Promise.all(readable.map((s) => this.pollShard(s.shard.ShardId ?? '', limit)))
      for (const batch of batches) if (batch !== undefined) events.push(batch)
      // A shard read to its end makes its children readable; an idle shard may have been closed by
      // a reshard since it was listed (kinesalite only ends a closed shard's iterator once it knows).
      if (readable.some((s) => s.ended) || batches.some((b) => b === undefined)) await this.#list()
      if (!readable.some((s) => s.ended)) break
    }
    return events
  }

  /** Polls until every shard comes back empty; all the events, in the order polled. */
  async drain(limit = 100, maxRounds = 1_000): Promise<KinesisStreamEvent[]> {
    const all: KinesisStreamEvent[] = []
    for (let round = 0; round < maxRounds; round++) {
      const events = await this.poll(limit)
      all.push(...events)
      const pendingClosed = [...this.#shards.values()].some((s) => !s.ended && isClosed(s.shard))
      if (events.length === 0 && !pendingClosed) return all
    }
    throw new Error(`stream ${this.#streamName} still had records after ${maxRounds} polls`)
  }

  /** The next batch of one shard (at most `limit` records), or undefined when it has none now. */
  async pollShard(shardId: string, limit = 100): Promise<KinesisStreamEvent | undefined> {
    const state = await this.#state(shardId)
    return this.#serialized(state, async () => {
      if (state.ended) return undefined
      let records = await this.#getRecords(state, limit)
      // On a closed shard an empty read may still return an iterator (kinesalite): read on to the end.
      for (let i = 0; records.length === 0 && !state.ended && isClosed(state.shard) && i < 3; i++) {
        records = await this.#getRecords(state, limit)
      }
      if (records.length === 0) return undefined
      const last = records[records.length - 1]?.SequenceNumber
      if (last !== undefined) state.position = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: last }
      const stream = await this.#describe()
      const source = { shardId, streamArn: stream.arn, region: stream.region, invokeIdentityArn: this.#invokeIdentityArn ?? `arn:aws:iam::${stream.account}:role/vigil-local-score`, now: Date.now }
      return { Records: records.map((record) => lambdaKinesisRecord(record, source)) }
    })
  }

  /**
   * Re-reads `shardId` from just after `afterSequenceNumber` (AFTER_SEQUENCE_NUMBER), or from the
   * start of the shard (TRIM_HORIZON) when it is undefined.
   */
  async rewind(shardId: string, afterSequenceNumber?: string): Promise<void> {
    await this.#moveTo(
      shardId,
      afterSequenceNumber === undefined
        ? { type: 'TRIM_HORIZON' }
        : { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: afterSequenceNumber },
    )
  }

  /** Re-reads `shardId` from `atSequenceNumber` itself (AT_SEQUENCE_NUMBER): a partial-batch retry. */
  async seek(shardId: string, atSequenceNumber: string): Promise<void> {
    await this.#moveTo(shardId, { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: atSequenceNumber })
  }

  /** Where the next read of `shardId` starts. */
  async position(shardId: string): Promise<ShardPosition> {
    return (await this.#state(shardId)).position
  }

  async #moveTo(shardId: string, position: ShardPosition): Promise<void> {
    const state = await this.#state(shardId)
    await this.#serialized(state, async () => {
      // Fetch the iterator now, so a bad sequence number fails here rather than at the next poll.
      state.iterator = await this.#iterator(shardId, position)
      state.position = position
      state.ended = false
    })
  }

  async #getRecords(state: ShardState, limit: number): Promise<_Record[]> {
    const shardId = state.shard.ShardId ?? ''
    for (let attempt = 0; ; attempt++) {
      state.iterator ??= await this.#iterator(shardId, state.position)
      try {
        const out = await this.#client.send(new GetRecordsCommand({ ShardIterator: state.iterator, Limit: limit }))
        state.iterator = out.NextShardIterator
        if (state.iterator === undefined) state.ended = true
        return out.Records ?? []
      } catch (error) {
        state.iterator = undefined
        if (error instanceof ExpiredIteratorException && attempt === 0) continue
        throw error
      }
    }
  }

  async #iterator(shardId: string, position: ShardPosition): Promise<string | undefined> {
    const { ShardIterator } = await this.#client.send(
      new GetShardIteratorCommand({
        StreamName: this.#streamName,
        ShardId: shardId,
        ShardIteratorType: position.type satisfies ShardIteratorType,
        ...(position.type === 'TRIM_HORIZON' ? {} : { StartingSequenceNumber: position.sequenceNumber }),
      }),
    )
    return ShardIterator
  }

  async #describe(): Promise<{ arn: string; region: string; account: string }> {
    if (this.#stream === undefined) {
      const { StreamDescriptionSummary: summary } = await this.#client.send(
        new DescribeStreamSummaryCommand({ StreamName: this.#streamName }),
      )
      const arn = summary?.StreamARN
      if (arn === undefined) throw new Error(`stream ${this.#streamName} has no ARN`)
      // arn:aws:kinesis:<region>:<account>:stream/<name>
      const [, , , region = '', account = ''] = arn.split(':')
      this.#stream = { arn, region, account }
    }
    return this.#stream
  }

  async #state(shardId: string): Promise<ShardState> {
    await this.#ensureListed()
    let state = this.#shards.get(shardId)
    if (state === undefined) {
      await this.#list()
      state = this.#shards.get(shardId)
    }
    if (state === undefined) throw new Error(`stream ${this.#streamName} has no shard ${shardId}`)
    return state
  }

  async #ensureListed(): Promise<void> {
    if (!this.#listed) await this.#list()
  }

  /** Adds shards not seen yet (all of them the first time), each at TRIM_HORIZON; refreshes the others. */
  async #list(): Promise<void> {
    let nextToken: string | undefined
    do {
      const out = await this.#client.send(
        new ListShardsCommand(nextToken === undefined ? { StreamName: this.#streamName } : { NextToken: nextToken }),
      )
      for (const shard of out.Shards ?? []) {
        const id = shard.ShardId
        if (id === undefined) continue
        const known = this.#shards.get(id)
        if (known !== undefined) {
          known.shard = shard // now perhaps closed (EndingSequenceNumber set)
          continue
        }
        this.#shards.set(id, {
          shard,
          position: { type: 'TRIM_HORIZON' },
          iterator: undefined,
          ended: false,
          queue: Promise.resolve(),
        })
      }
      nextToken = out.NextToken
    } while (nextToken !== undefined)
    this.#listed = true
  }

  /** A shard is read after its parents (a split's parent, both of a merge's) are read to the end. */
  #parentsEnded(shard: Shard): boolean {
    return [shard.ParentShardId, shard.AdjacentParentShardId].every((parent) => {
      if (parent === undefined) return true
      const state = this.#shards.get(parent)
      return state === undefined || state.ended
    })
  }

  #serialized<T>(state: ShardState, fn: () => Promise<T>): Promise<T> {
    const run = state.queue.then(fn, fn)
    state.queue = run.catch(() => {})
    return run
  }
}

function isClosed(shard: Shard): boolean {
  return shard.SequenceNumberRange?.EndingSequenceNumber !== undefined
}
