import { describe, expect, it } from 'vitest'
import { runBacktest, type Reject } from '../../../cli/backtest/run.ts'
import type { Decision } from '../../../functions/core/decision.ts'
import { summarize } from '../../../functions/core/rules/stats.ts'
import { compiled, defaultRuleSet, history, replay } from '../../support/scenario.ts'
import { testKey } from '../../support/transactions.ts'

const rules = compiled(defaultRuleSet())

async function backtest(lines: string[], options: { labels?: Map<string, boolean>; reorderCapacity?: number } = {}) {
  const decisions: Decision[] = []
  const rejects: Reject[] = []
  async function* source() {
    yield* lines
  }
  const report = await runBacktest({
    ruleSet: rules,
    keyring: testKey,
    lines: source(),
    reorderCapacity: options.reorderCapacity ?? 100,
    dedupeHorizonMs: 86_400_000,
    labels: options.labels,
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
    const labels = new Map([
      ['tx-0', false],
      ['tx-1', false],
      ['tx-2', true],
      ['tx-3', true],
    ])
    const { report } = await backtest([0, 1, 2, 3].map(lineOf), { labels })
    const summary = summarize(report.tally)
    expect(summary).toMatchObject({ decisions: 4, labeled: 4, fraud: 2, precision: 1, recall: 0.5 })
    expect(summary.rules.find((r) => r.id === 'card-testing')).toMatchObject({ hits: 1, precision: 1, recall: 0.5 })
    expect(summary.rules.find((r) => r.id === 'velocity-10m')).toMatchObject({ hits: 0, precision: null, recall: 0 })
  })
})
