import { describe, expect, it } from 'vitest'
import { compileRuleSet } from '../../../functions/core/rules/compile.ts'
import { maxListEntries } from '../../../functions/core/rules/rule-set.ts'
import { worstCases } from '../../../functions/core/rules/worst-case.ts'
import { transactionSchema } from '../../../functions/core/transaction.ts'
import { rule, ruleSet } from './fixtures/rule-set.ts'

const compiled = compileRuleSet(
  ruleSet([rule('r', 'true')], {
    features: [
      { name: 'n', entity: 'card', aggregate: 'count', window: '1h' },
      { name: 'fresh', entity: 'account', aggregate: 'device_first_seen' },
    ],
    lists: { a: ['x'], b: [] },
  }),
)
if (!compiled.ok) throw new Error('the fixture does not compile')
const cases = worstCases(compiled.value)

describe('the worst cases a rule set is measured on', () => {
  it('are transactions the schema accepts, with ids as long as it allows, and the optional fields both present and absent', () => {
    for (const { input } of cases) expect(transactionSchema.safeParse(input.txn).success, JSON.stringify(input.txn)).toBe(true)
    expect(Math.max(...cases.map((c) => c.input.txn.merchant.id.length))).toBe(128)
    expect(cases.some((c) => c.input.txn.device === undefined)).toBe(true)
    expect(cases.some((c) => c.input.txn.device?.id !== undefined && c.input.txn.location !== undefined)).toBe(true)
  })

  it('give every feature an extreme value, zero, or none', () => {
    expect(new Set(cases.map((c) => JSON.stringify(c.input.features)))).toEqual(
      new Set([JSON.stringify({ n: Number.MAX_SAFE_INTEGER, fresh: true }), JSON.stringify({ n: 0, fresh: false }), '{}']),
    )
  })

  it('fill every list of the set to the most entries a rule set may declare, none matching the transaction', () => {
    const { lists, txn } = cases[0]!.input
    expect(Object.keys(lists)).toEqual(['a', 'b'])
    expect(lists.a!.size).toBe(maxListEntries)
    expect(lists.a!.has(txn.merchant.id)).toBe(false)
  })
})
