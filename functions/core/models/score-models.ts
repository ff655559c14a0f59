import type { ModelResult } from '../decision.ts'
import type { FeatureValues } from '../features/definition.ts'
import type { CompiledRuleSet } from '../rules/compile.ts'
import type { Transaction } from '../transaction.ts'

/** How many contributions a decision keeps per model: what an investigator reads, bounded in the stored item. */
export const topContributions = 3

/**
 * Runs every model of the rule set, shadow ones too (their scores are recorded, which is what
 * shadow is for): the results for the decision, and the scores by name for the rules.
 */
export function scoreModels(ruleSet: CompiledRuleSet, txn: Transaction, features: FeatureValues): { results: ModelResult[]; scores: Record<string, number> } {
  const results: ModelResult[] = []
  const scores: Record<string, number> = {}
  for (const bound of ruleSet.models) {
    const values = bound.inputs.map((read) => read(txn, features))
    const { score, top } = bound.model.score(values, topContributions)
    scores[bound.name] = score
    const result: ModelResult = { name: bound.name, version: bound.version, mode: bound.mode, score, top: top.map(({ feature, value, contribution }) => (value === undefined ? { feature, contribution } : { feature, value, contribution })) }
    if (bound.weight !== undefined && bound.mode === 'active') result.weight = bound.weight
    results.push(result)
  }
  return { results, scores }
}
