/**
 * The event source mapping across a SplitShard on kinesalite: a child shard is read only once its
 * parent has been read to its end and delivered, so a partition key's records stay in order.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { PutRecordsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis'
import type { KinesisStreamEvent } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import { createStream } from '../../local/emulators.ts'
import { startEventSource } from '../../local/event-source.ts'
import { uniqueName, useEmulators } from '../support/emulators.ts'
import { hashKeyOf, laneBoundary } from './traffic.ts'

const aws = useEmulators()
const settings = { BatchSize: 10, MaximumBatchingWindowInSeconds: 0, MaximumRetryAttempts: -1, MaximumRecordAgeInSeconds: -1, BisectBatchOnFunctionError: false, ReportBatchItemFailures: true }

describe('event source mapping and resharding', () => {
  it('delivers all of a split shard before any of its children, and finds the children on its own', async () => {
    const streamName = uniqueName('resharding')
    const streamArn = await createStream(aws.kinesis, streamName, 1)
    const put = (from: number, to: number) =>
      aws.kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: Array.from({ length: to - from }, (_, i) => ({ PartitionKey: 'one-key', Data: Buffer.from(String(from + i)) })) }))
    await put(0, 60)
    const delivered: Array<{ shardId: string; value: number }> = []
    const source = await startEventSource({
      client: aws.kinesis,
      streamName,
      streamArn,
      region: 'us-east-1',
      settings,
      idlePollMs: 20,
      shardDiscoveryMs: 50,
      invoke: async (event: KinesisStreamEvent) => {
        await sleep(30) // slow enough that the parent still has a backlog when its children fill
        for (const r of event.Records) delivered.push({ shardId: r.eventID.split(':')[0]!, value: Number(Buffer.from(r.kinesis.data, 'base64').toString()) })
      },
      onDeadLetter: () => {},
    })
    await aws.kinesis.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: source.shardIds[0]!, NewStartingHashKey: laneBoundary(1, 2).toString() }))
    await sleep(50)
    await put(60, 120)
    for (let i = 0; i < 200 && delivered.length < 120; i++) await sleep(25)
    await source.stop()

    expect(source.shardIds).toHaveLength(3)
    expect(delivered.map((d) => d.value)).toEqual(Array.from({ length: 120 }, (_, i) => i))
    const child = source.shardIds[hashKeyOf('one-key') < laneBoundary(1, 2) ? 1 : 2]
    expect(new Set(delivered.slice(60).map((d) => d.shardId))).toEqual(new Set([child]))
    expect(delivered.findIndex((d) => d.shardId !== source.shardIds[0])).toBeGreaterThanOrEqual(60)
  })
})
