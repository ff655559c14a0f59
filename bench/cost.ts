import { scorerConfigSchema } from '../functions/score/config.ts'
import { synthesizeApp, type SynthesizedApp } from '../local/synthesized.ts'
import { awsPrices } from './prices.ts'
import { readResults, saveResults } from './results.ts'
import { referenceLines } from './workload.ts'
import { walk, type Definition, type PathSpec } from './workflow-paths.ts'

/** What the cost model assumes rather than measures; every other input is a saved bench figure or the synthesized template. */
export const costAssumptions = {
  /** Sustained load: spreads the hourly charges (stream-hours, shard-hours) over the transactions. */
  transactionsPerSecond: 100,
  /** A new on-demand stream's 4 MB/s of write capacity is 4 shards: with the 1 s batching window, it sets how full the scorer's batches are. */
  onDemandShards: 4,
  /** How cases end (the workflow's typical paths); the share of transactions that open one is measured by the e2e bench. */
  casePaths: [
    { path: 'review → analyst: legitimate', share: 0.5, spec: { input: { decision: { outcome: 'review' }, verdict: { outcome: 'legitimate' } } } },
    { path: 'review → analyst: fraud', share: 0.2, spec: { input: { decision: { outcome: 'review' }, verdict: { outcome: 'fraud' } } } },
    { path: 'block → analyst: fraud', share: 0.2, spec: { input: { decision: { outcome: 'block' }, verdict: { outcome: 'fraud' } } } },
    {
      path: 'review → analyst misses the SLA → supervisor: fraud',
      share: 0.1,
      spec: { input: { decision: { outcome: 'review' }, case: { status: 'escalated' }, verdict: { outcome: 'fraud' } }, timeouts: ['AwaitAnalyst'] },
    },
  ] satisfies ReadonlyArray<{ path: string; share: number; spec: PathSpec }>,
  /** Billed duration of one case task invocation (a few DynamoDB calls; not measured). */
  caseTaskMs: 100,
  /** CloudWatch Logs a scorer invocation writes: START/END/REPORT platform lines and one EMF metrics record. */
  scorerLogBytesPerInvocation: 1_500,
  /** The workflow logs at level ALL with execution data: about three history events of ~1 KB a state. */
  workflowLogBytesPerTransition: 3_000,
  /** X-Ray's default sampling rule: the first request each second, then 5%. */
  xRaySampling: { reservoirPerSecond: 1, rate: 0.05 },
} as const

const million = 1_000_000
const gib = 1024 ** 3
const daysPerMonth = 30.44

interface StreamRun {
  batchSize: number
  msPerBatch: number
  readUnitsPerTransaction: number
  writeUnitsPerTransaction: number
}

interface Line {
  readonly service: string
  readonly item: string
  readonly quantity: number
  readonly unit: string
  readonly usd: number
}

function properties(app: SynthesizedApp, logicalId: string): Record<string, any> {
  return app.template.Resources[logicalId]?.Properties ?? {}
}

/** X-Ray traces recorded for `perSecond` requests a second under the default sampling rule. */
function sampledPerSecond(perSecond: number): number {
  const { reservoirPerSecond, rate } = costAssumptions.xRaySampling
  return Math.min(perSecond, reservoirPerSecond + rate * Math.max(0, perSecond - reservoirPerSecond))
}

export async function costBench(): Promise<Record<string, unknown>> {
  const stream = await readResults<{ runs: StreamRun[] }>('stream')
  const e2e = await readResults<{ caseShare: number; decisionItemBytes: number }>('e2e')
  const app = synthesizeApp()
  const a = costAssumptions
  const p = awsPrices

  const batchSize = app.eventSourceMapping.BatchSize
  const measured = stream.runs.find((r) => r.batchSize === batchSize)
  if (measured === undefined) throw new Error(`the stream bench has no run at the template's batch size ${batchSize}`)
  const scorer = properties(app, app.logicalIds.scorer)
  const caseTasks = properties(app, app.logicalIds.caseTasks)
  const machine = properties(app, app.logicalIds.stateMachine)
  const scorerEnv = app.environment(app.logicalIds.scorer, 'arn:aws:states:::stateMachine:bench')
  const decisionTtlDays = scorerConfigSchema.parse({ ...scorerEnv, VIGIL_TOKENIZATION_KEY: 'bench-only-parsed-for-defaults' }).VIGIL_DECISION_TTL_DAYS

  const lines = referenceLines(2_000)
  const recordBytes = lines.reduce((sum, line) => sum + Buffer.byteLength(line), 0) / lines.length
  const seconds = million / a.transactionsPerSecond
  const hours = seconds / 3600

  // Kinesis: both modes priced; the total takes the template's.
  const onDemand = app.stream.mode === 'ON_DEMAND'
  const provisionedShards = Math.max(1, Math.ceil(a.transactionsPerSecond / 1000), Math.ceil((a.transactionsPerSecond * recordBytes) / 1024 ** 2))
  const shards = onDemand ? a.onDemandShards : provisionedShards
  const kinesisOnDemand: Line[] = [
    { service: 'Kinesis on-demand', item: 'stream-hours', quantity: hours, unit: 'h', usd: hours * p.kinesis.onDemand.streamHour },
    { service: 'Kinesis on-demand', item: 'data in (records rounded up to 1 KB)', quantity: (million * Math.ceil(recordBytes / 1024) * 1024) / gib, unit: 'GB', usd: ((million * Math.ceil(recordBytes / 1024) * 1024) / gib) * p.kinesis.onDemand.ingestedGb },
    { service: 'Kinesis on-demand', item: 'data out (one consumer: the scorer)', quantity: (million * recordBytes) / gib, unit: 'GB', usd: ((million * recordBytes) / gib) * p.kinesis.onDemand.retrievedGb },
  ]
  const putUnits = million * Math.ceil(recordBytes / (25 * 1024))
  const kinesisProvisioned: Line[] = [
    { service: 'Kinesis provisioned', item: `shard-hours (${provisionedShards} shard)`, quantity: provisionedShards * hours, unit: 'h', usd: provisionedShards * hours * p.kinesis.provisioned.shardHour },
    { service: 'Kinesis provisioned', item: 'PUT payload units', quantity: putUnits, unit: 'units', usd: (putUnits / million) * p.kinesis.provisioned.putPayloadUnitsPerMillion },
  ]

  // The scorer: batches as full as the rate per shard and the batching window make them.
  const recordsPerInvocation = Math.max(1, Math.min(batchSize, (a.transactionsPerSecond / shards) * app.eventSourceMapping.MaximumBatchingWindowInSeconds))
  const invocations = million / recordsPerInvocation
  const billedMs = Math.ceil((measured.msPerBatch / measured.batchSize) * recordsPerInvocation)
  const scorerGbSeconds = invocations * (billedMs / 1000) * (Number(scorer.MemorySize) / 1024)
  const scorerLines: Line[] = [
    { service: 'Lambda scorer', item: `requests (${recordsPerInvocation.toFixed(0)} records each)`, quantity: invocations, unit: 'requests', usd: (invocations / million) * p.lambda.requestsPerMillion },
    { service: 'Lambda scorer', item: `duration (${billedMs} ms at ${scorer.MemorySize} MB)`, quantity: scorerGbSeconds, unit: 'GB-s', usd: scorerGbSeconds * p.lambda.gbSecond },
  ]

  const storedGb = (million * e2e.decisionItemBytes) / 1e9
  const storedGbMonths = storedGb * (decisionTtlDays / daysPerMonth)
  const dynamoLines: Line[] = [
    { service: 'DynamoDB', item: 'write request units', quantity: measured.writeUnitsPerTransaction * million, unit: 'WRU', usd: measured.writeUnitsPerTransaction * p.dynamodb.writeRequestUnitsPerMillion },
    { service: 'DynamoDB', item: 'read request units', quantity: measured.readUnitsPerTransaction * million, unit: 'RRU', usd: measured.readUnitsPerTransaction * p.dynamodb.readRequestUnitsPerMillion },
    { service: 'DynamoDB', item: `decisions stored ${decisionTtlDays} days (+ PITR)`, quantity: storedGbMonths, unit: 'GB-month', usd: storedGbMonths * (p.dynamodb.storageGbMonth + p.dynamodb.pointInTimeRecoveryGbMonth) },
  ]

  // The case workflow: transitions and task invocations of its typical paths, weighted.
  const definition = app.definition() as Definition
  const paths = a.casePaths.map((c) => ({ path: c.path, share: c.share, ...walk(definition, c.spec) }))
  const perCase = (pick: (path: (typeof paths)[number]) => number) => paths.reduce((sum, path) => sum + path.share * pick(path), 0)
  const cases = e2e.caseShare * million
  const transitions = cases * perCase((path) => path.transitions)
  const taskInvocations = cases * perCase((path) => path.lambdaInvocations)
  const taskGbSeconds = taskInvocations * (a.caseTaskMs / 1000) * (Number(caseTasks.MemorySize) / 1024)
  const workflowLines: Line[] = [
    { service: 'Step Functions', item: `state transitions (${perCase((path) => path.transitions).toFixed(1)} a case)`, quantity: transitions, unit: 'transitions', usd: (transitions / 1000) * p.stepFunctions.transitionsPerThousand },
    { service: 'Lambda case tasks', item: `requests + duration (${a.caseTaskMs} ms at ${caseTasks.MemorySize} MB)`, quantity: taskInvocations, unit: 'requests', usd: (taskInvocations / million) * p.lambda.requestsPerMillion + taskGbSeconds * p.lambda.gbSecond },
  ]

  const observability: Line[] = []
  const scorerLogGb = (invocations * a.scorerLogBytesPerInvocation) / gib
  observability.push({ service: 'CloudWatch Logs', item: 'scorer logs and EMF metrics', quantity: scorerLogGb, unit: 'GB', usd: scorerLogGb * p.cloudWatchLogs.ingestedGb })
  if (machine.LoggingConfiguration?.Level === 'ALL') {
    const workflowLogGb = (transitions * a.workflowLogBytesPerTransition) / gib
    observability.push({ service: 'CloudWatch Logs', item: 'workflow execution history (level ALL)', quantity: workflowLogGb, unit: 'GB', usd: workflowLogGb * p.cloudWatchLogs.ingestedGb })
  }
  const traces =
    (scorer.TracingConfig?.Mode === 'Active' ? sampledPerSecond(invocations / seconds) * seconds : 0) + (machine.TracingConfiguration?.Enabled === true ? sampledPerSecond(cases / seconds) * seconds : 0)
  if (traces > 0) observability.push({ service: 'X-Ray', item: 'traces recorded (scorer, workflow)', quantity: traces, unit: 'traces', usd: (traces / million) * p.xRay.tracesRecordedPerMillion })

  const kinesis = onDemand ? kinesisOnDemand : kinesisProvisioned
  const counted = [...kinesis, ...scorerLines, ...dynamoLines, ...workflowLines, ...observability]
  const total = counted.reduce((sum, line) => sum + line.usd, 0)
  const alternative = onDemand ? kinesisProvisioned : kinesisOnDemand
  const round = (n: number, digits = 4) => Number(n.toPrecision(digits))
  const figures = {
    measures: 'USD per million transactions on AWS at list prices, from the saved stream and e2e figures and the synthesized template',
    prices: awsPrices,
    assumptions: costAssumptions,
    inputs: {
      streamMode: app.stream.mode,
      recordBytes: Math.round(recordBytes),
      batchSize,
      batchingWindowSeconds: app.eventSourceMapping.MaximumBatchingWindowInSeconds,
      scorerMemoryMb: Number(scorer.MemorySize),
      msPerBatchOf: { batchSize: measured.batchSize, ms: measured.msPerBatch, source: 'bench/results/stream.json (includes dynalite on the same thread: an upper bound)', at: stream.at },
      requestUnitsPerTransaction: { write: measured.writeUnitsPerTransaction, read: measured.readUnitsPerTransaction, source: 'bench/results/stream.json' },
      caseShare: e2e.caseShare,
      decisionItemBytes: e2e.decisionItemBytes,
      decisionTtlDays,
      e2eAt: e2e.at,
      casePaths: paths.map((path) => ({ path: path.path, share: path.share, transitions: path.transitions, lambdaInvocations: path.lambdaInvocations, states: path.states })),
    },
    lines: counted.map((line) => ({ ...line, quantity: round(line.quantity), usd: round(line.usd) })),
    totalUsdPerMillion: round(total),
    alternativeKinesis: alternative.map((line) => ({ ...line, quantity: round(line.quantity), usd: round(line.usd) })),
  }
  const path = await saveResults('cost', figures)
  console.log(`\ncost per million transactions, ${awsPrices.region} list prices recorded ${awsPrices.recorded} (bench/prices.ts)`)
  console.log('  service              item                                                   quantity          USD')
  for (const line of counted) {
    console.log(`  ${line.service.padEnd(19)}  ${line.item.padEnd(52)}  ${`${round(line.quantity, 3).toLocaleString('en-US')} ${line.unit}`.padStart(20)}  ${line.usd.toFixed(4).padStart(8)}`)
  }
  console.log(`  ${'total'.padEnd(93)}  ${total.toFixed(4).padStart(8)}`)
  console.log(`  with a ${onDemand ? 'provisioned' : 'on-demand'} stream instead, Kinesis would cost ${alternative.reduce((s, l) => s + l.usd, 0).toFixed(4)} instead of ${kinesis.reduce((s, l) => s + l.usd, 0).toFixed(4)}`)
  console.log(
    `  assumes ${a.transactionsPerSecond} transactions/s sustained, ${shards} shards, ${(e2e.caseShare * 100).toFixed(2)}% of transactions opening a case (measured), ` +
      `${measured.msPerBatch} ms a batch of ${measured.batchSize} (measured, an upper bound), records of ${Math.round(recordBytes)} bytes`,
  )
  console.log(`  saved               ${path}`)
  return figures
}
