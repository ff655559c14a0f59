/**
 * Fault injection (README, "Fault injection"): every scenario over at least 10,000 records (set
 * VIGIL_FAULTS_RECORDS, or `npm run test:faults:large` for 100,000), through fault proxies in front
 * of the emulators, with zero lost and zero double-counted records, and faults actually injected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { synthesizeApp } from '../../local/synthesized.ts'
import { faultTable, saveResults } from './report.ts'
import { runScenario, type RunOptions, type ScenarioResult } from './run-scenario.ts'
import { scenarios } from './scenarios.ts'

const records = Number(process.env.VIGIL_FAULTS_RECORDS ?? 10_000)
const seed = Number(process.env.VIGIL_FAULTS_SEED ?? 7)
// Ten minutes at the CI size; the slowest scenario (throttling storms, ≈ 200 records/s under the
// SDK's backoff) needs about 5 ms a record, and the wait for the stream's end allows 20, so a
// larger run gets time in proportion.
const scenarioTimeoutMs = Math.max(600_000, 300_000 + records * 30)
const results: ScenarioResult[] = []
let options: RunOptions
let started = 0

describe(`fault injection, ${records} records per scenario, seed ${seed}`, () => {
  beforeAll(() => {
    const app = synthesizeApp()
    options = { seed, records, mapping: app.eventSourceMapping, shards: app.stream.localShardCount }
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
})
