/**
 * DynamoDB and Kinesis in-process: dynalite and kinesalite, in memory unless `dataDir` is given,
 * on random free loopback ports unless told otherwise, with no CREATING/DELETING/UPDATING delays.
 *
 * dynalite has no transactions (TransactWriteItems, TransactGetItems → UnknownOperationException),
 * no UpdateTimeToLive, and ignores ReturnValuesOnConditionCheckFailure; it does report
 * ConsumedCapacity. Vigil's commit uses conditional writes only (README, "Exactly once"), so none
 * of that is needed and none of it is emulated: `dynamoEndpoint` is dynalite itself, and what it
 * lacks is pinned by test/integration/emulators.test.ts.
 *
 * Tables and streams are derived from `lib/table-schema.ts` (keys) and the caller's names, never
 * restated here.
 */
import { mkdirSync } from 'node:fs'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  type AttributeDefinition,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type TableDescription,
} from '@aws-sdk/client-dynamodb'
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ResourceInUseException as StreamInUseException,
  type KinesisClient,
} from '@aws-sdk/client-kinesis'
import dynalite from 'dynalite'
import kinesalite from 'kinesalite'
import { tableSchemas, type KeyAttribute, type TableKey, type TableSchema } from '../lib/table-schema.ts'
import { listenOn } from './listen.ts'

export interface EmulatorOptions {
  /** Port of `dynamoEndpoint`; 0 (default) picks a free one. */
  readonly dynamoPort?: number
  /** Port of `kinesisEndpoint`; 0 (default) picks a free one. */
  readonly kinesisPort?: number
  /** Interface to listen on; default 127.0.0.1 (loopback only). */
  readonly host?: string
  /** LevelDB directory for both stores (subfolders `dynamodb`, `kinesis`); in memory when absent. */
  readonly dataDir?: string
}

export interface Emulators {
  /** DynamoDB API (dynalite), e.g. `http://127.0.0.1:53121`. */
  readonly dynamoEndpoint: string
  /** Kinesis API (HTTP/1.1 only: use `NodeHttpHandler`, see functions/aws/clients.ts). */
  readonly kinesisEndpoint: string
  /** Closes the servers and their stores; in-memory data is gone. Idempotent. */
  stop(): Promise<void>
}

export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const host = options.host ?? '127.0.0.1'
  if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true })
  const path = (name: string) => (options.dataDir === undefined ? {} : { path: join(options.dataDir, name) })

  const started: Array<() => Promise<void>> = []
  const stopAll = async () => {
    const stops = started.splice(0).reverse()
    for (const stop of stops) await stop()
  }
  try {
    const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...path('dynamodb') })
    const dynamoAddress = await listen(dynamo, options.dynamoPort ?? 0, host)
    started.push(() => close(dynamo))
    const dynamoEndpoint = endpointUrl(host, dynamoAddress.port)

    const kinesis = kinesalite({
      createStreamMs: 0,
      deleteStreamMs: 0,
      updateStreamMs: 0,
      shardLimit: 10_000,
      ...path('kinesis'),
    })
    const kinesisAddress = await listen(kinesis, options.kinesisPort ?? 0, host)
    started.push(() => close(kinesis))
    const kinesisEndpoint = endpointUrl(host, kinesisAddress.port)

    let stopping: Promise<void> | undefined
    return { dynamoEndpoint, kinesisEndpoint, stop: () => (stopping ??= stopAll()) }
  } catch (error) {
    await stopAll().catch(() => {})
    throw error
  }
}

/** The KeySchema and AttributeDefinitions of a table, from its schema. */
export function keyDefinition(schema: TableSchema): {
  KeySchema: KeySchemaElement[]
  AttributeDefinitions: AttributeDefinition[]
  GlobalSecondaryIndexes?: GlobalSecondaryIndex[]
} {
  const keySchema = (partitionKey: KeyAttribute, sortKey?: KeyAttribute): KeySchemaElement[] => [
    { AttributeName: partitionKey.name, KeyType: 'HASH' },
    ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: 'RANGE' as const }] : []),
  ]
  const attributes = new Map<string, KeyAttribute>()
  for (const key of [schema.partitionKey, schema.sortKey, ...(schema.indexes ?? []).flatMap((i) => [i.partitionKey, i.sortKey])]) {
    if (key) attributes.set(key.name, key)
  }
  return {
    KeySchema: keySchema(schema.partitionKey, schema.sortKey),
    AttributeDefinitions: [...attributes.values()].map((key) => ({ AttributeName: key.name, AttributeType: key.type })),
    ...(schema.indexes?.length
      ? { GlobalSecondaryIndexes: schema.indexes.map((i) => ({ IndexName: i.name, KeySchema: keySchema(i.partitionKey, i.sortKey), Projection: { ProjectionType: 'ALL' } })) }
      : {}),
  }
}

/**
 * Creates the named tables (keys from `tableSchemas`, PAY_PER_REQUEST) and waits until they are
 * ACTIVE. A table that already exists (a restart on `dataDir`) is kept if its keys match, else this
 * throws. TTL is not enabled: dynalite has no UpdateTimeToLive and never expires items, so readers
 * must (and do, per lib/table-schema.ts) ignore expired items themselves.
 */
export async function createTables(client: DynamoDBClient, names: Partial<Record<TableKey, string>>): Promise<void> {
  const entries = Object.entries(names).filter((entry): entry is [TableKey, string] => entry[1] !== undefined)
  await Promise.all(
    entries.map(async ([key, TableName]) => {
      const definition = keyDefinition(tableSchemas[key])
      try {
        await client.send(new CreateTableCommand({ TableName, BillingMode: 'PAY_PER_REQUEST', ...definition }))
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error
      }
      const table = await waitFor(`table ${TableName} ACTIVE`, async () => {
        const { Table } = await client.send(new DescribeTableCommand({ TableName }))
        return Table?.TableStatus === 'ACTIVE' ? Table : undefined
      })
      assertKeys(TableName, table, definition.KeySchema)
    }),
  )
}

/** `{ VIGIL_DECISIONS_TABLE: name, ... }` for the named tables: the environment a Lambda gets. */
export function tableEnvironment(names: Partial<Record<TableKey, string>>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, name] of Object.entries(names) as Array<[TableKey, string | undefined]>) {
    if (name !== undefined) env[tableSchemas[key].envVar] = name
  }
  return env
}

/**
 * Creates a stream with `shardCount` shards (kept if it already exists) and waits until it is
 * ACTIVE. Returns its ARN. kinesalite has no server-side encryption (StartStreamEncryption) and no
 * on-demand mode: the local stream is provisioned and unencrypted.
 */
export async function createStream(client: KinesisClient, name: string, shardCount: number): Promise<string> {
  try {
    await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }))
  } catch (error) {
    if (!(error instanceof StreamInUseException)) throw error
  }
  return waitFor(`stream ${name} ACTIVE`, async () => {
    const { StreamDescriptionSummary: summary } = await client.send(
      new DescribeStreamSummaryCommand({ StreamName: name }),
    )
    return summary?.StreamStatus === 'ACTIVE' ? summary.StreamARN : undefined
  })
}

async function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  // dynalite and kinesalite rethrow a request's 'error': a request cut short (a client gone, or
  // close() ending a busy connection when the runtime stops) would be an uncaught exception.
  // Nothing is left to answer then, so their handlers run with that listener swapped for a no-op.
  const handlers = server.listeners('request') as Array<(request: IncomingMessage, response: ServerResponse) => void>
  server.removeAllListeners('request')
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    for (const handler of handlers) handler.call(server, request, response)
    request.removeAllListeners('error')
    request.on('error', () => {})
  })
  return listenOn(server, port, host)
}

/** Closes a server: idle keep-alive sockets at once, busy ones after a short grace period. */
async function close(server: Server): Promise<void> {
  if (!server.listening) return
  const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
  server.closeIdleConnections()
  const force = setTimeout(() => server.closeAllConnections(), 1_000)
  force.unref()
  try {
    await closed
  } finally {
    clearTimeout(force)
  }
}

function endpointUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(delay)
  }
}

function assertKeys(tableName: string, table: TableDescription, expected: KeySchemaElement[]): void {
  const actual = JSON.stringify((table.KeySchema ?? []).map((k) => [k.AttributeName, k.KeyType]))
  const wanted = JSON.stringify(expected.map((k) => [k.AttributeName, k.KeyType]))
  if (actual !== wanted) throw new Error(`table ${tableName} exists with keys ${actual}, expected ${wanted}`)
}
