/**
 * The local runtime behind `npm start`, driven in-process on random ports without traffic: its
 * tables and stream match the synthesized template, transactions put with the real Kinesis client
 * flow through the emulated event source mapping and the scorer, a decision is served by the
 * analyst API over HTTP with a dev token, a malformed record is quarantined, a card-testing burst
 * opens a case through the Step Functions endpoint and the synthesized workflow. Then the CLI
 * command prints its ready line and stops on its signal.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DescribeTableCommand, GetItemCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DescribeStreamSummaryCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { start } from '../../cli/commands/start.ts'
import { createDynamoDbClient, localCredentials, localRegion } from '../../functions/aws/clients.ts'
import { createKinesisClient } from '../../functions/aws/kinesis-client.ts'
import { caseId } from '../../functions/aws/escalation.ts'
import { tableSchemas, type TableKey } from '../../lib/table-schema.ts'
import { createStream } from '../../local/emulators.ts'
import { startEventSource, type DeadLetter } from '../../local/event-source.ts'
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime.ts'
import { runVigil } from '../support/cli.ts'
import { logisticModel } from '../support/synthetic-model.ts'
import { synth } from '../support/synth.ts'
import { wireExample, withLuhnDigit } from '../support/transactions.ts'

const stateDir = mkdtempSync(join(tmpdir(), 'vigil-runtime-'))
const randomPorts = { dynamodbPort: 0, kinesisPort: 0, apiPort: 0, stepFunctionsPort: 0 } as const
let runtime: LocalRuntime
let dynamo: DynamoDBClient
let kinesis: KinesisClient
const lines: string[] = []

beforeAll(async () => {
  runtime = await startLocalRuntime({ ...randomPorts, traffic: false, stateDir, summaryIntervalMs: 500, labelSweepIntervalMs: 300, log: (line) => lines.push(line) })
  const config = (endpoint: string) => ({ endpoint, region: localRegion, credentials: { ...localCredentials } })
  dynamo = createDynamoDbClient(config(runtime.endpoints.dynamodb))
  kinesis = createKinesisClient(config(runtime.endpoints.kinesis))
}, 60_000)

afterAll(async () => {
  dynamo?.destroy()
  kinesis?.destroy()
  await runtime?.stop()
  rmSync(stateDir, { recursive: true, force: true })
})

async function api(path: string, token = runtime.token) {
  const response = await fetch(`${runtime.endpoints.api}${path}`, { headers: { authorization: `Bearer ${token}` } })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : undefined }
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function put(records: Array<{ data: string; key: string }>) {
  const out = await kinesis.send(
    new PutRecordsCommand({ StreamName: runtime.names.stream, Records: records.map((r) => ({ Data: Buffer.from(r.data), PartitionKey: r.key })) }),
  )
  expect(out.FailedRecordCount ?? 0).toBe(0)
}

describe('the local runtime', () => {
  it('creates the tables and the stream the synthesized template defines', async () => {
    const { stack, json, logicalId } = synth()
    const keys = (k: Array<{ AttributeName?: string; KeyType?: string }> | undefined) => (k ?? []).map((e) => [e.AttributeName, e.KeyType])
    for (const key of Object.keys(tableSchemas) as TableKey[]) {
      const expected = json.Resources[logicalId(stack.tables[key])]!.Properties
      const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: runtime.names.tables[key] }))
      expect(keys(Table?.KeySchema), key).toEqual(keys(expected.KeySchema))
      const attributes = (a: Array<{ AttributeName?: string; AttributeType?: string }> | undefined) =>
        (a ?? []).map((e) => `${e.AttributeName}:${e.AttributeType}`).sort()
      expect(attributes(Table?.AttributeDefinitions), key).toEqual(attributes(expected.AttributeDefinitions))
      const indexes = (list: Array<{ IndexName?: string; KeySchema?: Array<{ AttributeName?: string; KeyType?: string }> }> | undefined) =>
        (list ?? []).map((i) => ({ name: i.IndexName, keys: keys(i.KeySchema) }))
      expect(indexes(Table?.GlobalSecondaryIndexes), key).toEqual(indexes(expected.GlobalSecondaryIndexes))
    }
    expect(runtime.names.tables.cases).toBe('vigil-cases')

    const stream = json.Resources[logicalId(stack.ingest.stream)]!.Properties
    const { StreamDescriptionSummary: summary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: runtime.names.stream }))
    const shards = stream.StreamModeDetails?.StreamMode === 'ON_DEMAND' ? 2 : stream.ShardCount
    expect(summary?.OpenShardCount).toBe(shards)
    expect(runtime.names.shards).toHaveLength(shards)
  })

  it('scores a transaction put on the stream, serves its decision over HTTP and quarantines a malformed record', async () => {
    const id = `tx-local-${Date.now()}`
    const txn = wireExample({ transactionId: id, occurredAt: new Date().toISOString() })
    await put([
      { data: JSON.stringify(txn), key: 'card-a' },
      { data: '{"transactionId":"broken", "amount": ', key: 'card-b' },
    ])

    const served = await eventually('the decision over HTTP', async () => {
      const response = await api(`/transactions/${id}/decision`)
      return response.status === 200 ? response.body : undefined
    })
    expect(served).toMatchObject({ decision: { transactionId: id, outcome: 'approve', ruleSetVersion: 1 } })
    expect(JSON.stringify(served)).not.toContain('4111111111111111')

    const quarantined = await eventually('the quarantined record', async () => {
      const { Items } = await dynamo.send(new ScanCommand({ TableName: runtime.names.tables.quarantine }))
      return Items && Items.length > 0 ? Items : undefined
    })
    expect(quarantined[0]?.code?.S).toBe('invalid_json')
    // The handler's EMF lines are what the runtime counts, as CloudWatch would.
    await eventually('the quarantine metric', async () => (runtime.stats().quarantined === 1 ? true : undefined))
    expect(runtime.stats()).toMatchObject({ quarantined: 1, quarantinedByReason: { invalid_json: 1 }, deadLetters: 0 })

    expect((await api(`/transactions/${id}/decision`, 'not-a-token')).status).toBe(401)
  })

  it('applies a label put on the labels stream to the label table, once, and keeps one for an unscored transaction waiting', async () => {
    const id = `tx-labeled-${Date.now()}`
    await put([{ data: JSON.stringify(wireExample({ transactionId: id, occurredAt: new Date().toISOString() })), key: 'card-l' }])
    await eventually('the decision', async () => ((await api(`/transactions/${id}/decision`)).status === 200 ? true : undefined))
    const label = { transactionId: id, fraud: true, reportedAt: new Date().toISOString(), source: 'chargeback' }
    const early = { transactionId: `${id}-not-yet`, fraud: true, reportedAt: new Date().toISOString(), source: 'issuer' }
    const out = await kinesis.send(
      new PutRecordsCommand({
        StreamName: runtime.names.labelStream,
        Records: [label, label, early].map((l) => ({ Data: Buffer.from(JSON.stringify(l)), PartitionKey: l.transactionId })),
      }),
    )
    expect(out.FailedRecordCount ?? 0).toBe(0)
    const item = await eventually('the label item', async () => {
      const { Item } = await dynamo.send(new GetItemCommand({ TableName: runtime.names.tables.labels, Key: { transactionId: { S: id } } }))
      return Item
    })
    expect(JSON.parse(item.standing!.S!)).toEqual(label)
    expect(JSON.parse(item.applied!.S!).map((a: { outcome: string }) => a.outcome)).toEqual(['accepted', 'duplicate'])
    const waiting = await eventually('the waiting label', async () => {
      const { Item } = await dynamo.send(new GetItemCommand({ TableName: runtime.names.tables.labels, Key: { transactionId: { S: early.transactionId } } }))
      return Item
    })
    expect(waiting.pending?.S).toBe('pending')
    expect(JSON.parse(waiting.waiting!.S!)).toEqual([early])

    // Its transaction arrives: the sweep sends the label again, and the applier applies it after the decision.
    await put([{ data: JSON.stringify(wireExample({ transactionId: early.transactionId, occurredAt: new Date().toISOString() })), key: 'card-l' }])
    const applied = await eventually('the waiting label applied', async () => {
      const { Item } = await dynamo.send(new GetItemCommand({ TableName: runtime.names.tables.labels, Key: { transactionId: { S: early.transactionId } } }))
      return Item?.standing ? Item : undefined
    })
    expect(JSON.parse(applied.standing!.S!)).toEqual(early)
    expect(applied.pending).toBeUndefined()
  })

  it('blocks a card-testing burst and opens a case, seen in GET /cases', async () => {
    const pan = withLuhnDigit(`5${String(Date.now()).slice(-14)}`)
    const base = Date.now() - 4 * 60_000
    const burst = [0, 1, 2, 3].map((i) =>
      wireExample({
        transactionId: `tx-burst-${base}-${i}`,
        occurredAt: new Date(base + i * 60_000).toISOString(),
        amount: 100 + i * 25,
        card: { pan },
        merchant: { id: `m-burst-${i}`, mcc: '5999', country: 'FR' },
      }),
    )
    await put(burst.map((t) => ({ data: JSON.stringify(t), key: pan })))

    const last = burst[3]!.transactionId
    const decision = await eventually('the burst decision', async () => {
      const response = await api(`/transactions/${last}/decision`)
      return response.status === 200 ? response.body : undefined
    })
    expect(decision.decision.outcome).toBe('block')
    expect(decision.decision.rules.find((r: { id: string }) => r.id === 'card-testing')).toMatchObject({ status: 'fired' })

    const id = caseId(last)
    const queued = await eventually('the case in the queue', async () => {
      const response = await api('/cases')
      return response.body?.items?.find((c: { caseId: string }) => c.caseId === id)
    })
    expect(queued).toMatchObject({ caseId: id, transactionId: last })
    await eventually('the opened case in the stats', async () => (runtime.stats().cases.opened >= 1 ? true : undefined))
    const stats = runtime.stats()
    expect(stats.decided.block).toBeGreaterThanOrEqual(1)
    expect(stats.topRules.find((r) => r.ruleId === 'card-testing')?.hits).toBeGreaterThanOrEqual(1)
    expect(stats.eventTimeToDecisionMs.samples).toBeGreaterThan(0)
    expect(lines.some((line) => line.startsWith('ready: '))).toBe(true)
    // (The labels test before this one opens a case too: its label flags the sample card and device.)
    const summary = await eventually('a summary line with the block and its case', async () => lines.findLast((line) => /cases opened [1-9]/.test(line) && /block [1-9]/.test(line)))
    expect(summary).toMatch(/decided \d+: approve \d+ review \d+ block [1-9]/)
    expect(summary).toMatch(/quarantined 1 \(invalid_json 1\)/)
    expect(summary).toMatch(/top rules .*card-testing [1-9]/)
    expect(lines.some((line) => line.includes('"_aws"'))).toBe(false)

    // What the handlers logged (a log group's worth) carries neither the workflow's input (the
    // tokenized card) nor the task token an analyst's verdict resumes it with.
    const taskToken = await eventually('the case waiting for its analyst', async () => {
      const { Item } = await dynamo.send(new GetItemCommand({ TableName: runtime.names.tables.cases, Key: { caseId: { S: id } }, ConsistentRead: true }))
      return Item?.taskToken?.S
    })
    const handlerLogs = readFileSync(runtime.lambdaLogFile, 'utf8')
    expect(handlerLogs).toContain(id)
    expect(handlerLogs).not.toContain(taskToken)
    expect(handlerLogs).not.toContain(queued.entity)
  })

  it('emulates the mapping: resumes from a reported record, bisects on errors, dead-letters what exhausts its retries', async () => {
    const name = `es-${Date.now()}`
    const arn = await createStream(kinesis, name, 1)
    const data = ['r0', 'r1', 'r2', 'poison', 'r4', 'r5']
    await kinesis.send(new PutRecordsCommand({ StreamName: name, Records: data.map((d) => ({ Data: Buffer.from(d), PartitionKey: 'one-shard' })) }))
    const decode = (r: { kinesis: { data: string } }) => Buffer.from(r.kinesis.data, 'base64').toString()
    const done: string[] = []
    const letters: DeadLetter[] = []
    let failedOnce = false
    const source = await startEventSource({
      client: kinesis,
      streamName: name,
      streamArn: arn,
      region: localRegion,
      settings: { BatchSize: 10, MaximumBatchingWindowInSeconds: 0, MaximumRetryAttempts: 2, MaximumRecordAgeInSeconds: -1, BisectBatchOnFunctionError: true, ReportBatchItemFailures: true },
      retryBaseMs: 1,
      idlePollMs: 20,
      invoke: async (event) => {
        const values = event.Records.map(decode)
        if (values.includes('poison')) throw new Error('poison pill')
        const r1 = values.indexOf('r1')
        if (r1 >= 0 && !failedOnce) {
          failedOnce = true
          done.push(...values.slice(0, r1))
          return { batchItemFailures: [{ itemIdentifier: event.Records[r1]!.kinesis.sequenceNumber }] }
        }
        done.push(...values)
        return { batchItemFailures: [] }
      },
      onDeadLetter: (letter) => letters.push(letter),
    })
    try {
      await eventually('every record settled', async () => (done.length + letters.length >= data.length ? true : undefined), 10_000)
    } finally {
      await source.stop()
    }
    expect(done).toEqual(['r0', 'r1', 'r2', 'r4', 'r5'])
    expect(letters).toHaveLength(1)
    expect(letters[0]).toMatchObject({ reason: 'RetryAttemptsExhausted', attempts: 2, lastError: 'poison pill', shardId: source.shardIds[0] })
  })

  it('runs a model shipped with the CLI: pushed, pinned in shadow by a new rule-set version, approved by a second supervisor, then explained in every decision', async () => {
    const model = logisticModel(['card_count_1h', 'txn_amount'], [0.5, 0.0002], -5)
    const file = join(stateDir, 'fraud.json')
    writeFileSync(file, JSON.stringify(model))
    const cli = (...args: string[]) => runVigil(process.env, 'model', ...args, '--api', runtime.endpoints.api, '--data-dir', stateDir)

    expect(await cli('push', '--model', file)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^stored: model fraud version 1 \(logistic/) })
    expect((await cli('push', '--model', file)).stdout).toMatch(/^already stored/)
    const activation = await cli('activate', '--name', 'fraud', '--version', '1', '--shadow')
    expect(activation.stderr).toBe('')
    const version = Number(/rule set version (\d+)/.exec(activation.stdout)?.[1])
    expect(activation.stdout).toMatch(/model fraud v1 shadow; activation requested/)
    // Four eyes: the requester cannot approve it.
    expect(await cli('approve', '--rule-set-version', String(version), '--user', 'supervisor')).toMatchObject({ code: 1, stderr: expect.stringMatching(/answered 403/) })
    expect((await cli('approve', '--rule-set-version', String(version))).stdout).toMatch(new RegExp(`rule set version ${version} is active`))

    const served = await eventually('a decision under the new version', async () => {
      const id = `tx-model-${Date.now()}`
      await put([{ data: JSON.stringify(wireExample({ transactionId: id, occurredAt: new Date().toISOString(), amount: 9000 })), key: 'card-m' }])
      const decision = await eventually('the decision', async () => {
        const response = await api(`/transactions/${id}/decision`)
        return response.status === 200 ? response.body.decision : undefined
      })
      return decision.ruleSetVersion === version ? decision : undefined
    })
    expect(served.models).toEqual([expect.objectContaining({ name: 'fraud', version: 1, mode: 'shadow', top: expect.arrayContaining([expect.objectContaining({ feature: 'txn_amount', value: 9000 })]) })])
    expect((await cli('list')).stdout).toMatch(/^fraud v1 {2}logistic over 2 features, test; by supervisor at /)
  })

  it('stops cleanly: every port closed', async () => {
    const { endpoints } = runtime
    await runtime.stop()
    for (const url of Object.values(endpoints)) {
      await expect(fetch(url), url).rejects.toThrow()
    }
  })
})

describe('vigil start', () => {
  it('prints the ready line and stops on its signal', async () => {
    const printed: string[] = []
    const abort = new AbortController()
    const dir = mkdtempSync(join(tmpdir(), 'vigil-start-'))
    try {
      const exit = start(
        ['--no-traffic', '--data-dir', dir, '--dynamodb-port', '0', '--kinesis-port', '0', '--api-port', '0', '--stepfunctions-port', '0'],
        // Stop as soon as it is ready: the ready line is printed by then.
        { log: (line) => printed.push(line), signal: abort.signal, onReady: () => abort.abort() },
      )
      expect(await exit).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    const ready = printed.find((line) => line.startsWith('ready: '))
    expect(ready).toMatch(/api http:\/\/127\.0\.0\.1:\d+ · dynamodb http:\/\/127\.0\.0\.1:\d+ · kinesis http:\/\/127\.0\.0\.1:\d+ · stepfunctions http:\/\/127\.0\.0\.1:\d+/)
    expect(ready).toContain('stream vigil-transactions')
    expect(ready).toContain('vigil-decisions')
    expect(ready).toMatch(/analyst token \(12 h\): ey[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(printed.at(-1)).toBe('stopping…')
  })
})
