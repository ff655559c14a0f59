import { decideOutcome, type Decision } from './decision.ts'
import type { EntityKind, FeatureValues } from './features/definition.ts'
import { applyTransaction, entityKeys, readFeatures, type EntityState } from './features/index.ts'
import { scoreModels } from './models/score-models.ts'
import type { CompiledRuleSet } from './rules/compile.ts'
import { evaluateRules } from './rules/evaluate.ts'
import { eventTime, type Transaction } from './transaction.ts'

export type EntityStates = Partial<Record<EntityKind, EntityState>>

/** The key of an entity's state: `card#<token>`, `ip#203.0.113.7`, … */
export type EntityKey = `${EntityKind}#${string}`

export const entityKey = (kind: EntityKind, id: string): EntityKey => `${kind}#${id}`

/** The entities of `txn` whose state the rule set maintains, keyed for storage. */
export function trackedEntities(ruleSet: CompiledRuleSet, txn: Transaction): Array<{ kind: EntityKind; key: EntityKey }> {
  const ids = entityKeys(txn)
  const tracked: Array<{ kind: EntityKind; key: EntityKey }> = []
  for (const kind of ruleSet.plan.entities) {
    const id = ids[kind]
    if (id !== undefined) tracked.push({ kind, key: entityKey(kind, id) })
  }
  return tracked
}

/**
 * Scores one transaction against the history held in `states` (which must not yet include it).
 * `decidedAt` is passed in: the core never reads a clock.
 */
export function scoreTransaction(
  ruleSet: CompiledRuleSet,
  txn: Transaction,
  states: EntityStates,
  decidedAt: string,
  time = eventTime(txn),
): { decision: Decision; features: FeatureValues } {
  const features = readFeatures(ruleSet.plan, states, txn, time)
  const models = ruleSet.models.length > 0 ? scoreModels(ruleSet, txn, features) : undefined
  const rules = evaluateRules(ruleSet, txn, features, models?.scores)
  const { outcome, score } = decideOutcome(rules, ruleSet.thresholds, models?.results)
  const decision: Decision = { transactionId: txn.transactionId, outcome, score, ruleSetVersion: ruleSet.version, rules, decidedAt }
  if (models) decision.models = models.results
  return { decision, features }
}

/** The states after `txn`: what a commit writes back. */
export function advanceStates(ruleSet: CompiledRuleSet, txn: Transaction, states: EntityStates, time = eventTime(txn)): EntityStates {
  const ids = entityKeys(txn)
  const next: EntityStates = {}
  for (const kind of ruleSet.plan.entities) {
    if (ids[kind] !== undefined) next[kind] = applyTransaction(ruleSet.plan, kind, states[kind], txn, time)
  }
  return next
}
