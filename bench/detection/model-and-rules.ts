/**
 * The detection bench's "model + rules" column: the default rules with the week's `vigil train`
 * model pinned in their `models` section, active, adding weight × its probability to the rules'
 * score, and scored through the core exactly as the stream scorer scores such a rule set (the
 * model's inputs read by the core, not handed over by the trainer). The weight is chosen on the
 * validation weeks, never on the test week.
 */
import { readFile } from 'node:fs/promises'
import { compileModel, withChecksum, type ModelBody } from '../../functions/core/models/model-file.ts'
import { compileRuleSet, type CompiledRuleSet } from '../../functions/core/rules/compile.ts'
import type { RuleSetInput } from '../../functions/core/rules/rule-set.ts'
import { defaultRulesPath } from './rule-sets.ts'

/** The weights tried on the validation weeks: the default rules' scores run to a few hundred, a probability to 1. */
export const candidateWeights = [25, 50, 100, 200, 400, 800, 1600, 3200] as const

/** The default rules (as shipped, label-fed features included) with `model` pinned as `fraud` v1, active, at `weight`. */
export async function rulesWithModel(model: ModelBody['model'], inputs: readonly string[], weight: number): Promise<CompiledRuleSet> {
  const input = JSON.parse(await readFile(defaultRulesPath, 'utf8')) as RuleSetInput
  const file = withChecksum({ format: 'vigil-model', formatVersion: 1, name: 'fraud', version: 1, features: [...inputs], source: 'vigil train (detection bench)', model })
  const compiled = compileModel(file)
  if (!compiled.ok) throw new Error(`the trained model does not load: ${JSON.stringify(compiled.error.issues)}`)
  const set = compileRuleSet({ ...input, models: [{ name: 'fraud', version: 1, mode: 'active', weight }] }, { models: [compiled.value] })
  if (!set.ok) throw new Error(`the default rules with the model do not compile: ${JSON.stringify(set.error.issues)}`)
  return set.value
}

/** rules + weight × model, per transaction: what the core adds up, for choosing the weight without a replay per candidate. */
export function combined(rules: Float64Array, model: Float64Array, weight: number): Float64Array {
  return rules.map((r, i) => r + weight * model[i]!)
}
