import type { Decision } from './decision.ts'
import { entityKinds, type EntityKind } from './features/definition.ts'
import { applyTransaction, entityKeyOf, type EntityState } from './features/index.ts'
import type { CompiledRuleSet } from './rules/compile.ts'
import { scoreTransaction, type EntityStates } from './scoring.ts'
import { eventTime, type Transaction } from './transaction.ts'

/**
 * Scores transactions one after another with entity state held in memory: the backtest, the
 * benchmark and the ground truth that the DynamoDB-backed scorer is tested against. One map per
 * entity kind, keyed by the raw id, so the hot path builds no composite key strings.
 */
export class MemoryScorer {
  readonly states = Object.fromEntries(entityKinds.map((kind) => [kind, new Map<string, EntityState>()])) as Record<EntityKind, Map<string, EntityState>>
  private readonly ruleSet: CompiledRuleSet

  constructor(ruleSet: CompiledRuleSet) {
    this.ruleSet = ruleSet
  }

  score(txn: Transaction, decidedAt: string): Decision {
    const states: EntityStates = {}
    for (const kind of this.ruleSet.plan.entities) {
      const id = entityKeyOf[kind](txn)
      if (id !== undefined) states[kind] = this.states[kind].get(id)
    }
    const time = eventTime(txn)
    const { decision } = scoreTransaction(this.ruleSet, txn, states, decidedAt, time)
    // advanceStates, without the intermediate records it builds for callers that store elsewhere.
    for (const kind of this.ruleSet.plan.entities) {
      const id = entityKeyOf[kind](txn)
      if (id !== undefined) this.states[kind].set(id, applyTransaction(this.ruleSet.plan, kind, states[kind], txn, time))
    }
    return decision
  }
}
