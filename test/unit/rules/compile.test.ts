import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { compileRuleSet } from '../../../functions/core/rules/compile.ts'
import type { RuleSetInput } from '../../../functions/core/rules/rule-set.ts'
import { issuesOf } from './fixtures/rule-set.ts'

const defaultRules = JSON.parse(readFileSync(new URL('../../../rules/default.json', import.meta.url), 'utf8')) as RuleSetInput

const base = (rules: RuleSetInput['rules'], extra: Partial<RuleSetInput> = {}): RuleSetInput => ({
  version: 3,
  thresholds: { review: 50, block: 90 },
  features: [{ name: 'card_count_1h', entity: 'card', aggregate: 'count', window: '1h' }],
  lists: { blocked_cards: ['tok'] },
  rules,
  ...extra,
})


describe('compileRuleSet', () => {
  it('compiles the shipped default rule set', () => {
    const result = compileRuleSet(defaultRules)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.value.rules.map((r) => r.id)).toContain('card-testing')
    expect(result.value.rules.find((r) => r.id === 'ip-many-cards')?.mode).toBe('shadow')
  })

  it('records which features, lists and transaction fields each rule reads', () => {
    const result = compileRuleSet(base([{ id: 'r', description: 'd', score: 1, when: 'features.card_count_1h > 2 && txn.merchant.id in lists.blocked_cards' }]))
    expect(result.ok && result.value.rules[0]?.reads).toEqual({ features: ['card_count_1h'], lists: ['blocked_cards'], models: [], txnPaths: ['merchant.id'] })
  })

  it('defaults a rule to active mode', () => {
    const result = compileRuleSet(base([{ id: 'r', description: 'd', score: 1, when: 'true' }]))
    expect(result.ok && result.value.rules[0]?.mode).toBe('active')
  })

  it('rejects a syntax error with the rule id, line and column', () => {
    const [issue] = issuesOf(base([{ id: 'ok-rule', description: 'd', score: 1, when: 'true' }, { id: 'broken', description: 'd', score: 1, when: 'txn.amount >\n  && true' }]))
    expect(issue).toMatchObject({ path: 'rules[1].when', ruleId: 'broken', line: 2, column: 3 })
  })

  it('rejects a feature the rule set does not declare, pointing at it', () => {
    const [issue] = issuesOf(base([{ id: 'r', description: 'd', score: 1, when: 'txn.amount > 1 && features.card_count_2h > 3' }]))
    expect(issue).toMatchObject({ ruleId: 'r', line: 1, column: 'txn.amount > 1 && features.'.length + 1 })
    expect(issue?.message).toContain('card_count_2h')
  })

  it('rejects an undeclared list and a transaction field that does not exist', () => {
    const issues = issuesOf(base([
      { id: 'a', description: 'd', score: 1, when: 'txn.merchant.id in lists.vip' },
      { id: 'b', description: 'd', score: 1, when: 'txn.amout > 5' },
    ]))
    expect(issues.map((i) => [i.ruleId, i.message.split(' (')[0]])).toEqual([
      ['a', 'reads list "vip", which the rule set does not declare'],
      ['b', 'reads txn.amout, which a transaction does not have'],
    ])
  })

  it('rejects an expression that cannot yield a bool, and a type error', () => {
    const issues = issuesOf(base([
      { id: 'num', description: 'd', score: 1, when: '1 + 2' },
      { id: 'typ', description: 'd', score: 1, when: '1 + "a" == 2' },
    ]))
    expect(issues.map((i) => i.ruleId)).toEqual(['num', 'typ'])
    expect(issues[0]?.message).toContain('must yield a bool')
  })

  it('rejects unknown variables (no access to anything but txn, features and lists)', () => {
    expect(issuesOf(base([{ id: 'r', description: 'd', score: 1, when: 'process.env.SECRET == "x"' }]))[0]?.message).toContain('Unknown variable')
  })

  it('rejects an oversized expression', () => {
    const when = Array.from({ length: 120 }, (_, i) => `txn.amount == ${i}`).join(" || ")
    expect(issuesOf(base([{ id: 'r', description: 'd', score: 1, when }]))[0]?.ruleId).toBe('r')
  })

  it.each([
    ['duplicate rule ids', base([{ id: 'r', description: 'd', score: 1, when: 'true' }, { id: 'r', description: 'd', score: 1, when: 'false' }]), 'rules[1].id'],
    ['review above block', base([{ id: 'r', description: 'd', score: 1, when: 'true' }], { thresholds: { review: 95, block: 90 } }), 'thresholds.review'],
    ['a rule with neither score nor action', base([{ id: 'r', description: 'd', when: 'true' }]), 'rules[0].score'],
    ['an unknown aggregate', base([{ id: 'r', description: 'd', score: 1, when: 'true' }], { features: [{ name: 'x', entity: 'card', aggregate: 'median', window: '1h' } as never] }), 'features[0].aggregate'],
    ['a bad window', base([{ id: 'r', description: 'd', score: 1, when: 'true' }], { features: [{ name: 'x', entity: 'card', aggregate: 'count', window: '1 hour' }] }), 'features[0].window'],
    ['duplicate feature names', base([{ id: 'r', description: 'd', score: 1, when: 'true' }], { features: [{ name: 'x', entity: 'card', aggregate: 'count', window: '1h' }, { name: 'x', entity: 'ip', aggregate: 'count', window: '1h' }] }), 'features[1].name'],
    ['a missing version', { ...base([{ id: 'r', description: 'd', score: 1, when: 'true' }]), version: undefined }, 'version'],
  ])('rejects %s with the path', (_name, input, path) => {
    expect(issuesOf(input).map((i) => i.path)).toContain(path)
  })
})
