import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { compileRuleSet, type CompiledRuleSet } from '../../../functions/core/rules/compile.ts'
import type { RuleSetInput } from '../../../functions/core/rules/rule-set.ts'
import { checkRuleSetCost, defaultBudgetMs } from '../../../functions/rule-budget/budget.ts'
import { rule, ruleSet } from '../rules/fixtures/rule-set.ts'

const defaultRules = JSON.parse(readFileSync(new URL('../../../rules/default.json', import.meta.url), 'utf8')) as RuleSetInput

const compiled = (input: RuleSetInput): CompiledRuleSet => {
  const result = compileRuleSet(input)
  if (!result.ok) throw new Error(JSON.stringify(result.error.issues))
  return result.value
}

// Margins, not measurements: the sets below cost a hundredth of the budget or hundreds of times it
// on any machine; the figures are in bench/rule-cost.ts.
describe('the per-transaction budget of a rule set', () => {
  it(`accepts the default rule set within the default budget of ${defaultBudgetMs} ms`, () => {
    const result = checkRuleSetCost(compiled(defaultRules))
    expect(result.ok).toBe(true)
    if (result.ok) expect(result.value.worstMs).toBeLessThan(defaultBudgetMs)
  })

  it('accepts a shadow rule with the once catastrophic regex: on RE2 its worst case is linear', () => {
    const set = ruleSet([rule('device-slug', "has(txn.device) && has(txn.device.id) && txn.device.id.matches('^([a-z0-9]+-?)*$')", { mode: 'shadow' })])
    expect(checkRuleSetCost(compiled(set)).ok).toBe(true)
  })

  it('refuses a set whose one comprehension is linear but slow over a full list, naming the slowest rule', () => {
    // Splits every entry of a full list (100,000 × 256 characters): linear, and hundreds of milliseconds.
    const when = "lists.prefixes.exists(p, p.split('a').size() > 300 || txn.merchant.id.startsWith(p))"
    const set = ruleSet([rule('cheap', 'txn.amount > 100'), rule('scan-prefixes', when, { mode: 'shadow' })], { lists: { prefixes: ['m-'] } })
    const result = checkRuleSetCost(compiled(set))
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.error.issues).toEqual([expect.objectContaining({ path: 'rules[1].when', ruleId: 'scan-prefixes' })])
    expect(result.error.issues[0]?.message).toMatch(/over the budget of 2 ms; its slowest rule, scan-prefixes, costs/)
  })

  it('sums every rule on each case and compares with the budget it is given', () => {
    let now = 0
    const clock = () => (now += 0.5) // every evaluation takes 0.5 ms by this clock
    const set = compiled(ruleSet([rule('a', 'true'), rule('b', 'false'), rule('c', 'txn.amount > 1')]))
    const refused = checkRuleSetCost(set, { clock, budgetMs: 1 })
    expect(refused.ok).toBe(false)
    if (!refused.ok) expect(refused.error.issues[0]?.message).toMatch(/costs 1\.50 ms a transaction .* over the budget of 1 ms; its slowest rule, a, costs 0\.50 ms/)
    expect(checkRuleSetCost(set, { clock, budgetMs: 1.5 })).toMatchObject({ ok: true, value: { worstMs: 1.5, slowest: { ruleId: 'a', ms: 0.5 } } })
  })
})
