import type { FeatureDefinition } from '../features/definition.ts'
import { planFeatures, type FeaturePlan } from '../features/index.ts'
import { fromZodError } from '../issues.ts'
import { err, ok, type Issue, type Result } from '../result.ts'
import { compileExpression, type ExpressionContext, type ExpressionReads } from './expression.ts'
import { ruleSetSchema, type RuleAction, type RuleMode, type RuleSet, type RuleSetInput } from './rule-set.ts'

export interface CompiledRule {
  id: string
  description: string
  mode: RuleMode
  score: number
  action: RuleAction | undefined
  tags: readonly string[]
  evaluate: (context: ExpressionContext) => unknown
  reads: ExpressionReads
}

/** A rule set validated and compiled once per version; scoring only ever sees this. */
export interface CompiledRuleSet {
  version: number
  thresholds: RuleSet['thresholds']
  source: RuleSet
  features: readonly FeatureDefinition[]
  plan: FeaturePlan
  lists: Record<string, ReadonlySet<string>>
  rules: readonly CompiledRule[]
}

/** An issue in a rule set; expression errors also name the rule and the line/column in `when`. */
export interface RuleSetIssue extends Issue {
  ruleId?: string
  line?: number
  column?: number
}

export interface RuleSetError {
  code: 'invalid_rule_set'
  issues: RuleSetIssue[]
}

export function compileRuleSet(input: RuleSetInput | unknown): Result<CompiledRuleSet, RuleSetError> {
  const parsed = ruleSetSchema.safeParse(input)
  if (!parsed.success) return err({ code: 'invalid_rule_set', issues: fromZodError(parsed.error) })
  const set = parsed.data
  const scope = { features: new Set(set.features.map((f) => f.name)), lists: new Set(Object.keys(set.lists)) }
  const issues: RuleSetIssue[] = []
  const rules: CompiledRule[] = []
  set.rules.forEach((rule, index) => {
    const compiled = compileExpression(rule.when, scope)
    if (!compiled.ok) {
      const { message, line, column } = compiled.error
      issues.push({ path: `rules[${index}].when`, ruleId: rule.id, line, column, message: `${message} (line ${line}, column ${column})` })
      return
    }
    rules.push({
      id: rule.id,
      description: rule.description,
      mode: rule.mode,
      score: rule.score ?? 0,
      action: rule.action,
      tags: rule.tags ?? [],
      ...compiled.value,
    })
  })
  if (issues.length > 0) return err({ code: 'invalid_rule_set', issues })
  return ok({
    version: set.version,
    thresholds: set.thresholds,
    source: set,
    features: set.features,
    plan: planFeatures(set.features),
    lists: Object.fromEntries(Object.entries(set.lists).map(([name, values]) => [name, new Set(values)])),
    rules,
  })
}
