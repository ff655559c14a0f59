import { Logger } from '@aws-lambda-powertools/logger'
import { Metrics } from '@aws-lambda-powertools/metrics'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Decision } from '../../../functions/core/decision.ts'
import { caseEventRecorder } from '../../../functions/escalation/metrics.ts'
import { recordBatchMetrics } from '../../../functions/score/metrics.ts'
import { metricSamples, parseEmfLine } from '../../../local/emf.ts'
import { formatSummary, StatsCollector } from '../../../local/summary.ts'
import { recordLabelBatchMetrics } from '../../../functions/apply-labels/metrics.ts'
import { emptyBatchOutcome, type BatchOutcome } from '../../../functions/score/process-batch.ts'

afterEach(() => vi.restoreAllMocks())

/** The lines `emit` writes to stdout, as a Lambda's log stream would hold them. */
function linesOf(emit: () => void): string[] {
  const written: string[] = []
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true))
  try {
    emit()
  } finally {
    vi.restoreAllMocks()
  }
  return written.flatMap((chunk) => chunk.split('\n')).filter((line) => line !== '')
}

const decision = (outcome: Decision['outcome'], fired: string[]): Decision => ({
  transactionId: `tx-${Math.random()}`,
  outcome,
  score: 0,
  ruleSetVersion: 1,
  rules: fired.map((id) => ({ id, mode: 'active', status: 'fired', score: 10, values: {} })),
  decidedAt: '2026-11-24T12:00:00.000Z',
})

describe('EMF lines', () => {
  it('reads documents and skips every other line', () => {
    expect(parseEmfLine('{"level":"INFO","message":"case opened","caseId":"c-1"}')).toBeUndefined()
    expect(parseEmfLine('plain text mentioning "_aws"')).toBeUndefined()
    expect(parseEmfLine('{"_aws":{"Timestamp":1}}')).toBeUndefined()
    const document = parseEmfLine(
      JSON.stringify({
        _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'Vigil', Dimensions: [['service'], ['service', 'reason']], Metrics: [{ Name: 'A' }, { Name: 'B' }, { Name: 'C' }] }] },
        service: 'vigil-scorer',
        reason: 'invalid_json',
        A: [1, 2, 3],
        B: 'not a number',
        C: 4,
      }),
    )
    expect(metricSamples(document!)).toEqual([
      { namespace: 'Vigil', name: 'A', dimensions: { service: 'vigil-scorer', reason: 'invalid_json' }, values: [1, 2, 3] },
      { namespace: 'Vigil', name: 'C', dimensions: { service: 'vigil-scorer', reason: 'invalid_json' }, values: [4] },
    ])
  })
})

describe('the summary', () => {
  it('shows what the handlers’ EMF lines say, and nothing else', () => {
    const scorer = new Metrics({ namespace: 'Vigil', serviceName: 'vigil-scorer' })
    const batches = [
      outcome({
        decided: [decision('approve', []), decision('block', ['card-testing', 'velocity-10m']), decision('review', ['velocity-10m'])],
        ruleHits: new Map([['card-testing', 1], ['velocity-10m', 2]]),
        eventTimeToDecisionMs: [100, 200, 300],
        quarantined: 2,
        quarantinedByReason: new Map([['invalid_json', 1], ['invalid_transaction', 1]]),
        duplicates: 1,
      }),
      outcome({ decided: [decision('approve', ['velocity-10m'])], ruleHits: new Map([['velocity-10m', 1]]), eventTimeToDecisionMs: [400], redelivered: 2 }),
    ]
    const cases = new Metrics({ namespace: 'Vigil', serviceName: 'vigil-cases' })
    const labels = new Metrics({ namespace: 'Vigil', serviceName: 'vigil-label-applier' })
    const record = caseEventRecorder(cases, new Logger({ logLevel: 'SILENT' }))
    const lines = [
      ...batches.flatMap((batch) => linesOf(() => (recordBatchMetrics(scorer, 5, batch), scorer.publishStoredMetrics()))),
      ...linesOf(() => {
        for (const kind of ['opened', 'opened', 'escalated'] as const) record({ kind })
        record({ kind: 'slaBreached', deadline: 'analyst' })
        record({ kind: 'slaBreached', deadline: 'supervisor' })
        record({ kind: 'closed', outcome: 'expired' })
        record({ kind: 'closed', outcome: 'fraud' })
        cases.publishStoredMetrics()
      }),
      ...linesOf(() => {
        const outcomes = { accepted: 2, duplicate: 1, superseded: 0, pending: 1 }
        recordLabelBatchMetrics(labels, 5, { outcomes, quarantined: 1, entityWrites: 4, conflicts: 0, firstUnfinished: undefined, errors: [] })
        labels.publishStoredMetrics()
      }),
      '{"level":"INFO","message":"case opened"}',
    ]

    const stats = new StatsCollector()
    for (const line of lines) {
      const document = parseEmfLine(line)
      if (document) stats.emf(document)
    }
    const snapshot = stats.snapshot()
    expect(snapshot).toMatchObject({
      ingested: 4 + 2 + 1 + 2,
      decided: { approve: 2, review: 1, block: 1 },
      quarantined: 2,
      quarantinedByReason: { invalid_json: 1, invalid_transaction: 1 },
      duplicates: 1,
      cases: { opened: 2, escalated: 1, closed: { fraud: 1, legitimate: 0, expired: 1 }, slaBreaches: 2 },
      topRules: [
        { ruleId: 'velocity-10m', hits: 3 },
        { ruleId: 'card-testing', hits: 1 },
      ],
      eventTimeToDecisionMs: { p50: 200, p99: 400, samples: 4 },
    })
    const line = formatSummary(snapshot, new Date(2026, 10, 24, 12, 0, 5), 1.5)
    expect(line).toContain('12:00:05  ingested 9 (1.5/s) · decided 4: approve 2 review 1 block 1 · quarantined 2 (invalid_json 1, invalid_transaction 1)')
    expect(line).toContain('cases opened 2 escalated 1 closed 2 (fraud 1 legitimate 0 expired 1) · SLA breaches 2 · labels 2 applied (1 duplicate, 1 waiting; 0 chargebacks sent) · top rules velocity-10m 3, card-testing 1')
    expect(line).toContain('event→decision p50 0.20 s p99 0.40 s')
  })

  it('reports the percentiles of the last interval until the next one has samples', () => {
    const stats = new StatsCollector()
    stats.lag(1_000)
    stats.roll()
    expect(stats.snapshot().lagMs).toEqual({ p50: 1_000, p99: 1_000, samples: 1 })
    stats.lag(3_000)
    expect(stats.snapshot().lagMs).toEqual({ p50: 3_000, p99: 3_000, samples: 1 })
  })
})

const outcome = (overrides: Partial<BatchOutcome>): BatchOutcome => ({ ...emptyBatchOutcome(), ...overrides })
