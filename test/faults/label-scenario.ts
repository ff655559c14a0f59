/**
 * The labels scenario end to end: the real scorer and the real label applier (their adapters, real
 * SDK clients) on dynalite and kinesalite, the applier's DynamoDB behind a fault proxy (throttling,
 * resets after a write landed, 500s, latency), and an in-process event source mapping per labels
 * shard that plays a drawn schedule (label-schedule.ts): crashes at a write (bisecting after), a
 * crash at every write position of a batch in turn, whole batches delivered again, two invocations
 * at once, partial batch responses resumed from the reported record, and scorer batches on the
 * same entities between applier retries or at the same moment.
 *
 * In order, so the truth is the in-memory scorer's: transactions A scored; the label feed (over A,
 * and over C, not put yet) applied while the scorer scores B; C put and scored; the waiting labels
 * of scored transactions sent again (what the pending sweep does); those applied too.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb'
import { Logger } from '@aws-lambda-powertools/logger'
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda'
import { applyLabelEvent } from '../../functions/apply-labels/apply-event.ts'
import { labelApplierDependencies } from '../../functions/apply-labels/dependencies.ts'
import type { LabelApplierDeps } from '../../functions/apply-labels/process-batch.ts'
import { createDynamoDbClient, localCredentials, localRegion } from '../../functions/aws/clients.ts'
import { createKinesisClient } from '../../functions/aws/kinesis-client.ts'
import { publishRuleSet } from '../../functions/aws/rule-set-store.ts'
import type { RuleSetInput } from '../../functions/core/rules/rule-set.ts'
import { scorerDependencies } from '../../functions/score/dependencies.ts'
import type { ScorerDeps } from '../../functions/score/process-batch.ts'
import { scoreKinesisEvent } from '../../functions/score/score-event.ts'
import { createStream, createTables, startEmulators, tableEnvironment } from '../../local/emulators.ts'
import { lambdaKinesisRecord } from '../../local/kinesis-event.ts'
import { deriveSeed } from '../../local/traffic/random.ts'
import { uniqueName } from '../support/emulators.ts'
import { scanTable } from '../support/scan.ts'
import { RecordingEscalation } from '../support/scorer.ts'
import { testKeySecret } from '../support/transactions.ts'
import { faultKinds, startFaultProxy, type FaultPlan } from './fault-proxy.ts'
import { labelTraffic, type LabelTraffic } from './label-feed.ts'
import { tallyLabels, type LabelTally } from './label-invariants.ts'
import type { LabelStep } from './label-schedule.ts'

/** Label-fed features on the merchant, the card and the device, over windows short enough that late labels meet dropped buckets. */
export const labelFedRules: RuleSetInput = {
  version: 1,
  thresholds: { review: 50, block: 90 },
  features: [
    { name: 'merchant_frauds_7d', entity: 'merchant', aggregate: 'fraud_count', window: '7d' },
    { name: 'merchant_fraud_rate_1d', entity: 'merchant', aggregate: 'fraud_rate', window: '1d' },
    { name: 'merchant_frauds_1d_lagged', entity: 'merchant', aggregate: 'fraud_count', window: '1d', lag: '2d' },
    { name: 'merchant_flagged_before', entity: 'merchant', aggregate: 'flagged_before' },
    { name: 'card_frauds_30d', entity: 'card', aggregate: 'fraud_count', window: '30d' },
    { name: 'card_fraud_rate_1d', entity: 'card', aggregate: 'fraud_rate', window: '1d' },
    { name: 'card_flagged_before', entity: 'card', aggregate: 'flagged_before' },
    { name: 'device_frauds_1d', entity: 'device', aggregate: 'fraud_count', window: '1d' },
    { name: 'device_fraud_rate_7d', entity: 'device', aggregate: 'fraud_rate', window: '7d' },
    { name: 'device_flagged_before', entity: 'device', aggregate: 'flagged_before' },
  ],
  rules: [
    { id: 'merchant-fraud', description: 'Fraud confirmed at this merchant this week', when: 'features.merchant_frauds_7d >= 2', score: 40 },
    { id: 'merchant-fraud-rate', description: 'A fifth of the merchant’s transactions today confirmed fraud', when: 'features.merchant_fraud_rate_1d >= 0.2', score: 30 },
    { id: 'card-flagged', description: 'The card had fraud confirmed', when: 'has(features.card_flagged_before) && features.card_flagged_before', score: 90 },
    { id: 'card-fraud-rate', description: 'Half the card’s transactions today confirmed fraud', when: 'features.card_fraud_rate_1d >= 0.5', score: 50 },
    { id: 'device-flagged', description: 'The device was used in a confirmed fraud', when: 'has(features.device_flagged_before) && features.device_flagged_before', score: 60 },
    { id: 'device-fraud-rate', description: 'A tenth of the device’s transactions this week confirmed fraud', when: 'features.device_fraud_rate_7d >= 0.1', score: 20 },
  ],
} as RuleSetInput

/** Injected by the schedule (per invocation) or the proxy (per request). */
export const labelFaultKinds = [
  ...faultKinds,
  'throttledWrite',
  'crashItemPhase',
  'crashEntityPhase',
  'redelivered',
  'replayed',
  'twiceAtOnce',
  'scorerBetween',
  'scorerConcurrent',
] as const
export type LabelFaultKind = (typeof labelFaultKinds)[number]

export interface LabelRunOptions {
  readonly seed: number
  readonly transactions: number
  /** The template's labels mapping: batch size and local shard count. */
  readonly batchSize: number
  readonly shards: number
  readonly schedule: readonly (readonly LabelStep[])[]
  /** The proxy's plan on the applier's DynamoDB requests. */
  readonly dynamoFaults?: FaultPlan
}

export interface LabelScenarioResult extends LabelTally {
  readonly scenario: string
  /** Label records the feed meant to send, and the records the labels stream ended up holding (with the sweep's). */
  readonly records: number
  readonly streamRecords: number
  readonly transactions: number
  readonly stories: LabelTraffic['stories']
  readonly faults: Record<LabelFaultKind, number>
  readonly faultsInjected: number
  /** What the faults caused, as the applier and the scorer counted it. */
  readonly exercised: { partialResumes: number; functionErrors: number; applierEntityConflicts: number; scorerEntityConflicts: number; ladderAttempts: number; swept: number }
  readonly seconds: number
  readonly recordsPerSecond: number
}

/** Throttling with storms, writes landing unheard, 500s and latency on every applier request. */
export const labelDynamoFaults: FaultPlan = {
  rates: { throttle: 0.01, resetAfterForward: 0.01, serverError: 0.005, latency: 0.05 },
  storm: { every: 2_000, length: 60, rates: { throttle: 0.5, latency: 0.2 } },
  latencyMs: [2, 20],
}

const quiet = new Logger({ logLevel: 'SILENT' })
const scorerBatch = 25
const maxAttemptsAtOnePlace = 500

export async function runLabelScenario(options: LabelRunOptions): Promise<LabelScenarioResult> {
  const traffic = labelTraffic(options.seed, options.transactions)
  const emulators = await startEmulators()
  const config = (endpoint: string) => ({ endpoint, region: localRegion, credentials: { ...localCredentials } })
  const dynamo = createDynamoDbClient(config(emulators.dynamoEndpoint))
  const kinesis = createKinesisClient(config(emulators.kinesisEndpoint))
  const cleanup: Array<() => unknown> = [() => emulators.stop(), () => dynamo.destroy(), () => kinesis.destroy()]
  try {
    const tables = { decisions: uniqueName('decisions'), entityState: uniqueName('entities'), rules: uniqueName('rules'), quarantine: uniqueName('quarantine'), labels: uniqueName('labels') }
    await createTables(dynamo, tables)
    const txnStream = uniqueName('transactions')
    const labelStream = uniqueName('labels')
    await createStream(kinesis, txnStream, 1)
    await createStream(kinesis, labelStream, options.shards)
    const now = new Date()
    await publishRuleSet(dynamo, tables.rules, labelFedRules, now)

    const proxy = await startFaultProxy({ target: emulators.dynamoEndpoint, service: 'dynamodb', seed: deriveSeed(options.seed, 13) })
    cleanup.push(() => proxy.stop())
    const viaProxy = createDynamoDbClient({ ...config(proxy.url), maxAttempts: 3 })
    cleanup.push(() => viaProxy.destroy())
    const env = { ...tableEnvironment(tables), VIGIL_TOKENIZATION_KEY: testKeySecret, VIGIL_RULES_REFRESH_SECONDS: '60' }
    const scorerDeps: ScorerDeps = { ...scorerDependencies(env, quiet, { dynamo }), escalation: new RecordingEscalation(), now: () => now }
    const applierDeps: LabelApplierDeps = { ...labelApplierDependencies(env, quiet, { dynamo: viaProxy }), now: () => now }

    const faults = Object.fromEntries(labelFaultKinds.map((kind) => [kind, 0])) as Record<LabelFaultKind, number>
    const exercised = { partialResumes: 0, functionErrors: 0, applierEntityConflicts: 0, scorerEntityConflicts: 0, ladderAttempts: 0, swept: 0 }
    const scorer = new ScorerLane(kinesis, txnStream, scorerDeps, exercised)

    // A: scored before any label.
    await putRecords(kinesis, txnStream, traffic.phases.before.map((data) => ({ data, partitionKey: 'txn' })))
    await scorer.scoreUntil(traffic.phases.before.length)

    const started = Date.now()
    // The feed, and B put for the scorer to score between and beside the applier's invocations.
    await putRecords(kinesis, labelStream, traffic.feed)
    await putRecords(kinesis, txnStream, traffic.phases.during.map((data) => ({ data, partitionKey: 'txn' })))
    await scorer.refresh(traffic.phases.before.length + traffic.phases.during.length)
    proxy.setPlan(options.dynamoFaults ?? labelDynamoFaults)
    const shardIds = await listShards(kinesis, labelStream)
    const steps = shardIds.map((_, i) => (options.schedule[i] ?? [])[Symbol.iterator]())
    const consumers = shardIds.map((shardId, i) => new ShardConsumer(shardId, options.batchSize, steps[i]!, applierDeps, scorer, faults, exercised))
    const firstRound = await Promise.all(consumers.map(async (consumer) => consumer.consume(await shardRecords(kinesis, labelStream, consumer.shardId))))
    await scorer.scoreUntil(traffic.phases.before.length + traffic.phases.during.length)

    // C: the transactions some labels waited for.
    await putRecords(kinesis, txnStream, traffic.phases.after.map((data) => ({ data, partitionKey: 'txn' })))
    await scorer.refresh(traffic.transactions.size)
    await scorer.scoreUntil(traffic.transactions.size)

    // The sweep: the waiting labels of transactions now scored, sent again (in the order they wait).
    const decided = new Set((await scanTable(dynamo, tables.decisions)).map((item) => item.transactionId!.S!))
    const resent: { data: string; partitionKey: string; valid: boolean }[] = []
    for (const item of await scanTable(dynamo, tables.labels)) {
      const id = item.transactionId!.S!
      if (!decided.has(id)) continue
      for (const label of JSON.parse(item.waiting?.S ?? '[]') as unknown[]) resent.push({ data: JSON.stringify(label), partitionKey: id, valid: true })
    }
    exercised.swept = resent.length
    await putRecords(kinesis, labelStream, resent)
    const stream = await Promise.all(consumers.map(async (consumer) => consumer.consume(await shardRecords(kinesis, labelStream, consumer.shardId))))
    const seconds = (Date.now() - started) / 1000
    proxy.setPlan({ rates: {} })
    for (const kind of faultKinds) faults[kind] = proxy.injected[kind]

    const tally = await tallyLabels({
      dynamo,
      tables,
      traffic,
      rules: labelFedRules,
      shards: stream.map((records, i) => ({ records, firstRound: firstRound[i]!.length })),
      decidedAt: now.toISOString(),
    })
    const streamRecords = stream.reduce((n, records) => n + records.length, 0)
    return {
      scenario: 'labels: verdicts, chargebacks, flips',
      ...tally,
      records: traffic.feed.length,
      streamRecords,
      transactions: traffic.transactions.size,
      stories: traffic.stories,
      faults,
      faultsInjected: Object.values(faults).reduce((a, b) => a + b, 0),
      exercised,
      seconds,
      recordsPerSecond: Math.round(streamRecords / seconds),
    }
  } finally {
    for (const step of cleanup.reverse()) await step()
  }
}

/** The transactions stream's one shard, scored in batches by the real scorer, one batch at a time whoever asks. */
class ScorerLane {
  #records: KinesisStreamRecord[] = []
  #next = 0
  #end = 0
  #queue: Promise<unknown> = Promise.resolve()
  private readonly kinesis: KinesisClient
  private readonly stream: string
  private readonly deps: ScorerDeps
  private readonly exercised: { scorerEntityConflicts: number }

  constructor(kinesis: KinesisClient, stream: string, deps: ScorerDeps, exercised: { scorerEntityConflicts: number }) {
    this.kinesis = kinesis
    this.stream = stream
    this.deps = deps
    this.exercised = exercised
  }

  /** Reads the stream again, and lets batches go up to record `end`. */
  async refresh(end: number): Promise<void> {
    const [shardId] = await listShards(this.kinesis, this.stream)
    this.#records = await shardRecords(this.kinesis, this.stream, shardId!)
    this.#end = end
  }

  async scoreUntil(end: number): Promise<void> {
    if (this.#records.length < end) await this.refresh(end)
    this.#end = end
    while (await this.batch()) {
      // until the lane reaches `end`
    }
  }

  /** One batch if any is left before the end; false when none is. */
  batch(): Promise<boolean> {
    const run = this.#queue.then(async () => {
      if (this.#next >= this.#end) return false
      const event = { Records: this.#records.slice(this.#next, Math.min(this.#end, this.#next + scorerBatch)) }
      for (let attempt = 0; ; attempt++) {
        try {
          const { response, outcome } = await scoreKinesisEvent(event, this.deps)
          this.exercised.scorerEntityConflicts += outcome.conflicts
          const failed = response.batchItemFailures[0]?.itemIdentifier
          this.#next = failed === undefined ? this.#next + event.Records.length : this.#records.findIndex((r) => r.kinesis.sequenceNumber === failed)
          return true
        } catch (error) {
          if (attempt === 20) throw error
          await sleep(20)
        }
      }
    })
    this.#queue = run.catch(() => {})
    return run
  }
}

/** One labels shard under the mapping's discipline (ordered, retried, bisected, resumed from a partial failure), with the schedule's faults. */
class ShardConsumer {
  #checkpoint = 0
  readonly shardId: string
  private readonly batchSize: number
  private readonly steps: Iterator<LabelStep>
  private readonly deps: LabelApplierDeps
  private readonly scorer: ScorerLane
  private readonly faults: Record<LabelFaultKind, number>
  private readonly exercised: LabelScenarioResult['exercised']

  constructor(
    shardId: string,
    batchSize: number,
    steps: Iterator<LabelStep>,
    deps: LabelApplierDeps,
    scorer: ScorerLane,
    faults: Record<LabelFaultKind, number>,
    exercised: LabelScenarioResult['exercised'],
  ) {
    this.shardId = shardId
    this.batchSize = batchSize
    this.steps = steps
    this.deps = deps
    this.scorer = scorer
    this.faults = faults
    this.exercised = exercised
  }

  /** Consumes `records` (the shard from its start) from the checkpoint to the end; returns them. */
  async consume(records: KinesisStreamRecord[]): Promise<KinesisStreamRecord[]> {
    let size = this.batchSize
    let stuck = 0
    let stuckAt = -1
    while (this.#checkpoint < records.length) {
      if (this.#checkpoint === stuckAt && ++stuck > maxAttemptsAtOnePlace) throw new Error(`${this.shardId}: no progress at record ${this.#checkpoint} after ${stuck} attempts`)
      if (this.#checkpoint !== stuckAt) [stuck, stuckAt] = [0, this.#checkpoint]
      const next = this.steps.next()
      const step: LabelStep = next.done ? { kind: 'deliver', scorer: 'none' } : next.value
      const batch: KinesisStreamEvent = { Records: records.slice(this.#checkpoint, this.#checkpoint + size) }
      size = this.batchSize
      if (step.kind === 'replay') {
        if (this.#checkpoint === 0) continue
        this.faults.replayed++
        const from = Math.max(0, this.#checkpoint - step.back)
        await this.invoke({ Records: records.slice(from, Math.min(this.#checkpoint, from + this.batchSize)) }, step)
        continue
      }
      if (step.kind === 'ladder') {
        for (let attempt = 0; attempt < maxAttemptsAtOnePlace; attempt++) {
          this.exercised.ladderAttempts++
          // Quarantine puts are redone by every attempt (they overwrite themselves): the ladder steps over them.
          const crash = new Crash(0, true, this.faults, { quarantine: false })
          const result = await this.invoke(batch, step, crash)
          if (crash.tripped || result === 'error') {
            if (!crash.tripped) this.exercised.functionErrors++
            if (step.scorer === 'between' && attempt % 8 === 0) {
              this.faults.scorerBetween++
              await this.scorer.batch()
            }
            continue
          }
          this.advance(records, batch, result)
          break
        }
        continue
      }
      if (step.kind === 'crash') {
        const crash = new Crash(step.after, step.landed, this.faults)
        const result = await this.invoke(batch, step, crash)
        if (crash.tripped) {
          size = Math.max(1, Math.ceil(batch.Records.length / 2)) // the mapping bisects a failed batch
          if (step.scorer === 'between') {
            this.faults.scorerBetween++
            await this.scorer.batch()
          }
        } else {
          this.advance(records, batch, result)
        }
        continue
      }
      if (step.kind === 'twice-at-once') {
        this.faults.twiceAtOnce++
        const [a, b] = await Promise.all([this.invoke(batch, step), this.invoke(batch, { ...step, scorer: 'none' })])
        // Whichever stopped earlier decides where the mapping resumes.
        const failures = [a, b].flatMap((r) => (r === 'error' ? [0] : r.batchItemFailures.map((f) => batch.Records.findIndex((rec) => rec.kinesis.sequenceNumber === f.itemIdentifier))))
        if (a === 'error' || b === 'error') this.exercised.functionErrors++
        this.#checkpoint += failures.length === 0 ? batch.Records.length : Math.min(...failures)
        continue
      }
      if (step.kind === 'throttle') {
        const throttle = new Throttle(step.nth, this.faults)
        const result = await this.invoke(batch, step, throttle)
        this.advance(records, batch, result)
        if (throttle.tripped && step.scorer === 'between') {
          this.faults.scorerBetween++
          await this.scorer.batch()
        }
        continue
      }
      const result = await this.invoke(batch, step)
      if (step.kind === 'redeliver' && result !== 'error') {
        this.faults.redelivered++
        await this.invoke(batch, { ...step, scorer: 'none' })
      }
      this.advance(records, batch, result)
    }
    return records
  }

  private advance(records: KinesisStreamRecord[], batch: KinesisStreamEvent, result: Awaited<ReturnType<ShardConsumer['invoke']>>): void {
    if (result === 'error') {
      this.exercised.functionErrors++
      return
    }
    const failed = result.batchItemFailures[0]?.itemIdentifier
    if (failed === undefined) {
      this.#checkpoint += batch.Records.length
      return
    }
    this.exercised.partialResumes++
    this.#checkpoint = records.findIndex((r) => r.kinesis.sequenceNumber === failed)
  }

  /** One invocation; `'error'` when the function failed (threw), as the mapping sees it. */
  private async invoke(batch: KinesisStreamEvent, step: LabelStep, gate?: { wrap(deps: LabelApplierDeps): LabelApplierDeps }) {
    const deps = gate === undefined ? this.deps : gate.wrap(this.deps)
    const applying = applyLabelEvent(batch, deps)
      .then(({ response, outcome }) => {
        this.exercised.applierEntityConflicts += outcome.conflicts
        return response
      })
      .catch(() => 'error' as const)
    if (step.scorer === 'concurrent') {
      this.faults.scorerConcurrent++
      const [result] = await Promise.all([applying, this.scorer.batch()])
      return result
    }
    return applying
  }
}

/**
 * A container that dies after `after` writes have gone out: the next write throws instead (or,
 * `landed`, reaches DynamoDB and then throws), and so does every write after it.
 */
class Crash {
  tripped = false
  #left: number
  private readonly landed: boolean
  private readonly faults: Record<LabelFaultKind, number>
  private readonly counts: { quarantine: boolean }

  constructor(after: number, landed: boolean, faults: Record<LabelFaultKind, number>, counts = { quarantine: true }) {
    this.#left = after
    this.landed = landed
    this.faults = faults
    this.counts = counts
  }

  wrap(deps: LabelApplierDeps): LabelApplierDeps {
    return {
      ...deps,
      labels: { read: (ids) => deps.labels.read(ids), write: (...args) => this.#gate('crashItemPhase', () => deps.labels.write(...args)) },
      quarantine: { put: (entry) => (this.counts.quarantine || this.tripped ? this.#gate('crashItemPhase', () => deps.quarantine.put(entry)) : deps.quarantine.put(entry)) },
      entities: { read: (keys) => deps.entities.read(keys), write: (...args) => this.#gate('crashEntityPhase', () => deps.entities.write(...args)) },
    }
  }

  async #gate<T>(phase: 'crashItemPhase' | 'crashEntityPhase', write: () => Promise<T>): Promise<T> {
    if (this.tripped) throw new Error('crashed')
    if (this.#left-- > 0) return write()
    this.tripped = true
    this.faults[phase]++
    if (this.landed) await write()
    throw new Error('crashed')
  }
}

/** The `nth` write of an invocation refused as DynamoDB refuses it when the table's throughput is exceeded. */
class Throttle {
  tripped = false
  #seen = 0
  private readonly nth: number
  private readonly faults: Record<LabelFaultKind, number>

  constructor(nth: number, faults: Record<LabelFaultKind, number>) {
    this.nth = nth
    this.faults = faults
  }

  wrap(deps: LabelApplierDeps): LabelApplierDeps {
    return {
      ...deps,
      labels: { read: (ids) => deps.labels.read(ids), write: (...args) => this.#gate(() => deps.labels.write(...args)) },
      quarantine: { put: (entry) => this.#gate(() => deps.quarantine.put(entry)) },
      entities: { read: (keys) => deps.entities.read(keys), write: (...args) => this.#gate(() => deps.entities.write(...args)) },
    }
  }

  async #gate<T>(write: () => Promise<T>): Promise<T> {
    if (++this.#seen !== this.nth) return write()
    this.tripped = true
    this.faults.throttledWrite++
    throw new ProvisionedThroughputExceededException({
      message: 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
      $metadata: { httpStatusCode: 400, attempts: 3 },
    })
  }
}

async function listShards(client: KinesisClient, stream: string): Promise<string[]> {
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: stream }))
  return Shards.map((shard) => shard.ShardId!).sort()
}

/** A shard from its start to its end, as the Lambda records the mapping hands over. */
async function shardRecords(client: KinesisClient, stream: string, shardId: string): Promise<KinesisStreamRecord[]> {
  const source = { shardId, streamArn: `arn:aws:kinesis:${localRegion}:000000000000:stream/${stream}`, region: localRegion, invokeIdentityArn: 'arn:aws:iam::000000000000:role/faults', now: Date.now }
  const records: KinesisStreamRecord[] = []
  let { ShardIterator: iterator } = await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))
  while (iterator !== undefined) {
    const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }))
    const batch = out.Records ?? []
    records.push(...batch.map((r) => lambdaKinesisRecord(r, source)))
    iterator = batch.length === 0 ? undefined : out.NextShardIterator
  }
  return records
}

/** PutRecords in order, 500 at a time, straight to kinesalite (the producer's faults are the transaction scenarios'). */
async function putRecords(client: KinesisClient, stream: string, records: readonly { data: string; partitionKey: string }[]): Promise<void> {
  for (let i = 0; i < records.length; i += 500) {
    const out = await client.send(new PutRecordsCommand({ StreamName: stream, Records: records.slice(i, i + 500).map((r) => ({ Data: Buffer.from(r.data, 'utf8'), PartitionKey: r.partitionKey })) }))
    if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records were not put`)
  }
}
