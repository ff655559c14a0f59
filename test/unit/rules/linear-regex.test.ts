import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileRuleSet } from '../../../functions/core/rules/compile.ts'
import { evaluateRules } from '../../../functions/core/rules/evaluate.ts'
import { evaluateInWorker } from './fixtures/in-worker.ts'
import { issuesOf, rule, ruleSet, txn } from './fixtures/rule-set.ts'


const compiled = (when: string) => {
  const result = compileRuleSet(ruleSet([rule('r', when)]))
  if (!result.ok) throw new Error(JSON.stringify(result.error.issues))
  return result.value
}

const slugCheck = "has(txn.device) && has(txn.device.id) && !txn.device.id.matches('^([a-z0-9]+-?)*$')"

describe('matches() runs on a linear-time engine (RE2)', () => {
  it('scores the catastrophic shadow regex on device ids of 28 and 128 characters without stalling the scorer', async () => {
    // A backtracking engine takes ~10 s at 28 characters and doubles with each one more.
    const set = ruleSet([rule('device-slug', slugCheck, { mode: 'shadow' })])
    const txns = [28, 128].map((length) => txn({ device: { id: `${'a'.repeat(length - 1)}!` } }))
    const hits = await evaluateInWorker(set, txns, {}, 20_000)
    expect(hits.map((h) => h.map((hit) => [hit.id, hit.status]))).toEqual([[['device-slug', 'fired']], [['device-slug', 'fired']]])
  })

  it('keeps CEL semantics: a search anywhere in the string, anchors as written', () => {
    const set = compiled("txn.merchant.id.matches('shop-[0-9]+') && !txn.merchant.id.matches('^shop')")
    expect(evaluateRules(set, txn({ merchant: { id: 'eu-shop-42' } }), {}).map((h) => h.status)).toEqual(['fired'])
    expect(evaluateRules(set, txn({ merchant: { id: 'shop-42' } }), {})).toEqual([])
  })

  it.each([
    ['a backreference', '(a+)\\\\1'],
    ['a lookahead', '^(?=a)a'],
  ])('refuses %s (no linear-time algorithm) when the rule set is compiled, with the rule and position', (_name, pattern) => {
    const when = `txn.merchant.id.matches('${pattern}')`
    const [issue] = issuesOf(ruleSet([rule('regex', when)]))
    expect(issue).toMatchObject({ ruleId: 'regex', path: 'rules[0].when', line: 1, column: when.indexOf("'") + 1 })
    expect(issue?.message).toMatch(/invalid RE2 pattern/)
  })

  it('refuses a pattern that is not a string literal: it could not be checked before it runs', () => {
    expect(issuesOf(ruleSet([rule('dynamic', 'txn.merchant.id.matches(txn.transactionId)')]))[0]?.message).toMatch(/must be a string literal/)
  })

  it('agrees with JavaScript regular expressions wherever both apply: switching engines changed no rule (property)', () => {
    // Patterns from atoms, classes, groups, alternation, anchors and (nested) quantifiers; inputs short
    // enough for a backtracking engine to answer.
    const pattern = fc.letrec((tie) => ({
      atom: fc.constantFrom('a', 'b', '-', '.', '[a-z]', '[^a]', '\\d'),
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        tie('atom'),
        fc.tuple(tie('node'), fc.constantFrom('*', '+', '?', '{1,2}')).map(([p, q]) => `(${p})${q}`),
        fc.tuple(tie('node'), tie('node')).map(([p, q]) => `${p}${q}`),
        fc.tuple(tie('node'), tie('node')).map(([p, q]) => `(${p}|${q})`),
      ),
    })).node as fc.Arbitrary<string>
    const anchored = fc.tuple(fc.boolean(), pattern, fc.boolean()).map(([start, p, end]) => `${start ? '^' : ''}${p}${end ? '$' : ''}`)
    fc.assert(
      fc.property(anchored, fc.array(fc.stringMatching(/^[ab1-]{0,10}$/), { minLength: 1, maxLength: 5 }), (regex, ids) => {
        const set = compiled(`txn.merchant.id.matches('${regex.replaceAll('\\', '\\\\')}')`) // a CEL string literal: backslashes escaped
        for (const id of ids) {
          const fired = evaluateRules(set, txn({ merchant: { id } }), {}).some((h) => h.status === 'fired')
          expect(fired, `${regex} on "${id}"`).toBe(new RegExp(regex).test(id))
        }
      }),
      { numRuns: 300 },
    )
  })
})
