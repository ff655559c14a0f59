import { describe, expect, it } from 'vitest'
import { compileRuleSet } from '../../../functions/core/rules/compile.ts'
import type { RuleSetInput } from '../../../functions/core/rules/rule-set.ts'
import { issuesOf, rule, ruleSet } from './fixtures/rule-set.ts'

const ids = Array.from({ length: 300 }, (_, i) => `m-${i}`)
const withLists = (rules: RuleSetInput['rules']) => ruleSet(rules, { lists: { merchants: ids, other: ['x'] } })


describe('rules whose work is not bounded are refused when the rule set is compiled', () => {
  it('refuses three nested exists over a 300-entry list (27 million steps a transaction), naming the rule and where the nesting starts', () => {
    const when = 'lists.merchants.exists(a, lists.merchants.exists(b, lists.merchants.exists(c, a + b + c == txn.merchant.id)))'
    const issues = issuesOf(withLists([rule('ok', 'txn.amount > 100'), rule('triple-exists', when, { mode: 'shadow' })]))
    const nested = issues.filter((i) => /nested comprehensions/.test(i.message))
    expect(nested.map((i) => i.ruleId)).toEqual(['triple-exists', 'triple-exists'])
    expect(nested[0]).toMatchObject({ path: 'rules[1].when', line: 1, column: when.indexOf('lists.merchants.exists(b') + 1 })
  })

  it.each([
    ['all inside map', 'lists.merchants.map(a, lists.other.all(b, b != a)).size() > 0'],
    ['filter inside exists_one', 'lists.merchants.exists_one(a, [1, 2].filter(x, x > 1).size() > 0)'],
    ['exists inside a list literal inside all', '[1, 2].all(x, [[1].exists(y, y == x)][0])'],
  ])('refuses a comprehension nested in another one: %s', (_name, when) => {
    expect(issuesOf(withLists([rule('r', when)])).some((i) => /nested comprehensions/.test(i.message))).toBe(true)
  })

  it.each([
    ['concatenated', 'lists.merchants.exists(a, size(lists.other + [a]) > 1)'],
    ['compared', 'lists.merchants.exists(a, lists.other == [a])'],
    ['indexed (a set is walked to its index)', 'lists.merchants.exists(a, lists.other[0] == a)'],
  ])('refuses a whole list of the rule set read once per element: %s', (_name, when) => {
    expect(issuesOf(withLists([rule('r', when)]))[0]?.message).toMatch(/reads all of lists\.other inside exists\(\)/)
  })

  it('refuses cel.bind, which can double a string at each level', () => {
    expect(issuesOf(withLists([rule('r', 'cel.bind(a, txn.merchant.id + txn.merchant.id, a.size() > 3)')]))[0]?.message).toMatch(/cel\.bind/)
  })

  it('accepts comprehensions one after another, and membership tests inside one', () => {
    const result = compileRuleSet(
      withLists([
        rule('chain', 'lists.merchants.filter(m, m.startsWith("m-1")).exists(m, m == txn.merchant.id)'),
        rule('lookup', 'lists.merchants.exists(m, m in lists.other || m == txn.merchant.id)'),
      ]),
    )
    expect(result.ok).toBe(true)
  })
})
