/**
 * The per-transaction budget of a rule set. The compiler refuses what cannot be bounded (nested
 * comprehensions, backtracking regexes: core/rules/bounded-work.ts, linear-regex.ts); what is
 * left is linear, and this measures its constant. Every rule (active and shadow: the scorer runs
 * both) is evaluated on the worst cases of core/rules/worst-case.ts, and the set is refused when
 * one transaction would cost more than the budget, with an issue naming the slowest rule.
 *
 * The budget: 2 ms a transaction by default (`--budget-ms` on `vigil validate-rules`). The
 * default rule set costs about a hundredth of that; a batch of 100 records then spends at most
 * 0.2 s in rules, far inside the scorer's timeout. It reads a clock, so it lives outside the
 * pure core; it runs where a rule set enters (validate-rules, PUT /rules, activation), not in
 * the scorer, whose compile step applies the static checks alone.
 */
import { err, ok, type Result } from '../core/result.ts'
import type { CompiledRuleSet, RuleSetError } from '../core/rules/compile.ts'
import { worstCases } from '../core/rules/worst-case.ts'

export const defaultBudgetMs = 2

export interface BudgetOptions {
  /** Milliseconds one transaction may cost, all rules together. */
  budgetMs?: number
  /** Runs of each rule on each case; the fastest counts, so a garbage collection does not. */
  repeats?: number
  /** Milliseconds from an arbitrary origin; `performance.now` unless a test gives its own. */
  clock?: () => number
}

export interface RuleSetCost {
  budgetMs: number
  /** What the costliest case cost, all rules together. */
  worstMs: number
  worstCase: string
  /** The rule that cost the most on that case. */
  slowest: { ruleId: string; ms: number }
  cases: number
}

/** Measures every rule of the set on every worst case; stops early once the set is clearly over budget. */
export function measureRuleSet(set: CompiledRuleSet, options: BudgetOptions = {}): RuleSetCost {
  const budgetMs = options.budgetMs ?? defaultBudgetMs
  const repeats = options.repeats ?? 5
  const clock = options.clock ?? (() => performance.now())
  // One run this far over is proof enough: more runs of a pathological rule would only stall the caller.
  const hopelessMs = budgetMs * 25
  const cases = worstCases(set)
  let worst: RuleSetCost = { budgetMs, worstMs: -1, worstCase: '', slowest: { ruleId: '', ms: -1 }, cases: cases.length }
  for (const { label, input } of cases) {
    let total = 0
    let slowest = { ruleId: '', ms: -1 }
    for (const rule of set.rules) {
      let fastest = Infinity
      for (let run = 0; run < repeats; run++) {
        const start = clock()
        try {
          rule.evaluate(input)
        } catch {
          // An error costs too (a rule reading an absent field): timed like any outcome.
        }
        fastest = Math.min(fastest, clock() - start)
        if (fastest > hopelessMs) break
      }
      total += fastest
      if (fastest > slowest.ms) slowest = { ruleId: rule.id, ms: fastest }
    }
    if (total > worst.worstMs) worst = { budgetMs, worstMs: total, worstCase: label, slowest, cases: cases.length }
    if (worst.worstMs > hopelessMs) break
  }
  return worst
}

/** The set's cost if it is within the budget; otherwise an issue on the slowest rule. */
export function checkRuleSetCost(set: CompiledRuleSet, options: BudgetOptions = {}): Result<RuleSetCost, RuleSetError> {
  const cost = measureRuleSet(set, options)
  if (cost.worstMs <= cost.budgetMs) return ok(cost)
  const index = set.rules.findIndex((rule) => rule.id === cost.slowest.ruleId)
  return err({
    code: 'invalid_rule_set',
    issues: [
      {
        path: `rules[${index}].when`,
        ruleId: cost.slowest.ruleId,
        message:
          `the rule set costs ${format(cost.worstMs)} ms a transaction in the worst case measured (${cost.worstCase}), ` +
          `over the budget of ${cost.budgetMs} ms; its slowest rule, ${cost.slowest.ruleId}, costs ${format(cost.slowest.ms)} ms`,
      },
    ],
  })
}

export const format = (ms: number): string => (ms >= 10 ? ms.toFixed(0) : ms >= 0.1 ? ms.toFixed(2) : ms.toFixed(4))
