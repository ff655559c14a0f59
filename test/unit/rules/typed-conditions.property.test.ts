import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileRuleSet } from '../../../functions/core/rules/compile.ts'
import { evaluateRules } from '../../../functions/core/rules/evaluate.ts'
import type { RuleSetInput } from '../../../functions/core/rules/rule-set.ts'
import { worstCases } from '../../../functions/core/rules/worst-case.ts'
import { rule, ruleSet } from './fixtures/rule-set.ts'

const features: RuleSetInput['features'] = [
  { name: 'n', entity: 'card', aggregate: 'count', window: '1h' },
  { name: 'x', entity: 'card', aggregate: 'avg', field: 'amount', window: '30d' },
  { name: 'fresh', entity: 'account', aggregate: 'device_first_seen' },
]

/**
 * Conditions well typed by construction (numbers of both kinds mixed freely, strings, lists,
 * bools), and expressions combined without regard to type, which the checker must sort out.
 */
const conditions = fc.letrec((tie) => ({
  num: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('txn.amount', 'features.n', 'features.x', 'localHour(txn.occurredAt)', '3', '2.5', '0', '0.0', 'size(txn.merchant.id)'),
    fc.tuple(tie('num'), fc.constantFrom('+', '-', '*', '/'), tie('num')).map(([a, op, b]) => `(${a} ${op} ${b})`),
  ),
  str: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('txn.merchant.id', 'txn.device.id', 'txn.card.token', 'txn.currency', '"m-1"'),
    fc.tuple(tie('str'), tie('str')).map(([a, b]) => `(${a} + ${b})`),
  ),
  bool: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('true', 'features.fresh', 'has(features.x)', 'has(txn.device.id)'),
    fc.tuple(tie('num'), fc.constantFrom('==', '!=', '<', '>='), tie('num')).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(tie('str'), fc.constantFrom('==', '!='), tie('str')).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(tie('str'), tie('str')).map(([a, b]) => `${a}.startsWith(${b})`),
    tie('str').map((a) => `${a}.matches("^m-[0-9]+$")`),
    tie('str').map((a) => `${a} in lists.l`),
    tie('str').map((a) => `lists.l.exists(v, v == ${a})`),
    fc.tuple(tie('bool'), fc.constantFrom('&&', '||'), tie('bool')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie('bool').map((a) => `!(${a})`),
  ),
  any: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('num'),
    tie('str'),
    tie('bool'),
    fc.constantFrom('lists.l', '[1, 2]', '["a"]'),
    fc.tuple(tie('any'), fc.constantFrom('+', '*', '%', '==', '<', '&&', 'in'), tie('any')).map(([a, op, b]) => `(${a} ${op} ${b})`),
  ),
}))
const condition = fc.oneof({ weight: 3, arbitrary: conditions.bool as fc.Arbitrary<string> }, { weight: 1, arbitrary: conditions.any as fc.Arbitrary<string> })

/** A type error is what the checker exists to refuse; a missing field, a zero divisor or an overflow is a fact of the data. */
const typeError = /no such overload|not of type|type mismatch|unsupported type|must return bool/i

describe('a condition that compiles cannot fail on types at run time (property)', () => {
  it('evaluates every accepted condition on every worst-case input to fired, quiet, or a data error, never a type error', () => {
    let accepted = 0
    fc.assert(
      fc.property(condition, (when) => {
        const result = compileRuleSet(ruleSet([rule('r', when)], { features, lists: { l: ['m-1'] } }))
        if (!result.ok) {
          expect(result.error.issues.every((i) => i.ruleId === 'r' && i.line === 1 && i.column! >= 1 && i.column! <= when.length + 1)).toBe(true)
          return
        }
        accepted++
        for (const { input } of worstCases(result.value)) {
          for (const hit of evaluateRules(result.value, input.txn, input.features)) {
            expect(hit.status === 'fired' || !typeError.test(hit.error ?? ''), `${when}: ${hit.error}`).toBe(true)
          }
        }
      }),
      { numRuns: 400 },
    )
    // The generator must reach the interesting half: conditions that pass the checker.
    expect(accepted).toBeGreaterThan(100)
  })
})
