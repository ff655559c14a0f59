/**
 * Fault injection (README, "Fault injection"): every scenario over at least 10,000 records (set
 * VIGIL_FAULTS_RECORDS, or `npm run test:faults:large` for 100,000), through fault proxies in front
 * of the emulators, with zero lost and zero double-counted records, and faults actually injected.
 * The labels scenario runs the label applier over a feed about one label per transaction, on a
 * fifth as many transactions, under a schedule of faults fast-check draws from the seed.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { synthesizeApp } from '../../local/synthesized.ts'
import { runLabelScenario, type LabelRunOptions } from './label-scenario.ts'
import { drawSchedule, labelSchedule } from './label-schedule.ts'
import { faultTable, saveResults, type FaultRow } from './report.ts'
import { runScenario, type RunOptions } from './run-scenario.ts'
import { scenarios } from './scenarios.ts'

const records = Number(process.env.VIGIL_FAULTS_RECORDS ?? 10_000)
const seed = Number(process.env.VIGIL_FAULTS_SEED ?? 7)
// Ten minutes at the CI size; the slowest scenario (throttling storms, ≈ 200 records/s under the
// SDK's backoff) needs about 5 ms a record, and the wait for the stream's end allows 20, so a
// larger run gets time in proportion.
const scenarioTimeoutMs = Math.max(600_000, 300_000 + records * 30)
const results: FaultRow[] = []
let options: RunOptions
let labels: Omit<LabelRunOptions, 'schedule' | 'transactions'>
let started = 0

describe(`fault injection, ${records} records per scenario, seed ${seed}`, () => {
  beforeAll(() => {
    const app = synthesizeApp()
    options = { seed, records, mapping: app.eventSourceMapping, shards: app.stream.localShardCount }
    labels = { seed, batchSize: app.labelEventSourceMapping.BatchSize, shards: app.labelStream.localShardCount }
    started = Date.now()
  })

  afterAll(async () => {
    if (results.length === 0) return
    process.stdout.write(`\n${faultTable(results)}\n`)
    await saveResults(results, { seed, recordsPerScenario: records, seconds: (Date.now() - started) / 1000 })
  })

  it.each(scenarios.map((s) => [s.name, s] as const))('%s: nothing lost, nothing counted twice', async (_, scenario) => {
    const result = await runScenario(scenario, options)
    results.push(result)
    expect(result.records).toBeGreaterThanOrEqual(records)
    expect({ lost: result.lost, doubleCounted: result.doubleCounted, mismatched: result.mismatched }).toEqual({ lost: 0, doubleCounted: 0, mismatched: 0 })
    expect(result.faultsInjected).toBeGreaterThan(0)
    expect(result.decisions + result.quarantined).toBeGreaterThanOrEqual(records * 0.9)
    expect(result.cases.executions).toBe(result.cases.escalated)
    if (scenario.killsPer10k !== undefined) expect(result.faults.workerKilled).toBeGreaterThan(0)
    if (scenario.midstream?.action === 'activate-rule-set') expect(Object.keys(result.versions)).toEqual(['1', '2'])
    if (scenario.name === 'producer duplicates') expect(result.streamRecords).toBeGreaterThan(result.records)
  }, scenarioTimeoutMs)

  it('labels: every label record logged once or quarantined, fraud counted once, entities as the in-memory scorer', async () => {
    const transactions = Math.round(records / 5)
    const schedule = drawSchedule(seed, labels.shards, Math.ceil(transactions / 50))
    const result = await runLabelScenario({ ...labels, transactions, schedule })
    results.push(result)
    expect({ lost: result.lost, doubleCounted: result.doubleCounted, mismatched: result.mismatched }).toEqual({ lost: 0, doubleCounted: 0, mismatched: 0 })
    expect(result.fraudUnits.stored).toBe(result.fraudUnits.truth)
    for (const kind of ['throttle', 'throttledWrite', 'crashItemPhase', 'crashEntityPhase', 'redelivered', 'scorerConcurrent'] as const) expect(result.faults[kind], kind).toBeGreaterThan(0)
    expect(result.exercised.partialResumes).toBeGreaterThan(0)
    expect(result.exercised.applierEntityConflicts).toBeGreaterThan(0)
    expect(result.outcomes).toEqual({ accepted: expect.any(Number), duplicate: expect.any(Number), superseded: expect.any(Number), pending: expect.any(Number) })
    for (const n of Object.values(result.outcomes)) expect(n).toBeGreaterThan(0)
    expect(result.quarantined).toBe(result.stories.malformed)
  }, scenarioTimeoutMs)

  it('labels under random fault schedules: nothing lost, nothing counted twice, whatever fast-check draws', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 10_000 }), labelSchedule(labels.shards, 12), async (trafficSeed, schedule) => {
        const result = await runLabelScenario({ ...labels, batchSize: 20, seed: trafficSeed, transactions: 100, schedule })
        expect({ lost: result.lost, doubleCounted: result.doubleCounted, mismatched: result.mismatched }).toEqual({ lost: 0, doubleCounted: 0, mismatched: 0 })
      }),
      { seed, numRuns: 2, endOnFailure: true },
    )
  }, 300_000)
})
