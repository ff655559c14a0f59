/**
 * What a rule costs, and what the guards against an unbounded one cost (issue 11, items 7 and 8).
 *
 * 1. The two rule shapes that stalled a shard, on a bare cel-js environment (no Vigil guards):
 *    nested `exists` grows with the cube of the list, `matches` on a backtracking engine doubles
 *    with each character. Small sizes only: the issue's sizes take seconds a transaction.
 * 2. The same shapes in Vigil: nesting is refused when compiled; the regex runs on RE2.
 * 3. The default rule set: its worst case against the 2 ms budget, what the budget check takes,
 *    and what evaluating it costs on an ordinary transaction.
 */
import { readFile } from 'node:fs/promises'
import { Environment } from '@marcbachmann/cel-js'
import { compileRuleSet, type CompiledRuleSet } from '../functions/core/rules/compile.ts'
import { evaluateRules } from '../functions/core/rules/evaluate.ts'
import type { RuleSetInput } from '../functions/core/rules/rule-set.ts'
import { txn } from '../test/unit/rules/fixtures/rule-set.ts'
import { defaultBudgetMs, measureRuleSet } from '../functions/rule-budget/budget.ts'
import { median, saveResults } from './results.ts'

const catastrophic = '^([a-z0-9]+-?)*$'
const adversarial = (length: number) => `${'a'.repeat(length - 1)}!`

/** Milliseconds per call, the median of `runs` timed calls. */
function time(run: () => unknown, runs: number): number {
  const samples: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    run()
    samples.push(performance.now() - start)
  }
  return median(samples)
}

function bareCel(): Record<string, Record<string, number>> {
  const env = new Environment().registerVariable('ids', 'list<string>').registerVariable('id', 'string')
  const nested = env.parse('ids.exists(a, ids.exists(b, ids.exists(c, a + b + c == id)))')
  const regex = env.parse(`id.matches('${catastrophic}')`)
  const nestedMs: Record<string, number> = {}
  for (const size of [10, 20, 40, 80]) {
    const ids = Array.from({ length: size }, (_, i) => `m-${i}`)
    nestedMs[`list of ${size}`] = time(() => nested({ ids, id: 'none' }), 3)
  }
  const regexMs: Record<string, number> = {}
  for (const length of [16, 18, 20, 22, 24]) regexMs[`${length} characters`] = time(() => regex({ ids: [], id: adversarial(length) }), 3)
  return { 'nested exists (ms)': nestedMs, 'backtracking matches (ms)': regexMs }
}

function compiled(input: unknown): CompiledRuleSet {
  const result = compileRuleSet(input)
  if (!result.ok) throw new Error(JSON.stringify(result.error.issues))
  return result.value
}

function vigilGuards() {
  const base = { version: 1, thresholds: { review: 50, block: 90 } }
  const nested = compileRuleSet({ ...base, lists: { ids: ['m-1'] }, rules: [{ id: 'nested', description: 'd', score: 1, when: 'lists.ids.exists(a, lists.ids.exists(b, lists.ids.exists(c, a + b + c == txn.merchant.id)))' }] })
  const slug = compiled({ ...base, rules: [{ id: 'slug', description: 'd', score: 1, mode: 'shadow', when: `has(txn.device.id) && txn.device.id.matches('${catastrophic}')` }] })
  const regexUs: Record<string, number> = {}
  for (const length of [28, 128]) {
    const t = txn({ device: { id: adversarial(length), ip: '192.0.2.1' } })
    regexUs[`${length} characters`] = Math.round(time(() => evaluateRules(slug, t, {}), 200) * 1000 * 10) / 10
  }
  return { 'nested exists': nested.ok ? 'accepted' : `refused when compiled: ${nested.error.issues[0]!.message}`, 'RE2 matches, whole rule set (µs)': regexUs }
}

async function defaultSet() {
  const source = JSON.parse(await readFile(new URL('../rules/default.json', import.meta.url), 'utf8')) as RuleSetInput
  const set = compiled(source)
  let start = performance.now()
  const first = measureRuleSet(set)
  const firstCheckMs = performance.now() - start
  start = performance.now()
  const again = measureRuleSet(set)
  const againCheckMs = performance.now() - start
  const features = { card_count_10m: 1, card_count_1h: 2, card_distinct_merchants_10m: 1, card_max_amount_10m: 100, card_count_30d: 10, card_avg_amount_30d: 2000, card_km_from_last: 1, card_kmh_from_last: 2, account_new_device: false, ip_distinct_cards_1h: 1 }
  const t = txn({ device: { id: 'device-1', ip: '192.0.2.1' } })
  for (let i = 0; i < 20_000; i++) evaluateRules(set, { ...t }, features)
  const runs = 100_000
  start = performance.now()
  for (let i = 0; i < runs; i++) evaluateRules(set, { ...t }, features)
  const ordinaryUs = ((performance.now() - start) / runs) * 1000
  return {
    budgetMs: defaultBudgetMs,
    worstCaseMs: Math.round(Math.max(first.worstMs, again.worstMs) * 1000) / 1000,
    worstCase: first.worstCase,
    slowestRule: first.slowest.ruleId,
    cases: first.cases,
    checkMs: { first: Math.round(firstCheckMs), again: Math.round(againCheckMs) },
    ordinaryTransactionUs: Math.round(ordinaryUs * 100) / 100,
  }
}

export async function ruleCostBench(): Promise<void> {
  const figures = { bareCel: bareCel(), vigil: vigilGuards(), defaultRuleSet: await defaultSet() }
  console.log(JSON.stringify(figures, null, 2))
  console.log(`saved ${await saveResults('rule-cost', figures)}`)
}
