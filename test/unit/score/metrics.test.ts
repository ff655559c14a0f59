import { Metrics } from '@aws-lambda-powertools/metrics'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { busiestRules, maxRuleHitMetrics, otherRules, recordBatchMetrics } from '../../../functions/score/metrics.ts'
import { metricSamples, parseEmfLine } from '../../../local/emf.ts'
import { emptyBatchOutcome, type BatchOutcome } from '../../../functions/score/process-batch.ts'

afterEach(() => vi.restoreAllMocks())

const ruleIds = fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,20}$/)

describe('RuleHits cardinality', () => {
  it('keeps the busiest rules apart, sums the rest under _other, and loses no hit', () => {
    fc.assert(
      fc.property(fc.dictionary(ruleIds, fc.integer({ min: 1, max: 1_000 }), { maxKeys: 120 }), (record) => {
        const hits = new Map(Object.entries(record))
        const out = busiestRules(hits)
        const kept = out.filter(([id]) => id !== otherRules)
        expect(kept.length).toBe(Math.min(hits.size, maxRuleHitMetrics))
        expect(out.reduce((total, [, count]) => total + count, 0)).toBe([...hits.values()].reduce((a, b) => a + b, 0))
        const least = Math.min(...kept.map(([, count]) => count))
        for (const [id, count] of hits) if (!kept.some(([k]) => k === id)) expect(count).toBeLessThanOrEqual(least)
        expect(out.some(([id]) => id === otherRules)).toBe(hits.size > maxRuleHitMetrics)
      }),
    )
  })
})

describe('EventTimeToDecision', () => {
  it('spreads more than 100 values over EMF lines of at most 100, every value kept, the counters once', () => {
    const written: string[] = []
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true))
    const metrics = new Metrics({ namespace: 'Vigil', serviceName: 'vigil-scorer' })
    const waits = Array.from({ length: 250 }, (_, i) => i * 10)
    recordBatchMetrics(metrics, 250, outcome({ eventTimeToDecisionMs: [...waits, -5_000] }))
    metrics.publishStoredMetrics()
    vi.restoreAllMocks()

    const samples = written.flatMap((chunk) => chunk.split('\n')).flatMap((line) => parseEmfLine(line) ?? []).flatMap(metricSamples)
    const eventTimes = samples.filter((s) => s.name === 'EventTimeToDecision')
    expect(eventTimes.length).toBeGreaterThanOrEqual(3)
    for (const sample of eventTimes) expect(sample.values.length).toBeLessThanOrEqual(100)
    expect(eventTimes.flatMap((s) => s.values).toSorted((a, b) => a - b)).toEqual([0, ...waits])
    expect(samples.filter((s) => s.name === 'BatchSize').map((s) => s.values)).toEqual([[250]])
  })
})

const outcome = (overrides: Partial<BatchOutcome>): BatchOutcome => ({ ...emptyBatchOutcome(), ...overrides })
