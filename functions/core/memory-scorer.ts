import type { Decision } from './decision.ts'
import type { EntityState } from './features/index.ts'
import type { CompiledRuleSet } from './rules/compile.ts'
import { advanceStates, scoreTransaction, trackedEntities, type EntityStates } from './scoring.ts'
import { eventTime, type Transaction } from './transaction.ts'

/**
 * Scores transactions one after another with entity state held in memory: the backtest, the
 * benchmark and the ground truth that the DynamoDB-backed scorer is tested against.
 */
export class MemoryScorer {
  readonly states = new Map<string, EntityState>()
  private readonly ruleSet: CompiledRuleSet

  constructor(ruleSet: CompiledRuleSet) {
    this.ruleSet = ruleSet
  }

  score(txn: Transaction, decidedAt: string): Decision {
    const entities = trackedEntities(this.ruleSet, txn)
    const states: EntityStates = {}
    for (const { kind, key } of entities) states[kind] = this.states.get(key)
    const time = eventTime(txn)
    const { decision } = scoreTransaction(this.ruleSet, txn, states, decidedAt, time)
    const next = advanceStates(this.ruleSet, txn, states, time)
    for (const { kind, key } of entities) this.states.set(key, next[kind]!)
    return decision
  }
}
