import type { Decision } from './decision.ts'
import { entityKinds, type EntityKind, type FeatureValues } from './features/definition.ts'
import { applyLabel, applyTransactionInPlace, entityKeyOf, type EntityState } from './features/index.ts'
import { resolveLabel, type LabelOutcome, type ReportedLabel } from './labels/resolve.ts'
import type { CompiledRuleSet } from './rules/compile.ts'
import { scoreTransaction, type EntityStates } from './scoring.ts'
import { eventTime, type Transaction } from './transaction.ts'

/** Where a scored transaction's label lands: its event time and its entities' ids. */
interface Scored {
  readonly time: number
  readonly ids: readonly (string | undefined)[]
}

/**
 * Scores transactions one after another with entity state held in memory: the backtest, the
 * benchmark and the ground truth that the DynamoDB-backed scorer is tested against. One map per
 * entity kind, keyed by the raw id, so the hot path builds no composite key strings.
 *
 * With `labels`, it also takes labels, each when it becomes known (the caller keeps the clock: a
 * label is given at its `reportedAt`, in time order with the transactions). That costs memory per
 * transaction scored, so it is asked for.
 */
export class MemoryScorer {
  readonly states = Object.fromEntries(entityKinds.map((kind) => [kind, new Map<string, EntityState>()])) as Record<EntityKind, Map<string, EntityState>>
  private readonly ruleSet: CompiledRuleSet
  private readonly scored: Map<string, Scored> | undefined
  private readonly standing = new Map<string, ReportedLabel>()
  private readonly pending = new Map<string, ReportedLabel[]>()
  /** The outcome of every label applied so far, including those that waited for their transaction. */
  readonly labelOutcomes: Record<LabelOutcome, number> = { accepted: 0, duplicate: 0, superseded: 0 }

  constructor(ruleSet: CompiledRuleSet, options: { labels?: boolean } = {}) {
    this.ruleSet = ruleSet
    this.scored = options.labels ? new Map() : undefined
  }

  score(txn: Transaction, decidedAt: string): Decision {
    return this.scoreWithFeatures(txn, decidedAt).decision
  }

  /** The decision and the feature values it was made on (what `vigil features` exports). */
  scoreWithFeatures(txn: Transaction, decidedAt: string): { decision: Decision; features: FeatureValues } {
    const { plan } = this.ruleSet
    const { entities } = plan
    const states: EntityStates = {}
    for (const kind of entities) {
      const id = entityKeyOf[kind](txn)
      if (id !== undefined) states[kind] = this.states[kind].get(id)
    }
    const time = eventTime(txn)
    const { decision, features } = scoreTransaction(this.ruleSet, txn, states, decidedAt, time)
    // advanceStates, without the intermediate records it builds for callers that store elsewhere,
    // and in place: each state lives only in its map, and scoring has read what it needed from it.
    for (const kind of entities) {
      const id = entityKeyOf[kind](txn)
      if (id === undefined) continue
      const before = states[kind]
      const after = applyTransactionInPlace(plan, kind, before, txn, time)
      if (after !== before) this.states[kind].set(id, after)
    }
    if (this.scored !== undefined && !this.scored.has(txn.transactionId)) {
      this.scored.set(txn.transactionId, { time, ids: entities.map((kind) => entityKeyOf[kind](txn)) })
      // Labels that came first wait for their transaction, then count as the stream applier counts them: after its decision.
      const waiting = this.pending.get(txn.transactionId)
      this.pending.delete(txn.transactionId)
      for (const label of waiting ?? []) this.label(label)
    }
    return { decision, features }
  }

  /** Applies a label known from now on; `pending` until its transaction is scored (when it is applied). */
  label(label: ReportedLabel): LabelOutcome | 'pending' {
    if (this.scored === undefined) throw new Error('MemoryScorer: made without { labels: true }')
    const scored = this.scored.get(label.transactionId)
    if (scored === undefined) {
      const waiting = this.pending.get(label.transactionId)
      if (waiting) waiting.push(label)
      else this.pending.set(label.transactionId, [label])
      return 'pending'
    }
    const { outcome, delta, current } = resolveLabel(this.standing.get(label.transactionId), label)
    this.standing.set(label.transactionId, current)
    this.labelOutcomes[outcome]++
    if (delta !== 0 && this.ruleSet.plan.labelFed) {
      this.ruleSet.plan.entities.forEach((kind, i) => {
        const id = scored.ids[i]
        const state = id === undefined ? undefined : this.states[kind].get(id)
        if (state !== undefined) this.states[kind].set(id!, applyLabel(this.ruleSet.plan, kind, state, scored.time, delta))
      })
    }
    return outcome
  }

  /** Labels whose transaction was never scored: unmatched, as far as this replay goes. */
  unmatched(): ReportedLabel[] {
    return [...this.pending.values()].flat()
  }
}
