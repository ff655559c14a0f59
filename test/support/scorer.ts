import { PutRecordsCommand } from '@aws-sdk/client-kinesis'
import { Logger } from '@aws-lambda-powertools/logger'
import type { KinesisStreamEvent } from 'aws-lambda'
import fc from 'fast-check'
import { expect } from 'vitest'
import { fromItem as decisionFromItem } from '../../functions/aws/decision-store.ts'
import { publishRuleSet } from '../../functions/aws/rule-set-store.ts'
import type { Decision } from '../../functions/core/decision.ts'
import { entityKinds } from '../../functions/core/features/definition.ts'
import { MemoryScorer } from '../../functions/core/memory-scorer.ts'
import { compileRuleSet } from '../../functions/core/rules/compile.ts'
import { parseTransactionJson } from '../../functions/core/transaction.ts'
import { scorerDependencies } from '../../functions/score/dependencies.ts'
import type { EscalationPort } from '../../functions/score/ports.ts'
import type { ScorerDeps } from '../../functions/score/process-batch.ts'
import { scoreKinesisEvent } from '../../functions/score/score-event.ts'
import { createStream, createTables, tableEnvironment } from '../../local/emulators.ts'
import { generateTraffic } from '../../local/traffic/index.ts'
import type { EmulatorContext } from './emulators.ts'
import { scanTable } from './scan.ts'
import { uniqueName } from './emulators.ts'
import { KinesisPoller } from './kinesis-poller.ts'
import { defaultRuleSet } from './scenario.ts'
import { testKey, testKeySecret } from './transactions.ts'

export const fixedNow = new Date('2026-11-24T12:00:00.000Z')

/** The escalation port as the next issue's workflow will see it: one case per transaction. */
export class RecordingEscalation implements EscalationPort {
  readonly cases = new Map<string, Decision>()
  calls = 0

  async escalate(decision: Decision): Promise<void> {
    this.calls++
    if (!this.cases.has(decision.transactionId)) this.cases.set(decision.transactionId, decision)
  }
}

/** A stream, the four tables and the scorer's real adapters, all on the test's emulators. */
export async function scorerFixture(aws: EmulatorContext, options: { shards?: number; rulesRefreshSeconds?: number } = {}) {
  const names = { decisions: uniqueName('decisions'), entityState: uniqueName('entities'), rules: uniqueName('rules'), quarantine: uniqueName('quarantine') }
  const streamName = uniqueName('transactions')
  await createTables(aws.dynamo, names)
  await createStream(aws.kinesis, streamName, options.shards ?? 1)
  await publishRuleSet(aws.dynamo, names.rules, defaultRuleSet(), fixedNow)
  const escalation = new RecordingEscalation()
  const env = { ...tableEnvironment(names), VIGIL_TOKENIZATION_KEY: testKeySecret, VIGIL_RULES_REFRESH_SECONDS: String(options.rulesRefreshSeconds ?? 5) }
  const deps: ScorerDeps = {
    ...scorerDependencies(env, new Logger({ logLevel: 'SILENT' }), { dynamo: aws.dynamo }),
    escalation,
    now: () => fixedNow,
  }
  const poller = new KinesisPoller({ client: aws.kinesis, streamName })

  return {
    names,
    deps,
    escalation,
    poller,
    /** PutRecords with the real SDK, one partition key (one shard's order). */
    async put(lines: readonly string[], partitionKey = 'card'): Promise<void> {
      for (let i = 0; i < lines.length; i += 500) {
        const response = await aws.kinesis.send(
          new PutRecordsCommand({ StreamName: streamName, Records: lines.slice(i, i + 500).map((line) => ({ Data: Buffer.from(line, 'utf8'), PartitionKey: partitionKey })) }),
        )
        if (response.FailedRecordCount) throw new Error(`${response.FailedRecordCount} records were not put`)
      }
    },
    invoke: (event: KinesisStreamEvent, with_: ScorerDeps = deps) => scoreKinesisEvent(arrivedAt(event, fixedNow), with_),
    async decisions(): Promise<Map<string, Decision>> {
      const items = await scanTable(aws.dynamo, names.decisions)
      return new Map(items.map((item) => [item.transactionId!.S!, decisionFromItem(item).decision]))
    },
    async entityStates(): Promise<Map<string, unknown>> {
      const items = await scanTable(aws.dynamo, names.entityState)
      return new Map(items.map((item) => [item.entityKey!.S!, JSON.parse(item.state!.S!)]))
    },
    async quarantine() {
      return scanTable(aws.dynamo, names.quarantine)
    },
  }
}

/**
 * The event as if every record had arrived at `at`. Kinesalite stamps arrival with today's clock,
 * and the scorer refuses event times far from it; the fixture's fixed-date traffic arrives at the
 * fixture's own clock, as its decisions are made at it, so the tests mean the same whatever today is.
 */
export function arrivedAt(event: KinesisStreamEvent, at: Date): KinesisStreamEvent {
  return { Records: event.Records.map((record) => ({ ...record, kinesis: { ...record.kinesis, approximateArrivalTimestamp: at.getTime() / 1000 } })) }
}

/**
 * The ground truth: the pure core over the stream's distinct valid transactions, in order, each
 * once. Decisions by transaction id; entity states by `<kind>#<id>`.
 */
export function groundTruth(lines: readonly string[]) {
  const ruleSet = compileRuleSet(defaultRuleSet())
  if (!ruleSet.ok) throw new Error('default rules do not compile')
  const scorer = new MemoryScorer(ruleSet.value)
  const decisions = new Map<string, Decision>()
  for (const line of lines) {
    const parsed = parseTransactionJson(line, testKey)
    if (!parsed.ok || decisions.has(parsed.value.transactionId)) continue
    decisions.set(parsed.value.transactionId, scorer.score(parsed.value, fixedNow.toISOString()))
  }
  const states = new Map<string, unknown>()
  for (const kind of entityKinds) for (const [id, state] of scorer.states[kind]) states.set(`${kind}#${id}`, state)
  return { decisions, states }
}

type Gate = () => void

/** The scorer's ports with `gate` run before every write: where tests inject crashes and throttling. */
export function gated(deps: ScorerDeps, gate: Gate): ScorerDeps {
  return {
    ...deps,
    decisions: { read: (ids) => deps.decisions.read(ids), write: async (d, s, subject) => (gate(), deps.decisions.write(d, s, subject)) },
    entities: { read: (keys) => deps.entities.read(keys), write: async (k, i, v) => (gate(), deps.entities.write(k, i, v)) },
    quarantine: { put: async (e) => (gate(), deps.quarantine.put(e)) },
    escalation: { escalate: async (d, t) => (gate(), deps.escalation.escalate(d, t)) },
  }
}

/** A process that dies after `writes` writes: nothing after that reaches the tables. */
export function crashingAfter(deps: ScorerDeps, writes: number): ScorerDeps {
  let left = writes
  return gated(deps, () => {
    if (left-- <= 0) throw new Error('crashed')
  })
}

/** DynamoDB throttling on the `nth` write (1-based) only: a transient error. */
export function throttlingOnce(deps: ScorerDeps, nth: number): ScorerDeps {
  let count = 0
  return gated(deps, () => {
    if (++count === nth) throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ThrottlingException' })
  })
}

/** What Lambda sends after a partial batch response: the batch from the named record on. */
export function resumeFrom(event: KinesisStreamEvent, sequenceNumber: string): KinesisStreamEvent {
  return { Records: event.Records.slice(event.Records.findIndex((r) => r.kinesis.sequenceNumber === sequenceNumber)) }
}

/** A few hot cards, so batches hold several records of one entity; with duplicates and bad lines. */
export function trafficLines(seed: number, count: number, options: { malformedShare?: number; duplicateShare?: number } = {}): string[] {
  const lines: string[] = []
  for (const event of generateTraffic({
    seed,
    start: new Date('2026-11-20T08:00:00Z'),
    count,
    cards: 6,
    ratePerSecond: 0.05,
    fraudShare: 0.2,
    malformedShare: options.malformedShare ?? 0,
    duplicateShare: options.duplicateShare ?? 0,
    outOfOrderShare: 0,
  })) {
    lines.push(event.line)
  }
  return lines
}

export type ScorerFixture = Awaited<ReturnType<typeof scorerFixture>>

/** The tables hold exactly what the pure core computes on the de-duplicated stream, and one case per escalated transaction. */
export async function expectGroundTruth(fixture: ScorerFixture, lines: string[]): Promise<void> {
  const truth = groundTruth(lines)
  expect(await fixture.decisions()).toEqual(truth.decisions)
  expect(await fixture.entityStates()).toEqual(truth.states)
  const escalated = [...truth.decisions.values()].filter((d) => d.outcome !== 'approve').map((d) => d.transactionId)
  expect([...fixture.escalation.cases.keys()].sort()).toEqual(escalated.sort())
}

/** One thing the event source mapping (or the world) does to a batch. */
export const deliveryStep = fc.oneof(
  fc.record({ kind: fc.constant('deliver' as const), size: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('crash' as const), size: fc.integer({ min: 1, max: 12 }), after: fc.integer({ min: 0, max: 30 }) }),
  fc.record({ kind: fc.constant('throttle' as const), size: fc.integer({ min: 1, max: 12 }), nth: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ kind: fc.constant('twice-at-once' as const), size: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('replay' as const), back: fc.integer({ min: 1, max: 20 }), size: fc.integer({ min: 1, max: 12 }) }),
)
export type DeliveryStep = typeof deliveryStep extends fc.Arbitrary<infer T> ? T : never

/**
 * Plays the steps against the stream like Lambda's event source mapping would: a checkpoint that
 * advances past a successful batch, stays put after a crash, and moves to the record a partial
 * batch response names; then delivers the rest until the shard is done.
 */
export async function deliverWith(fixture: ScorerFixture, steps: readonly DeliveryStep[]): Promise<void> {
  const [event] = await fixture.poller.drain(1_000)
  const records = event!.Records
  let checkpoint = 0
  const batch = (from: number, size: number) => ({ Records: records.slice(from, from + size) })
  const advance = (from: number, size: number, failed: string | undefined) =>
    failed === undefined ? Math.min(from + size, records.length) : records.findIndex((r) => r.kinesis.sequenceNumber === failed)
  const finish = Array.from({ length: records.length }, (): DeliveryStep => ({ kind: 'deliver', size: 12 }))
  for (const step of [...steps, ...finish]) {
    if (checkpoint >= records.length) break
    if (step.kind === 'replay') {
      await fixture.invoke(batch(Math.max(0, checkpoint - step.back), step.size))
      continue
    }
    const current = batch(checkpoint, step.size)
    if (step.kind === 'crash') {
      await fixture.invoke(current, crashingAfter(fixture.deps, step.after))
      continue
    }
    if (step.kind === 'twice-at-once') {
      const results = await Promise.all([fixture.invoke(current), fixture.invoke(current)])
      const failures = results.flatMap((r) => r.response.batchItemFailures.map((f) => f.itemIdentifier))
      checkpoint = failures.length === 0 ? advance(checkpoint, step.size, undefined) : Math.min(...failures.map((f) => advance(checkpoint, step.size, f)))
      continue
    }
    const { response } = await fixture.invoke(current, step.kind === 'throttle' ? throttlingOnce(fixture.deps, step.nth) : fixture.deps)
    checkpoint = advance(checkpoint, step.size, response.batchItemFailures[0]?.itemIdentifier)
  }
}

/** The property both tiers prove: whatever the deliveries, the tables end at the ground truth. */
export async function checkInterleavings(aws: EmulatorContext, options: { numRuns: number; records: number; maxSteps: number }): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 1_000 }), fc.array(deliveryStep, { minLength: 1, maxLength: options.maxSteps }), async (seed, steps) => {
      const fixture = await scorerFixture(aws)
      const lines = trafficLines(seed, options.records, { malformedShare: 0.05, duplicateShare: 0.15 })
      await fixture.put(lines)
      await deliverWith(fixture, steps)
      await expectGroundTruth(fixture, lines)
    }),
    { numRuns: options.numRuns },
  )
}
