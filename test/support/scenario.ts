import { readFileSync } from 'node:fs'
import type { Decision } from '../../functions/core/decision.ts'
import { MemoryScorer } from '../../functions/core/memory-scorer.ts'
import { compileRuleSet, type CompiledRuleSet } from '../../functions/core/rules/compile.ts'
import type { RuleSetInput } from '../../functions/core/rules/rule-set.ts'
import { parseTransaction, type WireTransaction } from '../../functions/core/transaction.ts'
import { testKey, wireExample } from './transactions.ts'

export const defaultRuleSet = (): RuleSetInput =>
  JSON.parse(readFileSync(new URL('../../rules/default.json', import.meta.url), 'utf8')) as RuleSetInput

export function compiled(input: RuleSetInput): CompiledRuleSet {
  const result = compileRuleSet(input)
  if (!result.ok) throw new Error(JSON.stringify(result.error.issues))
  return result.value
}

const minutes = (n: number) => n * 60_000

/** Builds a history of wire transactions at offsets (in minutes) from a start time. */
export function history(start: string, steps: Array<{ at: number } & Partial<WireTransaction>>): WireTransaction[] {
  const t0 = Date.parse(start)
  return steps.map(({ at, ...overrides }, i) =>
    wireExample({ transactionId: `tx-${i}`, occurredAt: new Date(t0 + minutes(at)).toISOString(), ...overrides }),
  )
}

/** Scores the history in order with the pure core; returns every decision. */
export function replay(ruleSet: CompiledRuleSet, txns: WireTransaction[]): Decision[] {
  const scorer = new MemoryScorer(ruleSet)
  return txns.map((wire) => {
    const parsed = parseTransaction(wire, testKey)
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.error))
    return scorer.score(parsed.value, parsed.value.occurredAt)
  })
}

export const firedIds = (decision: Decision | undefined) => (decision?.rules ?? []).filter((r) => r.status === 'fired').map((r) => r.id)
