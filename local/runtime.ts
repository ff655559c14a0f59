/**
 * The whole pipeline on a laptop, in one process (what `npm start` runs):
 *
 *   traffic ──PutRecords──▶ kinesalite ──event source mapping──▶ scorer (scoreKinesisEvent)
 *                                                                  │  dynalite: decisions, entities, quarantine
 *                                                                  └─ StartExecution ──▶ Step Functions endpoint
 *   case workflow (synthesized ASL on LocalStateMachine) ◀────────────┘      ▲
 *   analyst API (startApiServer, dev JWTs) ── SendTaskSuccess ────────────────┘
 *
 * Everything is derived from the synthesized CDK app (local/synthesized.ts): the tables' keys and
 * indexes, the stream's shards, the mapping's settings, the workflow's definition and the
 * functions' environments. The Lambda code runs unchanged: the scorer's and the API's Step
 * Functions adapters speak the real protocol to `serveStepFunctions`.
 */
import { defaultPorts } from './ports.ts'
import { randomBytes, randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CreateTableCommand, DescribeTableCommand, GetItemCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { SFNClient } from '@aws-sdk/client-sfn'
import type { Context, ScheduledEvent } from 'aws-lambda'
import { createDynamoDbClient, localCredentials, localRegion } from '../functions/aws/clients.ts'
import { createKinesisClient } from '../functions/aws/kinesis-client.ts'
import { createTelemetry, serviceNames } from '../functions/aws/telemetry.ts'
import { publishRuleSet } from '../functions/aws/rule-set-store.ts'
import { StepFunctionsWorkflow } from '../functions/aws/workflow.ts'
import { handleApiRequest } from '../functions/case-api/app.ts'
import { caseApiDependencies } from '../functions/case-api/dependencies.ts'
import { caseApiRoutes } from '../functions/case-api/routes.ts'
import { compileRuleSet } from '../functions/core/rules/compile.ts'
import type { RuleSetInput } from '../functions/core/rules/rule-set.ts'
import { labelApplierHandler } from '../functions/apply-labels/applier-handler.ts'
import { labelApplierDependencies } from '../functions/apply-labels/dependencies.ts'
import { labelSweepDependencies } from '../functions/label-sweep/dependencies.ts'
import { labelSweepHandler } from '../functions/label-sweep/sweep-handler.ts'
import { caseTaskHandler } from '../functions/escalation/case-task-handler.ts'
import { caseTaskDependencies } from '../functions/escalation/dependencies.ts'
import { caseEventRecorder } from '../functions/escalation/metrics.ts'
import { scorerConfigSchema } from '../functions/score/config.ts'
import { scorerAdapters } from '../functions/score/dependencies.ts'
import { scorerHandler } from '../functions/score/scorer-handler.ts'
import { tokenizationKeyMiddleware } from '../functions/score/tokenization-key.ts'
import { ruleSetItems, type TableKey } from '../lib/table-schema.ts'
import { startApiServer } from './api-server.ts'
import { defaultDataDir, devApiRoutes, devAudience, devIssuer, devSigningKey, signDevToken } from './dev-tokens.ts'
import { createStream, startEmulators } from './emulators.ts'
import { parseEmfLine } from './emf.ts'
import { startEventSource, type DeadLetter } from './event-source.ts'
import { captureLambdaOutput, type LineSink } from './lambda-output.ts'
import { startChargebackFeed } from './chargebacks.ts'
import { startProducer } from './producer.ts'
import { dynamoDbServiceHandlers, LocalStateMachine, serveStepFunctions } from './state-machine.ts'
import { formatSummary, StatsCollector, type RuntimeStats } from './summary.ts'
import { localNames, synthesizeApp, type TableDefinition } from './synthesized.ts'


export interface LocalRuntimeOptions {
  /** Ports; 0 picks a free one. Defaults: `defaultPorts`. */
  readonly dynamodbPort?: number
  readonly kinesisPort?: number
  readonly apiPort?: number
  readonly stepFunctionsPort?: number
  /** Default 127.0.0.1. */
  readonly host?: string
  /** Persist the tables and the stream (and the tokenization key) here; in memory when absent. */
  readonly dataDir?: string
  /** The dev signing key and the dead-letter file; default `dataDir`, else `.vigil`. */
  readonly stateDir?: string
  /** Generate traffic (default true). */
  readonly traffic?: boolean
  readonly seed?: number
  /** Mean generated transactions per second (default 20). */
  readonly rate?: number
  /** How often the sweep of waiting labels runs; default 5 s (5 minutes in AWS). */
  readonly labelSweepIntervalMs?: number
  /** Wall-clock delay of the demo's chargebacks after their frauds; default 20 s. */
  readonly chargebackDelayMs?: number
  /** Real seconds per second of the workflow's durations (SLA timeouts); default 1. */
  readonly timeScale?: number
  /** Summary every this many ms (default 5000); 0: none. */
  readonly summaryIntervalMs?: number
  /** The rule set seeded as version 1; default rules/default.json. */
  readonly rulesPath?: string
  /** Where lines go; default stdout. */
  readonly log?: (line: string) => void
}

export interface LocalRuntime {
  readonly endpoints: { readonly api: string; readonly dynamodb: string; readonly kinesis: string; readonly stepFunctions: string }
  readonly names: { readonly stream: string; readonly labelStream: string; readonly tables: Readonly<Record<TableKey, string>>; readonly stateMachineArn: string; readonly shards: readonly string[] }
  /** The tables' definitions as read from the synthesized template. */
  readonly tables: Readonly<Record<TableKey, TableDefinition>>
  /** An analyst dev token for the API. */
  readonly token: string
  readonly readyLine: string
  readonly deadLetterFile: string
  /** Every line the handlers wrote (JSON logs and EMF), as CloudWatch Logs would keep them. */
  readonly lambdaLogFile: string
  stats(): RuntimeStats
  deadLetters(): readonly DeadLetter[]
  /** Stops everything (idempotent): producer, poller, servers, workflow, emulators. */
  stop(): Promise<void>
}

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const log = options.log ?? ((line: string) => void process.stdout.write(`${line}\n`))
  const host = options.host ?? '127.0.0.1'
  const stateDir = options.stateDir ?? options.dataDir ?? defaultDataDir
  const timeScale = options.timeScale ?? 1
  const cleanup: Array<() => Promise<void> | void> = []
  const stopAll = async () => {
    for (const step of cleanup.splice(0).reverse()) {
      try {
        await step()
      } catch (error) {
        process.stderr.write(`vigil: while stopping: ${(error as Error).message}\n`)
      }
    }
  }

  try {
    // 1. The app, as `cdk synth` builds it.
    const app = synthesizeApp()

    // 2. Emulators, tables and stream from the template.
    const emulators = await startEmulators({
      dynamoPort: options.dynamodbPort ?? defaultPorts.dynamodb,
      kinesisPort: options.kinesisPort ?? defaultPorts.kinesis,
      host,
      ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    })
    cleanup.push(() => emulators.stop())
    const clientConfig = (endpoint: string) => ({ endpoint, region: localRegion, credentials: { ...localCredentials } })
    const dynamo = createDynamoDbClient(clientConfig(emulators.dynamoEndpoint))
    const kinesis = createKinesisClient(clientConfig(emulators.kinesisEndpoint))
    cleanup.push(() => {
      dynamo.destroy()
      kinesis.destroy()
    })
    await Promise.all(Object.values(app.tables).map((table) => createTable(dynamo, table)))
    const streamArn = await createStream(kinesis, app.stream.localName, app.stream.localShardCount)
    const labelStreamArn = await createStream(kinesis, app.labelStream.localName, app.labelStream.localShardCount)
    await seedRules(dynamo, app.tables.rules.localName, options.rulesPath ?? new URL('../rules/default.json', import.meta.url).pathname)
    const tokenizationKey = await localTokenizationKey(options.dataDir)

    // The handlers run as in AWS (middy, Powertools); what they write goes where CloudWatch Logs
    // would take it: EMF lines into the summary's figures, warnings and errors to the log.
    const stats = new StatsCollector()
    const output = captureLambdaOutput()
    cleanup.push(() => output.release())
    // Every line, as a log group would keep it: what to grep when the terminal says a warning.
    await mkdir(stateDir, { recursive: true })
    const lambdaLogFile = join(stateDir, 'lambda.log')
    const lambdaLog = createWriteStream(lambdaLogFile, { flags: 'w', mode: 0o600 })
    cleanup.push(() => new Promise<void>((resolve) => lambdaLog.end(resolve)))
    const lambdaLine: LineSink = (line) => {
      lambdaLog.write(`${line}\n`)
      const emf = parseEmfLine(line)
      if (emf) stats.emf(emf)
      else logLine(line, log)
    }
    // Invocations still running when the runtime stops (a case task, an API request) finish before
    // the clients and emulators close under them; everything that starts new ones stops first.
    const inFlight = new Set<Promise<unknown>>()
    const tracked = <R>(work: Promise<R>): Promise<R> => {
      inFlight.add(work)
      work.then(
        () => inFlight.delete(work),
        () => inFlight.delete(work),
      )
      return work
    }
    cleanup.push(async () => {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight])
    })
    const invokeLocally = <E, R>(handler: (event: E, context: Context) => Promise<R>, functionName: string) => (event: E) =>
      tracked(output.run(lambdaLine, () => handler(event, lambdaContext(functionName))))

    // 3. The case workflow: the synthesized definition, tasks bound to the real task handler.
    const realStart = Date.now()
    const now = timeScale === 1 ? Date.now : () => realStart + (Date.now() - realStart) / timeScale
    const stateMachineArn = `arn:aws:states:${localRegion}:123456789012:stateMachine:${localNames.stateMachine}`
    const caseTelemetry = createTelemetry(serviceNames.caseTasks)
    const caseTasks = caseTaskDependencies(app.environment(app.logicalIds.caseTasks, stateMachineArn), {
      dynamo,
      kinesis,
      now,
      record: caseEventRecorder(caseTelemetry.metrics, caseTelemetry.logger),
    })
    const machine = new LocalStateMachine(app.definition(), {
      name: localNames.stateMachine,
      region: localRegion,
      lambdas: { [app.logicalIds.caseTasks]: invokeLocally(caseTaskHandler(caseTasks, caseTelemetry), serviceNames.caseTasks) },
      services: {
        ...dynamoDbServiceHandlers(dynamo),
        'sns:publish': (parameters: { Subject?: string; Message?: unknown }, context) => {
          log(`notify supervisors (SNS, ${context.executionName}): ${parameters.Subject ?? ''} ${typeof parameters.Message === 'string' ? parameters.Message : JSON.stringify(parameters.Message)}`.trim())
          return { MessageId: `local-${Date.now()}` }
        },
      },
      timeScale,
    })
    if (machine.arn !== stateMachineArn) throw new Error(`state machine ARN ${machine.arn} is not ${stateMachineArn}`)
    cleanup.push(() => machine.close())
    const sfnEndpoint = await serveStepFunctions([machine], { port: options.stepFunctionsPort ?? defaultPorts.stepFunctions, host })
    cleanup.push(() => sfnEndpoint.stop())
    // The adapters' own SDK client, pointed at the local endpoint (what AWS_ENDPOINT_URL_SFN does for
    // a Lambda), with explicit dummy credentials so no credential chain is consulted.
    const sfn = new SFNClient(clientConfig(sfnEndpoint.endpoint))
    cleanup.push(() => sfn.destroy())

    // 4. The scorer, with its environment from the template and the local key.
    const scorerTelemetry = createTelemetry(serviceNames.scorer)
    const scorerConfig = scorerConfigSchema.parse(app.environment(app.logicalIds.scorer, stateMachineArn))
    const scorerDeps = scorerAdapters(scorerConfig, scorerTelemetry.logger, { dynamo, sfn })
    const scorer = invokeLocally(scorerHandler(scorerDeps, scorerTelemetry, tokenizationKeyMiddleware({ VIGIL_TOKENIZATION_KEY: tokenizationKey })), serviceNames.scorer)

    // The label applier, likewise.
    const applierTelemetry = createTelemetry(serviceNames.labelApplier)
    const applierDeps = labelApplierDependencies(app.environment(app.logicalIds.labelApplier, stateMachineArn), applierTelemetry.logger, { dynamo })
    const applier = invokeLocally(labelApplierHandler(applierDeps, applierTelemetry), serviceNames.labelApplier)
    // And the sweep of labels waiting for their transaction: every few seconds here, every 5 minutes in AWS, so a demo shows it.
    const sweepTelemetry = createTelemetry(serviceNames.labelSweep)
    const sweep = invokeLocally(labelSweepHandler(labelSweepDependencies(app.environment(app.logicalIds.labelSweep, stateMachineArn), { dynamo, kinesis, now }), sweepTelemetry), serviceNames.labelSweep)
    const sweepTimer = setInterval(() => {
      sweep(scheduledEvent()).catch((error: unknown) => log(`label sweep failed: ${(error as Error).message}`))
    }, options.labelSweepIntervalMs ?? 5_000)
    cleanup.push(() => clearInterval(sweepTimer))

    // 5. The analyst API.
    const signingKey = await devSigningKey({ dataDir: stateDir })
    const api = caseApiDependencies(app.environment(app.logicalIds.caseApi, stateMachineArn), { dynamo, kinesis, workflow: new StepFunctionsWorkflow(sfn), now })
    const apiServer = await startApiServer({
      port: options.apiPort ?? defaultPorts.api,
      host,
      handler: (event) => tracked(handleApiRequest(event, api)),
      // Machine tokens (npx vigil token --client chargeback-feed) pass on their routes alone, as in AWS.
      routes: devApiRoutes(caseApiRoutes),
      jwt: { issuer: devIssuer, audience: devAudience, jwks: signingKey.jwks },
    })
    cleanup.push(() => apiServer.stop())
    const token = await signDevToken(signingKey, { username: 'analyst', groups: ['analyst'], expiresIn: '12h' })

    // 6. The event source mapping, with the template's settings.
    const deadLetters: DeadLetter[] = []
    const deadLetterFile = join(stateDir, 'dead-letters.jsonl')
    await mkdir(stateDir, { recursive: true })
    let deadLetterWrites = Promise.resolve()
    const invoke = async (event: Parameters<typeof scorer>[0]) => {
      const response = await scorer(event)
      const failed = response.batchItemFailures[0]?.itemIdentifier
      const at = Date.now()
      for (const record of event.Records) {
        if (record.kinesis.sequenceNumber === failed) break
        stats.lag(at - record.kinesis.approximateArrivalTimestamp * 1000)
      }
      if (failed !== undefined) {
        stats.failedInvocations++
        log(`scorer: batch of ${event.Records.length} records unfinished from ${failed}`)
      }
      return response
    }
    const deadLetter = (stream: string) => (letter: DeadLetter) => {
      stats.deadLetters++
      if (deadLetters.length < 10_000) deadLetters.push(letter)
      log(`dead letter (${stream}): ${letter.shardId} ${letter.sequenceNumber} (${letter.reason} after ${letter.attempts} retries${letter.lastError ? `: ${letter.lastError}` : ''}) → ${deadLetterFile}`)
      deadLetterWrites = deadLetterWrites.then(() => appendFile(deadLetterFile, `${JSON.stringify({ stream, ...letter })}\n`)).catch(() => {})
    }
    const eventSource = await startEventSource({
      client: kinesis,
      streamName: app.stream.localName,
      streamArn,
      region: localRegion,
      settings: app.eventSourceMapping,
      invoke: async (event) => {
        try {
          return await invoke(event)
        } catch (error) {
          stats.failedInvocations++
          log(`scorer: invocation failed (${event.Records.length} records): ${(error as Error).message}`)
          throw error
        }
      },
      onDeadLetter: deadLetter(app.stream.localName),
    })
    const labelSource = await startEventSource({
      client: kinesis,
      streamName: app.labelStream.localName,
      streamArn: labelStreamArn,
      region: localRegion,
      settings: app.labelEventSourceMapping,
      invoke: async (event) => {
        try {
          const response = await applier(event)
          const failed = response.batchItemFailures[0]?.itemIdentifier
          if (failed !== undefined) {
            stats.failedInvocations++
            log(`label applier: batch of ${event.Records.length} labels unfinished from ${failed}`)
          }
          return response
        } catch (error) {
          stats.failedInvocations++
          log(`label applier: invocation failed (${event.Records.length} labels): ${(error as Error).message}`)
          throw error
        }
      },
      onDeadLetter: deadLetter(app.labelStream.localName),
    })
    cleanup.push(async () => {
      await Promise.all([eventSource.stop(), labelSource.stop()])
      await deadLetterWrites
    })

    // 7. Traffic.
    const trafficOn = options.traffic ?? true
    const rate = options.rate ?? 20
    const seed = options.seed ?? 42
    if (trafficOn) {
      // Chargebacks for the traffic's frauds, on the labels stream a little later (local/chargebacks.ts).
      let producer: ReturnType<typeof startProducer> | undefined
      const chargebacks = startChargebackFeed({
        client: kinesis,
        streamName: app.labelStream.localName,
        delayMs: options.chargebackDelayMs ?? 20_000,
        eventClock: () => producer?.eventClock() ?? Date.now(),
        onSent: (count) => (stats.chargebacks += count),
        onError: (error) => log(`chargebacks: PutRecords failed: ${(error as Error).message}`),
      })
      producer = startProducer({
        client: kinesis,
        streamName: app.stream.localName,
        seed,
        ratePerSecond: rate,
        tokenizationKey,
        onPut: (count) => (stats.produced += count),
        onPutEvents: (events) => chargebacks.put(events),
        onError: (error) => log(`traffic: PutRecords failed: ${(error as Error).message}`),
      })
      cleanup.push(() => chargebacks.stop())
      cleanup.push(() => producer!.stop())
    }

    // 8. The summary.
    const interval = options.summaryIntervalMs ?? 5_000
    if (interval > 0) {
      let last = { at: Date.now(), ingested: 0 }
      const timer = setInterval(() => {
        const at = Date.now()
        const snapshot = stats.snapshot()
        const rateNow = ((snapshot.ingested - last.ingested) * 1000) / Math.max(1, at - last.at)
        last = { at, ingested: snapshot.ingested }
        log(formatSummary(snapshot, new Date(at), rateNow))
        stats.roll()
      }, interval)
      cleanup.push(() => clearInterval(timer))
    }

    const tables = Object.fromEntries(Object.values(app.tables).map((t) => [t.key, t.localName])) as Record<TableKey, string>
    const endpoints = { api: apiServer.url, dynamodb: emulators.dynamoEndpoint, kinesis: emulators.kinesisEndpoint, stepFunctions: sfnEndpoint.endpoint }
    const streamNote = app.stream.mode === 'ON_DEMAND' ? `${app.stream.localShardCount} shards; on-demand in the template` : `${app.stream.localShardCount} shards`
    const m = app.eventSourceMapping
    log(
      `Vigil local runtime from the synthesized ${app.stackName}: mapping batch ${m.BatchSize}, window ${m.MaximumBatchingWindowInSeconds} s, ` +
        `${m.MaximumRetryAttempts} retries, max age ${m.MaximumRecordAgeInSeconds} s, bisect ${m.BisectBatchOnFunctionError ? 'on' : 'off'}, ` +
        `partial batch responses ${m.ReportBatchItemFailures ? 'on' : 'off'}; workflow time scale ${timeScale}; ` +
        `${options.dataDir === undefined ? 'in memory' : `data in ${options.dataDir}`}; ` +
        `traffic ${trafficOn ? `seed ${seed}, ~${rate}/s` : 'off'}; rules ${app.tables.rules.localName} v1 from ${options.rulesPath ?? 'rules/default.json'}`,
    )
    const readyLine =
      `ready: api ${endpoints.api} · dynamodb ${endpoints.dynamodb} · kinesis ${endpoints.kinesis} · stepfunctions ${endpoints.stepFunctions} · ` +
      `stream ${app.stream.localName} (${streamNote}) · labels stream ${app.labelStream.localName} · tables ${Object.values(tables).join(', ')} · ` +
      `state machine ${stateMachineArn} · dead letters ${deadLetterFile} · handler logs ${lambdaLogFile} · ` +
      `analyst token (12 h): ${token}`
    log(readyLine)

    let stopping: Promise<void> | undefined
    return {
      endpoints,
      names: { stream: app.stream.localName, labelStream: app.labelStream.localName, tables, stateMachineArn, shards: eventSource.shardIds },
      tables: app.tables,
      token,
      readyLine,
      deadLetterFile,
      lambdaLogFile,
      stats: () => stats.snapshot(),
      deadLetters: () => [...deadLetters],
      stop: () => (stopping ??= stopAll()),
    }
  } catch (error) {
    await stopAll()
    throw error
  }
}

/** Creates a table exactly as the template defines it (keys, attributes, GSIs); keeps a matching one. */
async function createTable(client: DynamoDBClient, table: TableDefinition): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table.localName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: table.KeySchema,
        AttributeDefinitions: table.AttributeDefinitions,
        ...(table.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: table.GlobalSecondaryIndexes } : {}),
      }),
    )
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error
  }
  for (let i = 0; ; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table.localName }))
    if (Table?.TableStatus === 'ACTIVE') {
      const keys = (k: { AttributeName?: string; KeyType?: string }[] | undefined) => JSON.stringify((k ?? []).map((e) => [e.AttributeName, e.KeyType]))
      if (keys(Table.KeySchema) !== keys(table.KeySchema)) {
        throw new Error(`table ${table.localName} exists with keys ${keys(Table.KeySchema)}, the template says ${keys(table.KeySchema)}: remove the data directory`)
      }
      return
    }
    if (i > 200) throw new Error(`table ${table.localName} never became ACTIVE`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Version 1 and the active pointer, once: an existing activation (a persisted data dir) is kept. */
async function seedRules(client: DynamoDBClient, table: string, path: string): Promise<void> {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: table, Key: { pk: { S: ruleSetItems.partition }, sk: { S: ruleSetItems.activeSortKey } }, ConsistentRead: true }),
  )
  if (Item !== undefined) return
  const json = JSON.parse(await readFile(path, 'utf8')) as RuleSetInput
  const compiled = compileRuleSet(json)
  if (!compiled.ok) throw new Error(`${path}: ${compiled.error.issues.map((i) => `${i.ruleId ?? ''} ${i.path}: ${i.message}`).join('; ')}`)
  await publishRuleSet(client, table, json, new Date())
}

/** VIGIL_TOKENIZATION_KEY if set; else a generated key, kept in the data dir when there is one. */
async function localTokenizationKey(dataDir: string | undefined): Promise<string> {
  if (process.env.VIGIL_TOKENIZATION_KEY) return process.env.VIGIL_TOKENIZATION_KEY
  const generated = randomBytes(32).toString('base64url')
  if (dataDir === undefined) return generated
  const path = join(dataDir, 'tokenization-key')
  try {
    const kept = (await readFile(path, 'utf8')).trim()
    if (kept.length >= 16) return kept
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  await mkdir(dataDir, { recursive: true })
  await writeFile(path, `${generated}\n`, { mode: 0o600 })
  return generated
}

/** What Lambda hands a handler, as far as middy and Powertools read it (no deadline: no early timeout). */
function lambdaContext(functionName: string): Context {
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${localRegion}:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
  } as Context
}

/** A handler's log line in the terminal: warnings and errors, one line each; info and debug stay out. */
function logLine(line: string, log: (line: string) => void): void {
  let entry: { level?: unknown; service?: unknown; message?: unknown; error?: { message?: unknown }; reason?: unknown; issues?: Array<{ path?: unknown }> }
  try {
    entry = JSON.parse(line)
  } catch {
    log(line)
    return
  }
  if (entry.level !== 'WARN' && entry.level !== 'ERROR' && entry.level !== 'CRITICAL') return
  const why = entry.reason === undefined ? '' : ` (${String(entry.reason)}${entry.issues?.[0]?.path ? ` at ${String(entry.issues[0].path)}` : ''})`
  log(`${String(entry.service)}: ${String(entry.message)}${why}${entry.error?.message === undefined ? '' : `: ${String(entry.error.message)}`}`)
}

/** What EventBridge hands a scheduled function. */
function scheduledEvent(): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: new Date().toISOString(),
    region: localRegion,
    resources: [],
    detail: {},
  }
}
