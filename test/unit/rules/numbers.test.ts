import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileRuleSet, type RuleSetIssue } from '../../../functions/core/rules/compile.ts'
import { evaluateRules } from '../../../functions/core/rules/evaluate.ts'
import type { RuleSetInput } from '../../../functions/core/rules/rule-set.ts'
import { rule, ruleSet, txn } from './fixtures/rule-set.ts'

const features: RuleSetInput['features'] = [
  { name: 'x', entity: 'card', aggregate: 'avg', field: 'amount', window: '30d' },
  { name: 'n', entity: 'card', aggregate: 'count', window: '1h' },
  { name: 'fresh', entity: 'account', aggregate: 'device_first_seen' },
]

const compiled = (rules: RuleSetInput['rules']) => {
  const result = compileRuleSet(ruleSet(rules, { features }))
  if (!result.ok) throw new Error(JSON.stringify(result.error.issues))
  return result.value
}

const issuesOf = (rules: RuleSetInput['rules']): RuleSetIssue[] => {
  const result = compileRuleSet(ruleSet(rules, { features }))
  if (result.ok) throw new Error('expected the rule set to be refused')
  return result.error.issues
}

const statuses = (rules: RuleSetInput['rules'], amount: number, values: Record<string, number | boolean>) =>
  Object.fromEntries(evaluateRules(compiled(rules), txn({ amount }), values).map((h) => [h.id, h.error ?? h.status]))

describe('numbers in rules behave as a rule author expects', () => {
  it('evaluates txn.amount > 10 * features.x (int times double), which compiled and then errored on every transaction', () => {
    const rules = [rule('spike', 'txn.amount > 10 * features.x')]
    expect(statuses(rules, 2500, { x: 200.5 })).toEqual({ spike: 'fired' })
    expect(statuses(rules, 2000, { x: 200.5 })).toEqual({})
  })

  it('mixes ints and doubles in +, -, * and /, and compares them by value', () => {
    const rules = [
      rule('sum', 'features.n + 1.5 == 4.5'),
      rule('diff', 'txn.amount - features.x == 2300'),
      rule('ratio', 'features.x / features.n > 66.0 && txn.amount / 2 == 1250'),
      rule('equal', 'features.x == 200 && 3 == features.n && features.x != 201'),
      rule('order', 'features.n < 3.5 && features.x >= 200'),
      rule('modulo', 'txn.amount % 100 == 0'),
    ]
    expect(statuses(rules, 2500, { x: 200, n: 3 })).toEqual({ sum: 'fired', diff: 'fired', ratio: 'fired', equal: 'fired', order: 'fired', modulo: 'fired' })
  })

  it('computes an int and a double together as JavaScript numbers do, in either order (property)', () => {
    const operators = ['+', '-', '*', '/'] as const
    // y is declared as a double feature holding the expected result; each rule fires iff CEL agrees with it.
    const withY: RuleSetInput['features'] = [...features!, { name: 'y', entity: 'card', aggregate: 'min', field: 'amount', window: '1h' }]
    const sets = new Map(
      operators.flatMap((op) =>
        [`txn.amount ${op} features.x`, `features.x ${op} txn.amount`].map((expression, order) => {
          const result = compileRuleSet(ruleSet([rule('r', `${expression} == features.y`)], { features: withY }))
          if (!result.ok) throw new Error(JSON.stringify(result.error.issues))
          return [`${op}${order}`, result.value] as const
        }),
      ),
    )
    const js = { '+': (a: number, b: number) => a + b, '-': (a: number, b: number) => a - b, '*': (a: number, b: number) => a * b, '/': (a: number, b: number) => a / b }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.constantFrom(...operators), fc.constantFrom(0, 1), (amount, x, op, order) => {
        const y = order === 0 ? js[op](amount, x) : js[op](x, amount)
        fc.pre(!Number.isNaN(y))
        const hits = evaluateRules(sets.get(`${op}${order}`)!, txn({ amount }), { x, y })
        expect(hits.map((h) => h.status)).toEqual(['fired'])
      }),
    )
  })

  it('refuses a real type error when the rule set is compiled, with the rule id and position, instead of erroring at run time', () => {
    const when = 'features.n > 2 && txn.merchant.id + 1 == "m-11"'
    const [issue] = issuesOf([rule('ok', 'features.n > 2'), rule('bad-types', when)])
    expect(issue).toMatchObject({ ruleId: 'bad-types', path: 'rules[1].when', line: 1 })
    expect(issue?.message).toMatch(/no such overload: string \+ int/)
    expect(issue?.column).toBe(when.indexOf('txn.merchant.id +') + 1)
  })

  it.each([
    ['a number', 'features.x * 2'],
    ['a string', 'txn.merchant.id'],
    ['a feature that is not a bool', 'features.n'],
    ['a dynamic value', 'dyn(txn.amount)'],
  ])('refuses a condition that yields %s, not a bool', (_name, when) => {
    expect(issuesOf([rule('r', when)])[0]?.message).toMatch(/must yield a bool, not/)
  })

  it('reports every problem of every rule at once, with the schema issues', () => {
    const input = ruleSet(
      [
        rule('a', 'features.nope > 1 && lists.missing.size() > 0 && txn.amout > 2'),
        rule('b', 'txn.merchant.id + 1 == 2'),
        rule('c', 'lists.l.exists(v, lists.l.exists(w, v == w))'),
        rule('d', 'txn.amount > 10'),
      ],
      { features, lists: { l: ['x'] }, thresholds: { review: 95, block: 90 } },
    )
    const result = compileRuleSet(input)
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.error.issues.map((i) => [i.path, i.ruleId ?? null])).toEqual([
      ['thresholds.review', null],
      ['rules[0].when', 'a'],
      ['rules[0].when', 'a'],
      ['rules[0].when', 'a'],
      ['rules[1].when', 'b'],
      ['rules[2].when', 'c'],
    ])
  })
})
