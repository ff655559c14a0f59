/**
 * What the stream holds, read straight from kinesalite (no proxy, no event source): every shard
 * from TRIM_HORIZON to its end, parents before children, as the user records the scorer sees.
 * This, not what the producer meant to send, is the input the ground truth is computed on: it
 * carries the producer's retries and the order records really landed in.
 */
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis'
import { userRecords } from '../../functions/aws/kinesis-records.ts'
import type { StreamRecord } from '../../functions/score/process-batch.ts'
import { lambdaKinesisRecord } from '../../local/kinesis-event.ts'

export interface StreamContents {
  /** User records, shard by shard in shard order (a split's children after their parent), each shard in sequence order. */
  readonly records: readonly StreamRecord[]
  /** The newest sequence number of each shard that holds records. */
  readonly lastSequence: ReadonlyMap<string, string>
}

export async function readStream(client: KinesisClient, streamName: string, streamArn: string): Promise<StreamContents> {
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: streamName }))
  const records: StreamRecord[] = []
  const lastSequence = new Map<string, string>()
  for (const shard of [...Shards].sort((a, b) => shardIndex(a) - shardIndex(b))) {
    const shardId = shard.ShardId!
    const source = { shardId, streamArn, region: 'us-east-1', invokeIdentityArn: 'arn:aws:iam::000000000000:role/faults', now: Date.now }
    let { ShardIterator: iterator } = await client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))
    while (iterator !== undefined) {
      const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }))
      const batch = out.Records ?? []
      records.push(...userRecords({ Records: batch.map((r) => lambdaKinesisRecord(r, source)) }))
      const last = batch.at(-1)?.SequenceNumber
      if (last !== undefined) lastSequence.set(shardId, last)
      // An open shard has no end: it is read once nothing more comes back.
      iterator = batch.length === 0 && !out.MillisBehindLatest ? undefined : (out.NextShardIterator ?? undefined)
    }
  }
  return { records, lastSequence }
}

const shardIndex = (shard: Shard) => Number(shard.ShardId?.replace(/^shardId-/, ''))
