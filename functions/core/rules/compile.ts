import { featureDefinitionSchema, type FeatureDefinition, type FeatureValues } from '../features/definition.ts'
import { planFeatures, type FeaturePlan } from '../features/index.ts'
import { fromZodError } from '../issues.ts'
import { err, ok, type Issue, type Result } from '../result.ts'
import { inputReader, isTransactionInput, type InputReader } from '../models/inputs.ts'
import type { CompiledModel } from '../models/model-file.ts'
import type { Transaction } from '../transaction.ts'
import { compileExpression, expressionEnvironment, type ExpressionContext, type ExpressionReads, type ExpressionScope } from './expression.ts'
import { maxModels, maxRules, modelNameSchema, ruleIdSchema, ruleSetSchema, type RuleAction, type RuleMode, type RuleSet, type RuleSetInput } from './rule-set.ts'
import { featureCelType } from './feature-types.ts'

/** What a rule is evaluated against: the transaction and features as scoring has them. */
export interface RuleInput {
  txn: Transaction
  features: FeatureValues
  lists: Record<string, ReadonlySet<string>>
  /** Each model's score by name. */
  models: Record<string, number>
}

/** A model as the rule set runs it: pinned, in a mode, with a reader per input. */
export interface BoundModel {
  name: string
  version: number
  mode: RuleMode
  weight: number | undefined
  model: CompiledModel
  inputs: readonly InputReader[]
}

export interface CompiledRule {
  id: string
  description: string
  mode: RuleMode
  score: number
  action: RuleAction | undefined
  tags: readonly string[]
  /** An input is read as it is at its first evaluation: give each transaction an input of its own, never mutate one. */
  evaluate: (input: RuleInput) => unknown
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
  models: readonly BoundModel[]
  rules: readonly CompiledRule[]
}

export interface CompileOptions {
  /**
   * The model versions the rule set may name (the scorer's cache, the model store's reads, the
   * CLI's --model files). A named version missing from it is an issue of the rule set.
   */
  models?: readonly CompiledModel[]
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

/**
 * Validates and compiles a rule set, reporting every problem at once: the schema's issues and,
 * for every rule whose condition can be read, that condition's (so a bad threshold does not hide
 * a type error three rules down).
 */
export function compileRuleSet(input: RuleSetInput | unknown, options: CompileOptions = {}): Result<CompiledRuleSet, RuleSetError> {
  const parsed = ruleSetSchema.safeParse(input)
  const issues: RuleSetIssue[] = parsed.success ? [] : fromZodError(parsed.error)
  const { features, lists, models: modelNames, rules: sourceRules } = parsed.success
    ? { features: parsed.data.features, lists: Object.keys(parsed.data.lists), models: parsed.data.models.map((m) => m.name), rules: parsed.data.rules.map((rule, index) => ({ rule, index })) }
    : readable(input)
  const scope: ExpressionScope = { features: new Map(features.map((f) => [f.name, featureCelType(f)])), lists: new Set(lists), models: new Set(modelNames) }
  const { environment, context } = expressionEnvironment(scope)
  // One conversion per transaction, shared by the set's rules: evaluate.ts builds one input per
  // transaction and runs every rule on it in turn, so remembering the last one is enough.
  let last: { input: RuleInput; context: ExpressionContext } | undefined
  const contextOf = (input: RuleInput): ExpressionContext => {
    if (last?.input !== input) last = { input, context: context(input.txn, input.features, input.lists, input.models) }
    return last.context
  }
  const rules: CompiledRule[] = []
  sourceRules.forEach(({ rule, index }) => {
    const compiled = compileExpression(rule.when, scope, environment)
    if (!compiled.ok) {
      for (const { message, line, column } of compiled.error) {
        issues.push({ path: `rules[${index}].when`, ...(rule.id === undefined ? {} : { ruleId: rule.id }), line, column, message: `${message} (line ${line}, column ${column})` })
      }
      return
    }
    if (!parsed.success) return
    const full = parsed.data.rules[index]!
    rules.push({
      id: full.id,
      description: full.description,
      mode: full.mode,
      score: full.score ?? 0,
      action: full.action,
      tags: full.tags ?? [],
      evaluate: (input) => compiled.value.evaluate(contextOf(input)),
      reads: compiled.value.reads,
    })
  })
  const models = parsed.success ? bindModels(parsed.data, options.models ?? [], rules, issues) : []
  if (!parsed.success || issues.length > 0) return err({ code: 'invalid_rule_set', issues })
  const set = parsed.data
  return ok({
    version: set.version,
    thresholds: set.thresholds,
    source: set,
    features: set.features,
    plan: planFeatures(set.features),
    lists: Object.fromEntries(Object.entries(set.lists).map(([name, values]) => [name, new Set(values)])),
    models,
    rules,
  })
}

/**
 * Binds each named model to its compiled version and its inputs: every input must be a feature the
 * rule set declares or a transaction input (models/inputs.ts), and an active rule must not read a
 * shadow model (it would act on what is not trusted yet).
 */
function bindModels(set: RuleSet, available: readonly CompiledModel[], rules: readonly CompiledRule[], issues: RuleSetIssue[]): BoundModel[] {
  const declared = new Set(set.features.map((f) => f.name))
  const bound: BoundModel[] = []
  set.models.forEach((use, index) => {
    if (use.mode === 'shadow') {
      for (const rule of rules) {
        if (rule.mode === 'active' && rule.reads.models.includes(use.name)) issues.push({ path: `models[${index}].mode`, ruleId: rule.id, message: `is shadow, but active rule ${rule.id} reads models.${use.name}: make the rule shadow too, or the model active` })
      }
    }
    const model = available.find((m) => m.name === use.name && m.version === use.version)
    if (!model) {
      issues.push({ path: `models[${index}]`, message: `model ${use.name} version ${use.version} is not available: upload it first (vigil model push), or pass its file (--model)` })
      return
    }
    const unknown = model.features.filter((name) => !declared.has(name) && !isTransactionInput(name))
    const ambiguous = model.features.filter((name) => declared.has(name) && isTransactionInput(name))
    if (unknown.length > 0) issues.push({ path: `models[${index}]`, message: `model ${use.name} version ${use.version} reads ${unknown.join(', ')}: declare them as features of the rule set` })
    if (ambiguous.length > 0) issues.push({ path: `models[${index}]`, message: `model ${use.name} reads ${ambiguous.join(', ')}, both a declared feature and a transaction input: rename the feature` })
    bound.push({ name: use.name, version: use.version, mode: use.mode, weight: use.weight, model, inputs: model.features.map(inputReader) })
  })
  return bound
}

interface Readable {
  features: FeatureDefinition[]
  lists: string[]
  models: string[]
  rules: Array<{ rule: { id: string | undefined; when: string }; index: number }>
}

/** What can still be checked of a rule set the schema refused: the conditions, against the features and lists that are valid. */
function readable(input: unknown): Readable {
  const raw = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>
  const array = (value: unknown): unknown[] => (Array.isArray(value) ? value : [])
  const features = array(raw.features).flatMap((f) => {
    const parsed = featureDefinitionSchema.safeParse(f)
    return parsed.success ? [parsed.data] : []
  })
  const lists = typeof raw.lists === 'object' && raw.lists !== null && !Array.isArray(raw.lists) ? Object.keys(raw.lists) : []
  const models = array(raw.models)
    .slice(0, maxModels)
    .flatMap((m) => {
      const name = modelNameSchema.safeParse((m as { name?: unknown } | null)?.name)
      return name.success ? [name.data] : []
    })
  // No more rules than the schema allows are compiled: a refused upload costs what an accepted one does.
  const rules = array(raw.rules).slice(0, maxRules).flatMap((r, index) => {
    const rule = (typeof r === 'object' && r !== null ? r : {}) as Record<string, unknown>
    if (typeof rule.when !== 'string') return []
    const id = ruleIdSchema.safeParse(rule.id)
    return [{ rule: { id: id.success ? id.data : undefined, when: rule.when }, index }]
  })
  return { features, lists, models, rules }
}
