import type { Decision } from '../decision.ts'
import type { LabelSubject } from '../labels/apply-batch.ts'
import type { EntityKind } from '../features/definition.ts'
import { applyTransaction, type EntityState } from '../features/index.ts'
import type { CompiledRuleSet } from '../rules/compile.ts'
import { scoreTransaction, trackedEntities, type EntityKey, type EntityStates } from '../scoring.ts'
import { eventTime, type Transaction } from '../transaction.ts'
import { coveredBy, formatMark, liveMarks } from './high-water.ts'
import { samePosition, type Position } from './position.ts'

/**
 * Exactly-once effects on an at-least-once stream, without transactions.
 *
 * A batch commits in two phases: first every new decision (a put conditional on the transaction
 * id being absent, recording the stream position that decided it), then one write per entity
 * (conditional on the version it read, carrying per shard the position of the last record it
 * applied: its high-water mark). Entity writes never run ahead of decisions, so a record whose
 * position is at or below an entity's high-water mark was decided and counted; one above it was
 * not counted there. A repeated transaction id from another position is a producer duplicate: it
 * is neither decided nor counted. The two functions here are the pure part: what to write, given
 * what the tables hold.
 */

export interface StreamTransaction {
  position: Position
  txn: Transaction
}

/** An entity's stored aggregate state with what guards its updates. */
export interface EntityItem {
  state: EntityState
  /**
   * Bumped by every write; each write is conditional on the version it read. 0: not stored under
   * this key yet, its state taken from another item (a card's alias, core/card-history.ts).
   */
  version: number
  /** Per shard id, the position of the last record applied to this state and when (see high-water.ts). */
  highWater: Readonly<Record<string, string>>
}

/** A decision as stored, with the stream position of the record that made it. */
export interface StoredDecision {
  decision: Decision
  source: Position
  /** Where a label of the transaction counts; absent on decisions stored before labels were applied. */
  subject?: LabelSubject
}

export type RecordFate =
  /** New: this decision is to be written. */
  | { kind: 'decide'; decision: Decision }
  /** This very record was decided by an earlier attempt (a consumer retry or a second consumer). */
  | { kind: 'decided'; decision: Decision }
  /** Another record carried this transaction first: no decision, no counting. */
  | { kind: 'duplicate'; of: Position }

export interface BatchInput {
  ruleSet: CompiledRuleSet
  /** The batch's valid records, in stream order. */
  records: readonly StreamTransaction[]
  /** The stored decisions of the batch's transaction ids (read with strong consistency). */
  decisions: ReadonlyMap<string, StoredDecision>
  /** The stored items of the batch's entities. */
  entities: ReadonlyMap<EntityKey, EntityItem>
  decidedAt: string
}

export const isApplied = (item: EntityItem | undefined, position: Position): boolean => item !== undefined && coveredBy(item.highWater, position)

/** The fate of every record, deciding the new ones in order so each sees the ones before it. */
export function decideBatch({ ruleSet, records, decisions, entities, decidedAt }: BatchInput): RecordFate[] {
  const working = new Map<EntityKey, EntityState | undefined>()
  const firstCarrier = new Map<string, Position>()
  return records.map(({ position, txn }): RecordFate => {
    const stored = decisions.get(txn.transactionId)
    if (stored && !samePosition(stored.source, position)) return { kind: 'duplicate', of: stored.source }
    const earlier = firstCarrier.get(txn.transactionId)
    if (earlier) return { kind: 'duplicate', of: earlier }
    firstCarrier.set(txn.transactionId, position)

    const time = eventTime(txn)
    const tracked = trackedEntities(ruleSet, txn)
    const states: EntityStates = {}
    for (const { kind, key } of tracked) states[kind] = working.has(key) ? working.get(key) : entities.get(key)?.state
    const fate: RecordFate = stored
      ? { kind: 'decided', decision: stored.decision }
      : { kind: 'decide', decision: scoreTransaction(ruleSet, txn, states, decidedAt, time).decision }
    for (const { kind, key } of tracked) {
      if (!isApplied(entities.get(key), position)) working.set(key, applyTransaction(ruleSet.plan, kind, states[kind], txn, time))
    }
    return fate
  })
}

export interface EntityWrite {
  key: EntityKey
  kind: EntityKind
  /** The version the write is conditional on; undefined: the item must not exist yet. */
  expectedVersion: number | undefined
  item: EntityItem
  /** Index (in the batch) of the first record this write counts: where a failed write resumes. */
  firstRecord: number
  /** The records it counts, so a conflicting write can be recomputed on a fresh read. */
  records: readonly StreamTransaction[]
  /** The batch clock (epoch ms) its marks carry: also for a recomputed write. */
  markedAt: number
}

/**
 * The entity writes that count the decided records among the first `upTo` (all by default),
 * grouped so each entity is written once per batch however many of its records the batch holds.
 */
export function entityWrites(input: BatchInput, fates: readonly RecordFate[], upTo = fates.length): EntityWrite[] {
  const grouped = new Map<EntityKey, { kind: EntityKind; firstRecord: number; records: StreamTransaction[] }>()
  for (let i = 0; i < upTo; i++) {
    if (fates[i]!.kind === 'duplicate') continue
    const record = input.records[i]!
    for (const { kind, key } of trackedEntities(input.ruleSet, record.txn)) {
      if (isApplied(input.entities.get(key), record.position)) continue
      const group = grouped.get(key)
      if (group) group.records.push(record)
      else grouped.set(key, { kind, firstRecord: i, records: [record] })
    }
  }
  const markedAt = Date.parse(input.decidedAt)
  return [...grouped].map(([key, { kind, firstRecord, records }]) => ({
    key,
    kind,
    firstRecord,
    records,
    markedAt,
    ...foldEntity(input.ruleSet, kind, input.entities.get(key), records, markedAt)!,
  }))
}

/**
 * Counts `records` into an entity item, skipping those its high-water marks already cover; also
 * used to recompute a write after a version conflict, on the freshly read item. Undefined when
 * there is nothing left to count. The written item keeps only the marks that can still matter at
 * `markedAt` (the batch clock, epoch ms; see high-water.ts), so it does not grow with every shard
 * the stream ever had.
 */
export function foldEntity(
  ruleSet: CompiledRuleSet,
  kind: EntityKind,
  item: EntityItem | undefined,
  records: readonly StreamTransaction[],
  markedAt: number,
): Pick<EntityWrite, 'expectedVersion' | 'item'> | undefined {
  let state = item?.state
  const highWater = liveMarks(item?.highWater ?? {}, markedAt)
  let applied = 0
  for (const { position, txn } of records) {
    if (isApplied(item, position)) continue
    state = applyTransaction(ruleSet.plan, kind, state, txn)
    highWater[position.shardId] = formatMark(position, markedAt)
    applied++
  }
  if (applied === 0 || state === undefined) return undefined
  return { expectedVersion: item?.version || undefined, item: { state, version: (item?.version ?? 0) + 1, highWater } }
}
