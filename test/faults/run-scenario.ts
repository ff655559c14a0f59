/**
 * One fault scenario end to end: emulators, the local Step Functions, a fault proxy in front of
 * each, the scorer's real handler in Lambda-like worker processes behind the emulated event source
 * mapping (local/event-source.ts, with the template's settings), an at-least-once producer, and
 * at the end the invariants against the ground truth of what the stream holds.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda'
import { createDynamoDbClient, localCredentials, localRegion } from '../../functions/aws/clients.ts'
import { createKinesisClient } from '../../functions/aws/kinesis-client.ts'
import { publishRuleSet } from '../../functions/aws/rule-set-store.ts'
import type { RuleSetInput } from '../../functions/core/rules/rule-set.ts'
import { compareSequenceNumbers } from '../../functions/core/stream/position.ts'
import { createStream, createTables, startEmulators, tableEnvironment } from '../../local/emulators.ts'
import { startEventSource, type EventSourceOptions } from '../../local/event-source.ts'
import { LocalStateMachine, serveStepFunctions } from '../../local/state-machine.ts'
import { deriveSeed, Random } from '../../local/traffic/random.ts'
import { uniqueName } from '../support/emulators.ts'
import { compiled, defaultRuleSet } from '../support/scenario.ts'
import { testKeySecret } from '../support/transactions.ts'
import { faultKinds, startFaultProxy, type FaultKind, type FaultProxy, type Service } from './fault-proxy.ts'
import { groundTruthOf } from './ground-truth.ts'
import { tally, type Tally } from './invariants.ts'
import { startLambdaPool, type LambdaPool } from './lambda-pool.ts'
import { produce } from './producer.ts'
import type { Scenario } from './scenarios.ts'
import { readStream } from './stream-contents.ts'
import { faultTraffic, laneBoundary, laneCount } from './traffic.ts'

export type InjectedFaults = Record<FaultKind | 'workerKilled', number>

export interface ScenarioResult extends Tally {
  readonly scenario: string
  /** Records the producer meant to send, and the records the stream ended up holding. */
  readonly records: number
  readonly streamRecords: number
  readonly faults: InjectedFaults
  readonly faultsInjected: number
  readonly deadLetters: number
  readonly coldStarts: number
  readonly seconds: number
  readonly recordsPerSecond: number
}

export interface RunOptions {
  readonly seed: number
  readonly records: number
  readonly mapping: EventSourceOptions['settings']
  /** The template's local shard count: what the resharding scenario starts from and splits. */
  readonly shards: number
}

/** The version a mid-stream activation publishes: same features, a stricter review threshold and one more rule. */
export function nextRuleSet(current: RuleSetInput): RuleSetInput {
  return {
    ...current,
    version: current.version + 1,
    thresholds: { ...current.thresholds, review: 35 },
    rules: [...current.rules, { id: 'large-amount', description: 'Over 2,000.00 in one transaction', when: 'txn.amount > 200000', score: 40, mode: 'active', tags: ['amount'] }],
  }
}

/** How far ahead of the consumer the producer may run: records keep flowing through the whole run. */
const producerLead = 2_000

export async function runScenario(scenario: Scenario, options: RunOptions): Promise<ScenarioResult> {
  const lanes = faultTraffic(options.seed, options.records, scenario.traffic)
  const emulators = await startEmulators()
  const config = (endpoint: string) => ({ endpoint, region: localRegion, credentials: { ...localCredentials } })
  const dynamo = createDynamoDbClient(config(emulators.dynamoEndpoint))
  const kinesis = createKinesisClient(config(emulators.kinesisEndpoint))
  const cleanup: Array<() => unknown> = [() => emulators.stop(), () => dynamo.destroy(), () => kinesis.destroy()]
  try {
    const tables = { decisions: uniqueName('decisions'), entityState: uniqueName('entities'), rules: uniqueName('rules'), quarantine: uniqueName('quarantine') }
    const streamName = uniqueName('transactions')
    await createTables(dynamo, tables)
    // A shard per lane keeps more batches in flight; resharding starts from the template's count.
    const shards = scenario.midstream?.action === 'split-shards' ? options.shards : laneCount
    const streamArn = await createStream(kinesis, streamName, shards)
    const ruleSets = [defaultRuleSet()]
    await publishRuleSet(dynamo, tables.rules, ruleSets[0]!, new Date())

    const machine = new LocalStateMachine({ StartAt: 'OpenCase', States: { OpenCase: { Type: 'Succeed' } } }, { name: 'vigil-faults-cases', region: localRegion })
    const sfn = await serveStepFunctions([machine])
    cleanup.push(() => machine.close(), () => sfn.stop())

    const proxies = {} as Record<Service, FaultProxy>
    const targets: Record<Service, string> = { dynamodb: emulators.dynamoEndpoint, kinesis: emulators.kinesisEndpoint, stepfunctions: sfn.endpoint }
    for (const [i, service] of (['dynamodb', 'kinesis', 'stepfunctions'] as const).entries()) {
      proxies[service] = await startFaultProxy({ target: targets[service], service, seed: deriveSeed(options.seed, i) })
      cleanup.push(() => proxies[service].stop())
    }

    const pool = startLambdaPool({
      ...tableEnvironment(tables),
      VIGIL_TOKENIZATION_KEY: testKeySecret,
      VIGIL_ESCALATION_STATE_MACHINE_ARN: machine.arn,
      VIGIL_RULES_REFRESH_SECONDS: '1',
      AWS_ENDPOINT_URL_DYNAMODB: proxies.dynamodb.url,
      AWS_ENDPOINT_URL_SFN: proxies.stepfunctions.url,
      AWS_REGION: localRegion,
      AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      AWS_MAX_ATTEMPTS: '3',
      POWERTOOLS_LOG_LEVEL: 'CRITICAL',
    })
    cleanup.push(() => pool.stop())
    const viaProxy = createKinesisClient({ ...config(proxies.kinesis.url), maxAttempts: 3 })
    cleanup.push(() => viaProxy.destroy())

    const progress = new Progress()
    const kills = scenario.killsPer10k === undefined ? { count: 0 } : armKills(proxies.dynamodb, pool, progress, options, scenario.killsPer10k)
    const deadLetters: string[] = []
    const source = await startEventSource({
      client: viaProxy,
      streamName,
      streamArn,
      region: localRegion,
      settings: options.mapping,
      idlePollMs: 100,
      shardDiscoveryMs: 250,
      invoke: async (event) => {
        const response = await pool.invoke(event)
        progress.completed(event, response.batchItemFailures[0]?.itemIdentifier)
        return response
      },
      onDeadLetter: (letter) => {
        deadLetters.push(letter.sequenceNumber)
        progress.mark(letter.shardId, letter.sequenceNumber)
      },
    })
    cleanup.push(() => source.stop())
    for (const service of Object.keys(scenario.faults) as Service[]) proxies[service].setPlan(scenario.faults[service]!)

    const started = Date.now()
    const midstream = scenario.midstream
    const intended = lanes.reduce((n, lane) => n + lane.records.length, 0)
    const during = (async () => {
      if (midstream === undefined) return
      while (progress.count < midstream.at * intended) await sleep(20)
      if (midstream.action === 'activate-rule-set') {
        ruleSets.push(nextRuleSet(ruleSets[0]!))
        await publishRuleSet(dynamo, tables.rules, ruleSets[1]!, new Date())
      } else {
        await splitEveryShard(kinesis, streamName, shards)
      }
    })()
    await produce({
      client: viaProxy,
      streamName,
      lanes,
      gate: async (put) => {
        while (put - progress.count > producerLead) await sleep(10)
      },
    })
    await during
    const contents = await readStream(kinesis, streamName, streamArn)
    await progress.reached(contents.lastSequence, 120_000 + options.records * 20)
    const seconds = (Date.now() - started) / 1000
    await source.stop()
    await pool.stop()
    for (const proxy of Object.values(proxies)) proxy.setPlan({ rates: {} })

    const truth = groundTruthOf(contents.records, ruleSets)
    const result = await tally(lanes, contents, truth, {
      dynamo,
      tables,
      machine,
      caseStarts: proxies.stepfunctions.forwarded.get('StartExecution') ?? 0,
      plan: compiled(ruleSets[0]!).plan,
    })
    const faults = { ...sumFaults(Object.values(proxies)), workerKilled: kills.count }
    return {
      scenario: scenario.name,
      ...result,
      records: intended,
      streamRecords: contents.records.length,
      faults,
      faultsInjected: Object.values(faults).reduce((a, b) => a + b, 0),
      deadLetters: deadLetters.length,
      coldStarts: pool.coldStarts,
      seconds,
      recordsPerSecond: Math.round(contents.records.length / seconds),
    }
  } finally {
    for (const step of cleanup.reverse()) await step()
  }
}

/** How far the event source has got: records completed (redeliveries included) and, per shard, the newest one. */
class Progress {
  count = 0
  readonly #newest = new Map<string, string>()

  completed(event: KinesisStreamEvent, failedAt: string | undefined): void {
    for (const record of event.Records) {
      if (record.kinesis.sequenceNumber === failedAt) return
      this.count++
      this.mark(shardOf(record), record.kinesis.sequenceNumber)
    }
  }

  mark(shardId: string, sequenceNumber: string): void {
    const newest = this.#newest.get(shardId)
    if (newest === undefined || compareSequenceNumbers(sequenceNumber, newest) > 0) this.#newest.set(shardId, sequenceNumber)
  }

  /** Resolves once every shard is done up to `last`; after `timeoutMs` anyway (the tally then shows what is missing). */
  async reached(last: ReadonlyMap<string, string>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    const behind = () => [...last].some(([shard, sequence]) => compareSequenceNumbers(this.#newest.get(shard) ?? '0', sequence) < 0)
    while (behind() && Date.now() < deadline) await sleep(50)
  }
}

const shardOf = (record: KinesisStreamRecord) => record.eventID.slice(0, record.eventID.indexOf(':'))

/**
 * Kills the container that sends the first DynamoDB write after each of `perTenK` evenly spaced
 * points of progress (per 10,000 records): alternately before the write is forwarded and after it
 * landed, so the retry meets both a missing and an already-applied write.
 */
function armKills(proxy: FaultProxy, pool: LambdaPool, progress: Progress, options: RunOptions, perTenK: number): { count: number } {
  const total = Math.max(1, Math.round((perTenK * options.records) / 10_000))
  const every = options.records / (total + 1)
  const rng = new Random(options.seed, 7)
  const kills = { count: 0 }
  proxy.observe((request) => {
    if (kills.count >= total || progress.count < (kills.count + 1) * every || request.operation !== 'PutItem' || request.appId === undefined) return undefined
    kills.count++
    const appId = request.appId
    return { at: rng.chance(0.5) ? 'killBefore' : 'killAfter', then: () => pool.kill(appId) }
  })
  return kills
}

/** Splits each of the stream's `shards` open shards in two, so each child carries one lane. */
async function splitEveryShard(client: KinesisClient, streamName: string, shards: number): Promise<void> {
  const lanesPerShard = laneCount / shards
  for (let shard = 0; shard < shards; shard++) {
    const NewStartingHashKey = laneBoundary(shard * lanesPerShard + lanesPerShard / 2).toString()
    for (;;) {
      try {
        await client.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: `shardId-${String(shard).padStart(12, '0')}`, NewStartingHashKey }))
        break
      } catch (error) {
        if ((error as Error).name !== 'ResourceInUseException') throw error
        await sleep(20) // the previous split is still UPDATING the stream
      }
    }
  }
}

function sumFaults(proxies: readonly FaultProxy[]): Record<FaultKind, number> {
  return Object.fromEntries(faultKinds.map((kind) => [kind, proxies.reduce((n, p) => n + p.injected[kind], 0)])) as Record<FaultKind, number>
}
