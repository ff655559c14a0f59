import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { runBacktest, type Reject } from '../../../cli/backtest/run.ts'
import type { Decision } from '../../../functions/core/decision.ts'
import type { HistoricalLabel } from '../../../functions/core/labels/label.ts'
import type { CompiledRuleSet } from '../../../functions/core/rules/compile.ts'
import { summarize } from '../../../functions/core/rules/stats.ts'
import { compiled, defaultRuleSet, firedIds, history, replay } from '../../support/scenario.ts'
import { testKey, withLuhnDigit } from '../../support/transactions.ts'

const rules = compiled(defaultRuleSet())

async function backtest(lines: string[], options: { labels?: HistoricalLabel[]; labelDelayMs?: number; reorderCapacity?: number; ruleSet?: CompiledRuleSet } = {}) {
  const decisions: Decision[] = []
  const rejects: Reject[] = []
  async function* source() {
    yield* lines
  }
  const report = await runBacktest({
    ruleSet: options.ruleSet ?? rules,
    keyring: testKey,
    lines: source(),
    reorderCapacity: options.reorderCapacity ?? 100,
    dedupeHorizonMs: 86_400_000,
    labels: options.labels,
    ...(options.labelDelayMs === undefined ? {} : { labelDelayMs: options.labelDelayMs }),
    onDecision: (d) => void decisions.push(d),
    onReject: (r) => void rejects.push(r),
  })
  return { report, decisions, rejects }
}

// Card testing: four small amounts at four merchants within minutes; the fourth is blocked.
const burst = history('2026-11-24T10:00:00Z', [0, 1, 2, 3].map((at) => ({ at, amount: 100, merchant: { id: `m-${at}` } })))
const lineOf = (i: number) => JSON.stringify(burst[i])

describe('runBacktest', () => {
  it('puts every line in exactly one place: a decision, or a reject with its line number and reason', async () => {
    const lines = [lineOf(0), '{not json', lineOf(1), JSON.stringify({ ...burst[2], amount: -1 }), '', lineOf(1), lineOf(3)]
    const { report, decisions, rejects } = await backtest(lines)
    expect(decisions.map((d) => d.transactionId)).toEqual(['tx-0', 'tx-1', 'tx-3'])
    expect(rejects).toEqual([
      { line: 2, code: 'invalid_json', issues: [{ path: '', message: 'is not valid JSON' }] },
      { line: 4, code: 'invalid_transaction', issues: [{ path: 'amount', message: expect.any(String) }] },
      { line: 6, code: 'duplicate_transaction', issues: [{ path: 'transactionId', message: expect.any(String) }] },
    ])
    expect(report).toMatchObject({ lines: 7, rejected: 2, duplicates: 1 })
  })

  it('scores in event-time order, whatever the order of the lines within the reorder buffer', async () => {
    const shuffled = [3, 1, 0, 2].map(lineOf)
    const { decisions } = await backtest(shuffled)
    expect(decisions).toEqual(replay(rules, burst))
    expect(decisions[3]?.outcome).toBe('block')
  })

  it('reports precision and recall per rule and overall from labels', async () => {
    const labels: HistoricalLabel[] = [
      { transactionId: 'tx-0', fraud: false },
      { transactionId: 'tx-1', fraud: false, source: 'analyst' },
      { transactionId: 'tx-2', fraud: true, source: 'chargeback' },
      { transactionId: 'tx-3', fraud: true, source: 'chargeback', reportedAt: '2026-12-20T00:00:00Z' },
      // An older report that tx-3 was legitimate: the newest word stands.
      { transactionId: 'tx-3', fraud: false, source: 'analyst', reportedAt: '2026-11-25T00:00:00Z' },
    ]
    const { report } = await backtest([0, 1, 2, 3].map(lineOf), { labels })
    const summary = summarize(report.tally)
    expect(summary).toMatchObject({ decisions: 4, labeled: 4, fraud: 2, precision: 1, recall: 0.5, labeledBy: { unknown: 1, analyst: 1, chargeback: 2 } })
    expect(summary.rules.find((r) => r.id === 'card-testing')).toMatchObject({ hits: 1, precision: 1, recall: 0.5, labeledBy: { chargeback: 1 } })
    expect(summary.rules.find((r) => r.id === 'velocity-10m')).toMatchObject({ hits: 0, precision: null, recall: 0 })
  })
})

const day = 86_400_000
const t0 = Date.parse('2026-10-01T00:00:00Z')
const iso = (ms: number) => new Date(ms).toISOString()

/** One rule on confirmed fraud at the merchant in the last 30 days, as known when each transaction is scored. */
const labelFed = compiled({
  version: 1,
  thresholds: { review: 50, block: 90 },
  features: [{ name: 'merchant_frauds_30d', entity: 'merchant', aggregate: 'fraud_count', window: '30d' }],
  rules: [{ id: 'merchant-fraud', description: 'Fraud confirmed at this merchant', when: 'features.merchant_frauds_30d >= 1', score: 60 }],
})

/** Transactions at one merchant, one a day, from distinct cards. */
const atMerchant = (days: readonly number[]) =>
  history(iso(t0), days.map((d) => ({ at: d * 1440, merchant: { id: 'm-1' }, card: { pan: withLuhnDigit(`411111111111${String(d).padStart(3, '0')}`) } }))).map((txn) => JSON.stringify(txn))

describe('runBacktest feeding labels into features', () => {
  it('a label counts from its reportedAt on: transactions scored before it do not see it', async () => {
    const lines = atMerchant([0, 2, 4, 6])
    const labels: HistoricalLabel[] = [{ transactionId: 'tx-0', fraud: true, source: 'chargeback', reportedAt: iso(t0 + 3 * day) }]
    const { decisions, report } = await backtest(lines, { labels, ruleSet: labelFed })
    expect(decisions.map(firedIds)).toEqual([[], [], ['merchant-fraud'], ['merchant-fraud']])
    expect(report.labels).toEqual({ fed: 1, accepted: 1, duplicate: 0, superseded: 0, unmatched: 0 })
  })

  it('--label-delay dates labels that have no reportedAt; without it they only measure', async () => {
    const lines = atMerchant([0, 2, 4, 6])
    const labels: HistoricalLabel[] = [{ transactionId: 'tx-0', fraud: true }]
    const delayed = await backtest(lines, { labels, labelDelayMs: 5 * day, ruleSet: labelFed })
    expect(delayed.decisions.map(firedIds)).toEqual([[], [], [], ['merchant-fraud']])
    const measured = await backtest(lines, { labels, ruleSet: labelFed })
    expect(measured.decisions.map(firedIds)).toEqual([[], [], [], []])
    expect(summarize(measured.report.tally)).toMatchObject({ labeled: 1, fraud: 1 })
  })

  it('a label reported before its transaction waits for it, and counts only after its decision; one with no transaction is unmatched', async () => {
    const lines = atMerchant([0, 2, 4])
    const labels: HistoricalLabel[] = [
      { transactionId: 'tx-1', fraud: true, source: 'issuer', reportedAt: iso(t0) },
      { transactionId: 'tx-unknown', fraud: true, source: 'issuer', reportedAt: iso(t0) },
    ]
    const { decisions, report } = await backtest(lines, { labels, ruleSet: labelFed })
    expect(decisions.map(firedIds)).toEqual([[], [], ['merchant-fraud']])
    expect(report.labels).toMatchObject({ fed: 2, accepted: 1, unmatched: 1 })
  })

  it('duplicates count once and a flip corrects: verdict, chargeback, then a lost dispute', async () => {
    const lines = atMerchant([0, 2, 4, 6, 8])
    const labels: HistoricalLabel[] = [
      { transactionId: 'tx-0', fraud: true, source: 'analyst', reportedAt: iso(t0 + day) },
      { transactionId: 'tx-0', fraud: true, source: 'chargeback', reportedAt: iso(t0 + 3 * day) },
      { transactionId: 'tx-0', fraud: false, source: 'issuer', reportedAt: iso(t0 + 5 * day) },
    ]
    const { decisions, report } = await backtest(lines, { labels, ruleSet: labelFed })
    expect(decisions.map(firedIds)).toEqual([[], ['merchant-fraud'], ['merchant-fraud'], [], []])
    expect(report.labels).toEqual({ fed: 3, accepted: 2, duplicate: 1, superseded: 0, unmatched: 0 })
  })

  it('no leakage: each decision is the one made with only the labels reported by its time', async () => {
    const script = fc.record({
      days: fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { minLength: 2, maxLength: 12 }).map((d) => d.sort((a, b) => a - b)),
      labels: fc.array(fc.record({ of: fc.nat(), fraud: fc.boolean(), reportedDay: fc.integer({ min: 0, max: 50 }) }), { maxLength: 12 }),
    })
    await fc.assert(
      fc.asyncProperty(script, async ({ days, labels }) => {
        const lines = atMerchant(days)
        const all: HistoricalLabel[] = labels.map(({ of, fraud, reportedDay }) => ({
          transactionId: `tx-${of % days.length}`,
          fraud,
          source: 'chargeback',
          reportedAt: iso(t0 + reportedDay * day + 3_600_000),
        }))
        const { decisions } = await backtest(lines, { labels: all, ruleSet: labelFed })
        expect(decisions).toHaveLength(days.length)
        for (const [i, d] of days.entries()) {
          const knownThen = all.filter((label) => Date.parse(label.reportedAt!) <= t0 + d * day)
          const alone = await backtest(lines.slice(0, i + 1), { labels: knownThen, ruleSet: labelFed })
          expect(decisions[i]).toEqual(alone.decisions[i])
        }
      }),
      { numRuns: 40 },
    )
  })
})
