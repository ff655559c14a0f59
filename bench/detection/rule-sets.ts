/**
 * The two rule sets the bench compares, both from rules/default.json: as it is, and without what
 * labels feed (the label-fed features and every rule that reads one), i.e. what the default rules
 * can do from transactions alone.
 */
import { readFile } from 'node:fs/promises'
import { loadRuleSet } from '../../cli/rule-set-file.ts'
import { labelFedAggregates } from '../../functions/core/features/definition.ts'
import { compileRuleSet, type CompiledRuleSet } from '../../functions/core/rules/compile.ts'
import type { RuleSetInput } from '../../functions/core/rules/rule-set.ts'

export const defaultRulesPath = new URL('../../rules/default.json', import.meta.url).pathname

const isLabelFed = (aggregate: string) => (labelFedAggregates as readonly string[]).includes(aggregate)

/** The rule set without label-fed features, and the ids of the rules that went with them. */
export function withoutLabelFed(input: RuleSetInput): { input: RuleSetInput; removedFeatures: string[]; removedRules: string[] } {
  const removedFeatures = (input.features ?? []).filter((f) => isLabelFed(f.aggregate)).map((f) => f.name)
  const reads = (when: string) => removedFeatures.some((name) => new RegExp(`\\bfeatures\\.${name}\\b`).test(when))
  const removedRules = input.rules.filter((r) => reads(r.when)).map((r) => r.id)
  return {
    input: { ...input, features: (input.features ?? []).filter((f) => !isLabelFed(f.aggregate)), rules: input.rules.filter((r) => !reads(r.when)) },
    removedFeatures,
    removedRules,
  }
}

export async function benchRuleSets(path = defaultRulesPath): Promise<{
  withLabels: CompiledRuleSet
  withoutLabels: CompiledRuleSet
  removedFeatures: string[]
  removedRules: string[]
}> {
  // The CLI's loader for the set as shipped, so the bench reads it exactly as `vigil backtest` does.
  const loaded = await loadRuleSet(path)
  if (!loaded.ok) throw new Error(`${path} does not compile: ${JSON.stringify(loaded.error)}`)
  const stripped = withoutLabelFed(JSON.parse(await readFile(path, 'utf8')) as RuleSetInput)
  const compiled = compileRuleSet(stripped.input)
  if (!compiled.ok) throw new Error(`${path} without its label-fed features does not compile: ${JSON.stringify(compiled.error.issues)}`)
  return { withLabels: loaded.value, withoutLabels: compiled.value, removedFeatures: stripped.removedFeatures, removedRules: stripped.removedRules }
}
