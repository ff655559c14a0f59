import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ScanCommand } from '@aws-sdk/client-dynamodb'
import type { PutRecordsRequestEntry } from '@aws-sdk/client-kinesis'
import { createDynamoDbClient, localCredentials, localRegion } from '../functions/aws/clients.ts'
import { createKinesisClient } from '../functions/aws/kinesis-client.ts'
import { itemSize } from '../functions/aws/capacity-meter.ts'
import { primaryToken, singleKey } from '../functions/core/keyring.ts'
import { startLocalRuntime, type LocalRuntime } from '../local/runtime.ts'
import { synthesizeApp } from '../local/synthesized.ts'
import { startPacedProducer } from './paced-producer.ts'
import { fmt, saveResults } from './results.ts'
import { referenceLines } from './workload.ts'

/** Offered rates, records/s, in order; the run stops after two steps in a row miss (saturation). */
const rates = [100, 200, 300, 400, 500, 600, 800, 1_000, 1_250, 1_500, 2_000]
const stepSeconds = 12
/** The start of a step is left out of the throughput: the first batches wait for the 1 s window. */
const warmupSeconds = 3
/** Achieved within this share of offered counts as keeping up. */
const keepUp = 0.95
/** A p99 lag over this many batching windows counts as unbounded (a backlog growing through the step). */
const boundedWindows = 3
const partitionKeyring = singleKey('bench-partition-key')

/** The reference workload as PutRecords entries, keyed like the producer keys them: by card token. */
function records(count: number): PutRecordsRequestEntry[] {
  // Dated from two days before today (midnight UTC, so the hours of day are the same every run): the
  // scorer refuses event times after their arrival or older than the largest window (core/event-time.ts).
  const day = 86_400_000
  return referenceLines(count, undefined, new Date((Math.floor(Date.now() / day) - 2) * day)).map((line) => {
    const card = (JSON.parse(line) as { card: { pan: string } }).card
    return { Data: Buffer.from(line), PartitionKey: primaryToken(card.pan, partitionKeyring) }
  })
}

interface Step {
  readonly targetRate: number
  readonly offeredRate: number
  readonly achievedRate: number
  readonly lagP50Ms: number | undefined
  readonly lagP99Ms: number | undefined
  readonly lagSamples: number
  readonly refused: number
  readonly failedInvocations: number
  readonly deadLetters: number
  readonly decided: { approve: number; review: number; block: number }
  readonly keptUp: boolean
}

/** One load step on a fresh runtime, so no backlog carries over from the step before. */
async function step(rate: number, entries: readonly PutRecordsRequestEntry[], stateDir: string, p99BoundMs: number) {
  const runtime = await startLocalRuntime({ dynamodbPort: 0, kinesisPort: 0, apiPort: 0, stepFunctionsPort: 0, traffic: false, summaryIntervalMs: 0, stateDir, log: () => {} })
  const kinesis = createKinesisClient({ endpoint: runtime.endpoints.kinesis, region: localRegion, credentials: { ...localCredentials } })
  try {
    const producer = startPacedProducer({ client: kinesis, streamName: runtime.names.stream, records: entries, ratePerSecond: rate })
    await sleep(warmupSeconds * 1000)
    const from = { at: performance.now(), put: producer.put(), ingested: runtime.stats().ingested }
    await sleep((stepSeconds - warmupSeconds) * 1000)
    const to = { at: performance.now(), put: producer.put(), ingested: runtime.stats().ingested }
    await producer.stop()
    const stats = runtime.stats()
    const seconds = (to.at - from.at) / 1000
    const offeredRate = (to.put - from.put) / seconds
    const achievedRate = (to.ingested - from.ingested) / seconds
    const bounded = stats.lagMs.p99 !== undefined && stats.lagMs.p99 <= p99BoundMs
    const result: Step = {
      targetRate: rate,
      offeredRate: Math.round(offeredRate),
      achievedRate: Math.round(achievedRate),
      lagP50Ms: stats.lagMs.p50,
      lagP99Ms: stats.lagMs.p99,
      lagSamples: stats.lagMs.samples,
      refused: producer.refused(),
      failedInvocations: stats.failedInvocations,
      deadLetters: stats.deadLetters,
      decided: { ...stats.decided },
      keptUp: offeredRate >= keepUp * rate && achievedRate >= keepUp * offeredRate && bounded,
    }
    return { result, runtime }
  } catch (error) {
    await runtime.stop()
    throw error
  } finally {
    kinesis.destroy()
  }
}

/** Average size of stored decision items as DynamoDB bills storage (plus its 100 bytes of overhead an item). */
async function decisionItemBytes(runtime: LocalRuntime): Promise<number> {
  const dynamo = createDynamoDbClient({ endpoint: runtime.endpoints.dynamodb, region: localRegion, credentials: { ...localCredentials } })
  try {
    const { Items = [] } = await dynamo.send(new ScanCommand({ TableName: runtime.names.tables.decisions, Limit: 1_000 }))
    if (Items.length === 0) throw new Error('no decision was stored')
    return Math.round(Items.reduce((sum, item) => sum + itemSize(item), 0) / Items.length) + 100
  } finally {
    dynamo.destroy()
  }
}

export async function e2eBench(): Promise<Record<string, unknown>> {
  const entries = records(Math.max(...rates) * stepSeconds)
  const stateDir = await mkdtemp(join(tmpdir(), 'vigil-e2e-bench-'))
  const steps: Step[] = []
  let itemBytes: number | undefined
  const windowSeconds = synthesizeApp().eventSourceMapping.MaximumBatchingWindowInSeconds
  const p99BoundMs = boundedWindows * Math.max(1, windowSeconds) * 1000
  console.log(`\nend to end on the local runtime (startLocalRuntime: emulators, scorer behind the event source mapping, case workflow, API), ${stepSeconds} s a step`)
  console.log('  target/s  offered/s  achieved/s  lag p50 s  lag p99 s  reviews+blocks  kept up')
  try {
    // One unmeasured step first: the JIT and the emulators warm up on it, not on the first rate.
    await (await step(rates[0]!, entries, stateDir, p99BoundMs)).runtime.stop()
    let misses = 0
    for (const rate of rates) {
      const { result, runtime } = await step(rate, entries, stateDir, p99BoundMs)
      try {
        itemBytes ??= await decisionItemBytes(runtime)
      } finally {
        await runtime.stop()
      }
      steps.push(result)
      const seconds = (ms: number | undefined) => (ms === undefined ? '–' : (ms / 1000).toFixed(2))
      console.log(
        `  ${fmt(result.targetRate).padStart(8)}  ${fmt(result.offeredRate).padStart(9)}  ${fmt(result.achievedRate).padStart(10)}  ${seconds(result.lagP50Ms).padStart(9)}  ${seconds(result.lagP99Ms).padStart(9)}` +
          `  ${fmt(result.decided.review + result.decided.block).padStart(14)}  ${result.keptUp ? 'yes' : 'no'}`,
      )
      misses = result.keptUp ? 0 : misses + 1
      if (misses === 2) break
    }
  } finally {
    await rm(stateDir, { recursive: true, force: true })
  }
  const knee = steps.filter((s) => s.keptUp).at(-1)
  const decided = steps.reduce((sum, s) => sum + s.decided.approve + s.decided.review + s.decided.block, 0)
  const cases = steps.reduce((sum, s) => sum + s.decided.review + s.decided.block, 0)
  const figures = {
    workload: 'bench/workload.ts reference lines (10,000 cards, ~1% fraud episodes), put at a constant rate with PutRecords, partition key = card token',
    measures:
      `each offered rate on a fresh local runtime (npm start's pipeline: dynalite, kinesalite with 2 shards, the scorer behind the emulated event source mapping, ` +
      `the case workflow and API), all in this one Node process; achieved = records the scorer finished per second after a ${warmupSeconds} s warm-up; ` +
      `lag = arrival in the stream → decision committed, over the whole ${stepSeconds} s step`,
    knee: knee === undefined ? null : { offeredRate: knee.offeredRate, achievedRate: knee.achievedRate, lagP50Ms: knee.lagP50Ms, lagP99Ms: knee.lagP99Ms },
    kneeRule: `the highest offered rate where the producer kept within ${keepUp * 100}% of its target, achieved ≥ ${keepUp * 100}% of offered, and p99 lag ≤ ${boundedWindows} batching windows (${p99BoundMs / 1000} s)`,
    caseShare: decided === 0 ? 0 : cases / decided,
    decisionItemBytes: itemBytes,
    steps,
  }
  const path = await saveResults('e2e', figures)
  console.log(knee === undefined ? '  knee: none (the lowest rate already saturates)' : `  knee: ${fmt(knee.offeredRate)} records/s offered, p50 ${((knee.lagP50Ms ?? 0) / 1000).toFixed(2)} s, p99 ${((knee.lagP99Ms ?? 0) / 1000).toFixed(2)} s`)
  console.log(`  (${figures.kneeRule})\n  saved               ${path}`)
  return figures
}
