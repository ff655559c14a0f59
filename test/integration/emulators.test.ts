/**
 * The embedded emulators, through the real SDK v3 clients over HTTP. Besides proving the harness,
 * these tests pin what dynalite 4.0.0 and kinesalite 3.3.3 actually do where they differ from AWS,
 * as assertions: an upgrade that changes the behaviour fails here and says so.
 *
 * Findings (dynalite 4.0.0, kinesalite 3.3.3, SDK v3.1143+/3.1169):
 * - ReturnConsumedCapacity: reported, sized like AWS (writes 1 unit per started KB of the larger
 *   of old and new item; reads 4 KB units, eventually consistent half; absent keys 0.5). INDEXES
 *   adds `Table.CapacityUnits` but no Read/WriteCapacityUnits split. None on a failed condition.
 * - TransactWriteItems / TransactGetItems: absent (400 UnknownOperationException, SDK message
 *   "UnknownError"). Vigil does not use them (conditional writes only, README "Exactly once").
 * - ReturnValuesOnConditionCheckFailure: accepted and ignored; the exception has no `Item`.
 * - ConditionalCheckFailedException: 400, the SDK's modeled class, "The conditional request failed".
 * - UpdateTimeToLive: absent; DescribeTimeToLive says DISABLED; items never expire.
 * - Reserved words in expressions and table-name rules (3–255 chars) are enforced, as on AWS.
 * - kinesalite is HTTP/1.1 only: the Kinesis client's default NodeHttp2Handler fails with
 *   ERR_HTTP2_ERROR; functions/aws/clients.ts switches to NodeHttpHandler for endpoint overrides.
 * - kinesalite: no StartStreamEncryption, no on-demand mode, ListShards without pagination; an
 *   empty GetRecords on a closed shard may still return an iterator (the poller reads on).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb'
import {
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListStreamsCommand,
  PutRecordsCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis'
import type { KinesisStreamEvent } from 'aws-lambda'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createDynamoDbClient } from '../../functions/aws/clients.ts'
import { createKinesisClient } from '../../functions/aws/kinesis-client.ts'
import { tableSchemas, type TableKey } from '../../lib/table-schema.ts'
import { createStream, createTables, startEmulators, tableEnvironment } from '../../local/emulators.ts'
import { uniqueName, useEmulators } from '../support/emulators.ts'
import { KinesisPoller } from '../support/kinesis-poller.ts'

const aws = useEmulators()

/** Every table, uniquely named. */
function tableNames(): Record<TableKey, string> {
  const names = {} as Record<TableKey, string>
  for (const key of Object.keys(tableSchemas) as TableKey[]) names[key] = uniqueName(key)
  return names
}

async function rejection(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection')
}

describe('DynamoDB', () => {
  it('creates every table from tableSchemas with its keys, on demand and ACTIVE', async () => {
    const names = tableNames()
    await createTables(aws.dynamo, names)
    for (const [key, schema] of Object.entries(tableSchemas) as Array<[TableKey, (typeof tableSchemas)[TableKey]]>) {
      const { Table } = await aws.dynamo.send(new DescribeTableCommand({ TableName: names[key] }))
      const expectedKeys = [
        { AttributeName: schema.partitionKey.name, KeyType: 'HASH' },
        ...('sortKey' in schema ? [{ AttributeName: schema.sortKey.name, KeyType: 'RANGE' }] : []),
      ]
      expect(Table?.KeySchema).toEqual(expectedKeys)
      const indexKeys = ('indexes' in schema ? schema.indexes : []).flatMap((i) => [i.partitionKey.name, ...(i.sortKey ? [i.sortKey.name] : [])])
      expect(Table?.AttributeDefinitions).toEqual(
        [...new Set([...expectedKeys.map((k) => k.AttributeName), ...indexKeys])].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
      )
      expect((Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName)).toEqual('indexes' in schema ? schema.indexes.map((i) => i.name) : [])
      expect(Table?.TableStatus).toBe('ACTIVE')
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST')
    }
    expect(tableEnvironment(names)).toEqual({
      VIGIL_DECISIONS_TABLE: names.decisions,
      VIGIL_ENTITY_STATE_TABLE: names.entityState,
      VIGIL_RULES_TABLE: names.rules,
      VIGIL_QUARANTINE_TABLE: names.quarantine,
      VIGIL_CASES_TABLE: names.cases,
      VIGIL_LABELS_TABLE: names.labels,
    })
    // Idempotent on a matching table (a restart on a dataDir).
    await createTables(aws.dynamo, { rules: names.rules })
    // But a name already used with other keys is an error, not silently reused.
    await expect(createTables(aws.dynamo, { rules: names.decisions })).rejects.toThrow(/expected/)
  })

  it('serves PutItem, GetItem and BatchGetItem', async () => {
    const names = tableNames()
    await createTables(aws.dynamo, { entityState: names.entityState, rules: names.rules })
    await aws.dynamo.send(
      new PutItemCommand({
        TableName: names.entityState,
        Item: { entityKey: { S: 'card#tok_1' }, count: { N: '3' }, city: { S: 'Zürich' } },
      }),
    )
    await aws.dynamo.send(
      new PutItemCommand({
        TableName: names.rules,
        Item: { pk: { S: 'ruleset' }, sk: { S: 'active' }, version: { N: '42' } },
      }),
    )
    const { Item } = await aws.dynamo.send(
      new GetItemCommand({ TableName: names.entityState, Key: { entityKey: { S: 'card#tok_1' } } }),
    )
    expect(Item).toEqual({ entityKey: { S: 'card#tok_1' }, count: { N: '3' }, city: { S: 'Zürich' } })

    const batch = await aws.dynamo.send(
      new BatchGetItemCommand({
        RequestItems: {
          [names.entityState]: { Keys: [{ entityKey: { S: 'card#tok_1' } }, { entityKey: { S: 'card#absent' } }] },
          [names.rules]: { Keys: [{ pk: { S: 'ruleset' }, sk: { S: 'active' } }] },
        },
      }),
    )
    expect(batch.Responses?.[names.entityState]).toEqual([Item])
    expect(batch.Responses?.[names.rules]).toEqual([{ pk: { S: 'ruleset' }, sk: { S: 'active' }, version: { N: '42' } }])
    expect(batch.UnprocessedKeys).toEqual({})
  })

  it('fails a second attribute_not_exists put with ConditionalCheckFailedException', async () => {
    const { decisions } = tableNames()
    await createTables(aws.dynamo, { decisions })
    const put = () =>
      aws.dynamo.send(
        new PutItemCommand({
          TableName: decisions,
          Item: { transactionId: { S: 'txn-1' }, outcome: { S: 'approve' } },
          ConditionExpression: 'attribute_not_exists(transactionId)',
        }),
      )
    await put()
    const error = await rejection(put())
    // What dynalite returns: HTTP 400, __type ...#ConditionalCheckFailedException, the SDK's modeled class.
    expect(error).toBeInstanceOf(ConditionalCheckFailedException)
    expect(error.name).toBe('ConditionalCheckFailedException')
    expect(error.message).toBe('The conditional request failed')
    expect(error.$metadata?.httpStatusCode).toBe(400)
    expect((error as ConditionalCheckFailedException).Item).toBeUndefined()
  })

  it('reports consumed capacity (dynalite computes units like DynamoDB)', async () => {
    const { entityState } = tableNames()
    await createTables(aws.dynamo, { entityState })
    const Key = { entityKey: { S: 'card#cap' } }
    const put = await aws.dynamo.send(
      new PutItemCommand({ TableName: entityState, Item: { ...Key, n: { N: '1' } }, ReturnConsumedCapacity: 'TOTAL' }),
    )
    expect(put.ConsumedCapacity).toEqual({ TableName: entityState, CapacityUnits: 1 })
    const eventual = await aws.dynamo.send(new GetItemCommand({ TableName: entityState, Key, ReturnConsumedCapacity: 'TOTAL' }))
    expect(eventual.ConsumedCapacity).toEqual({ TableName: entityState, CapacityUnits: 0.5 })
    const strong = await aws.dynamo.send(
      new GetItemCommand({ TableName: entityState, Key, ReturnConsumedCapacity: 'TOTAL', ConsistentRead: true }),
    )
    expect(strong.ConsumedCapacity).toEqual({ TableName: entityState, CapacityUnits: 1 })
    const batch = await aws.dynamo.send(
      new BatchGetItemCommand({ RequestItems: { [entityState]: { Keys: [Key] } }, ReturnConsumedCapacity: 'TOTAL' }),
    )
    expect(batch.ConsumedCapacity).toEqual([{ TableName: entityState, CapacityUnits: 0.5 }])
    // A key that is absent still costs its 0.5 unit, as on AWS.
    const withAbsent = await aws.dynamo.send(
      new BatchGetItemCommand({
        RequestItems: { [entityState]: { Keys: [Key, { entityKey: { S: 'card#absent' } }] } },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    )
    expect(withAbsent.ConsumedCapacity).toEqual([{ TableName: entityState, CapacityUnits: 1 }])
    // INDEXES adds the per-table breakdown (no ReadCapacityUnits/WriteCapacityUnits split, unlike AWS).
    const indexes = await aws.dynamo.send(
      new PutItemCommand({ TableName: entityState, Item: { ...Key, n: { N: '2' } }, ReturnConsumedCapacity: 'INDEXES' }),
    )
    expect(indexes.ConsumedCapacity).toEqual({ TableName: entityState, CapacityUnits: 1, Table: { CapacityUnits: 1 } })
    // Sized like AWS: 1 write unit per started KB, of the larger of the old and the new item.
    const big = { ...Key, payload: { S: 'x'.repeat(3000) } }
    const bigPut = await aws.dynamo.send(new PutItemCommand({ TableName: entityState, Item: big, ReturnConsumedCapacity: 'TOTAL' }))
    expect(bigPut.ConsumedCapacity?.CapacityUnits).toBe(3)
    const shrink = await aws.dynamo.send(
      new UpdateItemCommand({ TableName: entityState, Key, UpdateExpression: 'REMOVE payload', ReturnConsumedCapacity: 'TOTAL' }),
    )
    expect(shrink.ConsumedCapacity?.CapacityUnits).toBe(3)
    // A failed condition carries no ConsumedCapacity (nor does it on AWS): count it yourself.
    const failed = await rejection(
      aws.dynamo.send(
        new PutItemCommand({
          TableName: entityState,
          Item: Key,
          ConditionExpression: 'attribute_not_exists(entityKey)',
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    )
    expect(failed).toBeInstanceOf(ConditionalCheckFailedException)
    expect((failed as unknown as Record<string, unknown>).ConsumedCapacity).toBeUndefined()
  })

  describe('what dynalite lacks', () => {
    it('has no TransactWriteItems / TransactGetItems: UnknownOperationException', async () => {
      const { decisions } = tableNames()
      await createTables(aws.dynamo, { decisions })
      const write = await rejection(
        aws.dynamo.send(
          new TransactWriteItemsCommand({
            TransactItems: [{ Put: { TableName: decisions, Item: { transactionId: { S: 'x' } } } }],
          }),
        ),
      )
      expect(write.name).toBe('UnknownOperationException')
      expect(write.$metadata?.httpStatusCode).toBe(400)
      const read = await rejection(
        aws.dynamo.send(new TransactGetItemsCommand({ TransactItems: [{ Get: { TableName: decisions, Key: { transactionId: { S: 'x' } } } }] })),
      )
      expect(read.name).toBe('UnknownOperationException')
    })

    it('accepts but ignores ReturnValuesOnConditionCheckFailure (no Item on the exception)', async () => {
      const { decisions } = tableNames()
      await createTables(aws.dynamo, { decisions })
      const Item = { transactionId: { S: 'txn-1' }, outcome: { S: 'block' } }
      await aws.dynamo.send(new PutItemCommand({ TableName: decisions, Item }))
      const error = await rejection(
        aws.dynamo.send(
          new PutItemCommand({
            TableName: decisions,
            Item: { transactionId: { S: 'txn-1' }, outcome: { S: 'approve' } },
            ConditionExpression: 'attribute_not_exists(transactionId)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      )
      expect(error).toBeInstanceOf(ConditionalCheckFailedException)
      expect((error as ConditionalCheckFailedException).Item).toBeUndefined() // AWS would return Item
    })

    it('has no UpdateTimeToLive (DescribeTimeToLive says DISABLED) and never expires items', async () => {
      const { decisions } = tableNames()
      await createTables(aws.dynamo, { decisions })
      const error = await rejection(
        aws.dynamo.send(
          new UpdateTimeToLiveCommand({
            TableName: decisions,
            TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
          }),
        ),
      )
      expect(error.name).toBe('UnknownOperationException')
      const ttl = await aws.dynamo.send(new DescribeTimeToLiveCommand({ TableName: decisions }))
      expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe('DISABLED')
      const Item = { transactionId: { S: 'expired' }, expiresAt: { N: '1' } } // 1970
      await aws.dynamo.send(new PutItemCommand({ TableName: decisions, Item }))
      const read = await aws.dynamo.send(new GetItemCommand({ TableName: decisions, Key: { transactionId: { S: 'expired' } } }))
      expect(read.Item).toEqual(Item) // readers must skip expired items themselves (as on AWS, before the sweep)
    })
  })

  it('keeps data across a restart on a dataDir', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-emulators-'))
    try {
      const Item = { transactionId: { S: 'txn-persisted' } }
      const first = await startEmulators({ dataDir })
      const a = createDynamoDbClient({ ...aws.clientConfig('dynamo'), endpoint: first.dynamoEndpoint })
      await createTables(a, { decisions: 'decisions-persisted' })
      await a.send(new PutItemCommand({ TableName: 'decisions-persisted', Item }))
      a.destroy()
      await first.stop()

      const second = await startEmulators({ dataDir })
      const b = createDynamoDbClient({ ...aws.clientConfig('dynamo'), endpoint: second.dynamoEndpoint })
      await createTables(b, { decisions: 'decisions-persisted' }) // exists: kept
      const { Item: read } = await b.send(
        new GetItemCommand({ TableName: 'decisions-persisted', Key: { transactionId: { S: 'txn-persisted' } } }),
      )
      expect(read).toEqual(Item)
      b.destroy()
      await second.stop()
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})

describe('Kinesis', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
  })

  it("needs HTTP/1.1: the SDK's default HTTP/2 handler fails against kinesalite", async () => {
    const plain = new KinesisClient({ ...aws.clientConfig('kinesis'), maxAttempts: 1 })
    const error = await rejection(plain.send(new ListStreamsCommand({})))
    expect((error as Error & { code?: string }).code).toBe('ERR_HTTP2_ERROR')
    plain.destroy()
    const viaFactory = createKinesisClient(aws.clientConfig('kinesis'))
    await expect(viaFactory.send(new ListStreamsCommand({}))).resolves.toHaveProperty('StreamNames')
    viaFactory.destroy()
  })

  it('takes the endpoint from AWS_ENDPOINT_URL_KINESIS (and then speaks HTTP/1.1)', async () => {
    const name = uniqueName('env')
    await createStream(aws.kinesis, name, 1)
    vi.stubEnv('AWS_ENDPOINT_URL', 'http://127.0.0.1:9') // the per-service variable wins
    vi.stubEnv('AWS_ENDPOINT_URL_KINESIS', aws.endpoints.kinesis)
    vi.stubEnv('AWS_ACCESS_KEY_ID', '')
    vi.stubEnv('AWS_REGION', '')
    vi.stubEnv('AWS_DEFAULT_REGION', '')
    // No explicit config: a loopback endpoint gets dummy credentials and us-east-1.
    const client = createKinesisClient()
    const { StreamNames } = await client.send(new ListStreamsCommand({}))
    expect(StreamNames).toContain(name)
    client.destroy()
  })

  async function streamWithRecords(count: number) {
    const name = uniqueName('txns')
    const arn = await createStream(aws.kinesis, name, 2)
    const sent = Array.from({ length: count }, (_, i) => ({
      partitionKey: `card-${i % 7}`,
      text: JSON.stringify({ i, merchant: i % 3 === 0 ? 'Café Müller — 東京 🍣' : 'plain' }),
    }))
    const put = await aws.kinesis.send(
      new PutRecordsCommand({
        StreamName: name,
        Records: sent.map((r) => ({ PartitionKey: r.partitionKey, Data: new TextEncoder().encode(r.text) })),
      }),
    )
    expect(put.FailedRecordCount).toBe(0)
    const records = sent.map((r, i) => {
      const result = put.Records?.[i]
      return { ...r, shardId: result?.ShardId ?? '', sequenceNumber: result?.SequenceNumber ?? '' }
    })
    return { name, arn, records }
  }

  const decode = (event: KinesisStreamEvent) =>
    event.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString('utf8'))

  it('delivers every record once, in per-shard order, in the Lambda event shape', async () => {
    const { name, arn, records } = await streamWithRecords(60)
    const shards = new Set(records.map((r) => r.shardId))
    expect(shards.size).toBe(2) // the partition keys spread over both shards

    const poller = new KinesisPoller({ client: aws.kinesis, streamName: name })
    expect(await poller.streamArn()).toBe(arn)
    expect(await poller.shardIds()).toEqual(['shardId-000000000000', 'shardId-000000000001'])
    const events = await poller.drain(25)
    expect(events.length).toBeGreaterThanOrEqual(3) // batches of at most 25, per shard
    for (const event of events) {
      expect(event.Records.length).toBeLessThanOrEqual(25)
      expect(new Set(event.Records.map((r) => r.eventID.split(':')[0])).size).toBe(1) // one shard per event
    }

    const delivered = events.flatMap((e) => e.Records)
    expect(delivered).toHaveLength(records.length)
    expect(new Set(delivered.map((r) => r.eventID)).size).toBe(records.length)
    for (const shardId of shards) {
      const expected = records.filter((r) => r.shardId === shardId)
      const got = delivered.filter((r) => r.eventID.startsWith(`${shardId}:`))
      expect(got.map((r) => r.kinesis.sequenceNumber)).toEqual(expected.map((r) => r.sequenceNumber))
      expect(got.map((r) => Buffer.from(r.kinesis.data, 'base64').toString('utf8'))).toEqual(expected.map((r) => r.text))
      const numbers = got.map((r) => BigInt(r.kinesis.sequenceNumber))
      expect(numbers).toEqual([...numbers].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
    }

    const first = delivered.find((r) => r.kinesis.sequenceNumber === records[0]?.sequenceNumber)
    expect(first).toEqual({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'card-0',
        sequenceNumber: records[0]?.sequenceNumber,
        data: Buffer.from(records[0]?.text ?? '', 'utf8').toString('base64'),
        approximateArrivalTimestamp: expect.any(Number),
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${records[0]?.shardId}:${records[0]?.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/vigil-local-score',
      awsRegion: 'us-east-1',
      eventSourceARN: arn,
    })
    // Seconds with a fractional part, as Lambda sends (not milliseconds, not an ISO string).
    expect(Math.abs((first?.kinesis.approximateArrivalTimestamp ?? 0) - Date.now() / 1000)).toBeLessThan(60)
    expect(decode({ Records: delivered }).filter((t) => t.includes('Café Müller — 東京 🍣'))).toHaveLength(20)

    expect(await poller.poll(25)).toEqual([]) // drained
  })

  it('rewinds and seeks to replay from a sequence number, and picks up later records', async () => {
    const { name, records } = await streamWithRecords(30)
    const poller = new KinesisPoller({ client: aws.kinesis, streamName: name })
    await poller.drain()
    const shardId = records[0]?.shardId ?? ''
    const onShard = records.filter((r) => r.shardId === shardId)
    expect(onShard.length).toBeGreaterThan(3)

    // Replay after the second record (as after a batch whose first two records succeeded).
    await poller.rewind(shardId, onShard[1]?.sequenceNumber)
    const after = await poller.pollShard(shardId, 100)
    expect(after?.Records.map((r) => r.kinesis.sequenceNumber)).toEqual(onShard.slice(2).map((r) => r.sequenceNumber))

    // Retry from a failed record itself (a partial batch response's itemIdentifier).
    await poller.seek(shardId, onShard[2]?.sequenceNumber ?? '')
    const at = await poller.pollShard(shardId, 2)
    expect(at?.Records.map((r) => r.kinesis.sequenceNumber)).toEqual(onShard.slice(2, 4).map((r) => r.sequenceNumber))
    expect(await poller.position(shardId)).toEqual({
      type: 'AFTER_SEQUENCE_NUMBER',
      sequenceNumber: onShard[3]?.sequenceNumber,
    })

    // From the start of the shard.
    await poller.rewind(shardId)
    const all = await poller.pollShard(shardId, 1000)
    expect(all?.Records).toHaveLength(onShard.length)

    // An empty poll does not skip records put afterwards.
    expect(await poller.poll()).toEqual([])
    await aws.kinesis.send(
      new PutRecordsCommand({ StreamName: name, Records: [{ PartitionKey: 'card-0', Data: new TextEncoder().encode('late') }] }),
    )
    const late = await poller.poll()
    expect(late.flatMap(decode)).toEqual(['late'])

    await expect(poller.seek(shardId, '123')).rejects.toThrow()
  })

  it('reads a split shard to its end before its children, so per-key order survives a reshard', async () => {
    const name = uniqueName('reshard')
    await createStream(aws.kinesis, name, 1)
    const put = (texts: string[]) =>
      aws.kinesis.send(
        new PutRecordsCommand({
          StreamName: name,
          Records: texts.map((t) => ({ PartitionKey: 'card-1', Data: new TextEncoder().encode(t) })),
        }),
      )
    await put(['a1', 'a2', 'a3'])
    const poller = new KinesisPoller({ client: aws.kinesis, streamName: name })
    expect((await poller.poll(2)).flatMap(decode)).toEqual(['a1', 'a2']) // parent partly read

    await aws.kinesis.send(
      new SplitShardCommand({
        StreamName: name,
        ShardToSplit: 'shardId-000000000000',
        NewStartingHashKey: (2n ** 127n).toString(),
      }),
    )
    for (;;) {
      const { StreamDescriptionSummary: s } = await aws.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))
      if (s?.StreamStatus === 'ACTIVE') break
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await put(['b1', 'b2'])
    const rest = await poller.drain(100)
    expect(rest.flatMap(decode)).toEqual(['a3', 'b1', 'b2'])
    expect(await poller.shardIds()).toEqual(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002'])
  })
})
