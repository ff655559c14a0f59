/**
 * The ground truth of a fault run, computed from the stream's contents alone with the pure core:
 * each distinct valid transaction scored once, in its lane's order, under every rule-set version
 * the run activates (the features are the versions' common ones, so entity state is the same under
 * all of them); every invalid record expected in quarantine at its own position.
 */
import type { Decision } from '../../functions/core/decision.ts'
import { entityKeyOf, entityKinds, type EntityState } from '../../functions/core/features/index.ts'
import { MemoryScorer } from '../../functions/core/memory-scorer.ts'
import type { RuleSetInput } from '../../functions/core/rules/rule-set.ts'
import { formatPosition } from '../../functions/core/stream/position.ts'
import { parseTransactionJson, type Transaction } from '../../functions/core/transaction.ts'
import type { StreamRecord } from '../../functions/score/process-batch.ts'
import { compiled } from '../support/scenario.ts'
import { testKey } from '../support/transactions.ts'

export interface GroundTruth {
  /** By rule-set version, by transaction id. */
  readonly decisions: ReadonlyMap<number, ReadonlyMap<string, Decision>>
  /** By entity key (`card#…`), as the entity table keys them. */
  readonly states: ReadonlyMap<string, EntityState>
  /** Transactions per card key, and the card's last transaction (to read the stored count at). */
  readonly cards: ReadonlyMap<string, { count: number; last: Transaction }>
  /** Quarantine ids (`<shardId>/<sequence>:<sub>`) of the invalid records. */
  readonly quarantined: ReadonlySet<string>
}

const decidedAt = '2026-01-01T00:00:00.000Z'

export function groundTruthOf(records: readonly StreamRecord[], ruleSets: readonly RuleSetInput[]): GroundTruth {
  const scorers = ruleSets.map((input) => ({ version: input.version, scorer: new MemoryScorer(compiled(input)), decisions: new Map<string, Decision>() }))
  const tracked = compiled(ruleSets[0]!).plan.entities
  const quarantined = new Set<string>()
  const cards = new Map<string, { count: number; last: Transaction }>()
  const byLane = Map.groupBy(records, (r) => r.partitionKey)
  const seen = new Set<string>()
  const laneOf = new Map<string, string>()
  for (const [lane, laneRecords] of byLane) {
    for (const record of laneRecords) {
      const parsed = parseTransactionJson(record.data, testKey)
      if (!parsed.ok) {
        quarantined.add(`${record.position.shardId}/${formatPosition(record.position)}`)
        continue
      }
      const txn = parsed.value
      if (seen.has(txn.transactionId)) continue
      seen.add(txn.transactionId)
      for (const { scorer, decisions } of scorers) decisions.set(txn.transactionId, scorer.score(txn, decidedAt))
      for (const kind of tracked) {
        const id = entityKeyOf[kind](txn)
        const key = `${kind}#${id}`
        if (id !== undefined && (laneOf.get(key) ?? lane) !== lane) throw new Error(`${key} is in two lanes: the lanes are not independent`)
        laneOf.set(key, lane)
      }
      const card = `card#${txn.card.token}`
      cards.set(card, { count: (cards.get(card)?.count ?? 0) + 1, last: txn })
    }
  }
  const states = new Map<string, EntityState>()
  for (const kind of entityKinds) for (const [id, state] of scorers[0]!.scorer.states[kind]) states.set(`${kind}#${id}`, state)
  return { decisions: new Map(scorers.map((s) => [s.version, s.decisions])), states, cards, quarantined }
}
