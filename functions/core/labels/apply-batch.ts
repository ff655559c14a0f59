import type { EntityKind } from '../features/definition.ts'
import { applyLabel, entityKeys } from '../features/index.ts'
import type { FeaturePlan } from '../features/plan.ts'
import { entityKey, type EntityKey } from '../scoring.ts'
import { formatMark, liveMarks } from '../stream/high-water.ts'
import { formatPosition, type Position } from '../stream/position.ts'
import { isApplied, type EntityItem } from '../stream/batch.ts'
import { eventTime, type Transaction } from '../transaction.ts'
import type { Label } from './label.ts'
import { resolveLabel, type LabelOutcome } from './resolve.ts'

/**
 * Labels applied exactly once, on the scorer's discipline (core/stream/batch.ts) and without
 * transactions: a batch of one shard of the labels stream commits in two phases. First each
 * labeled transaction's label item (conditional on the version read) records what every record
 * did, by its position; then one write per entity moves its fraud counts, carrying the labels
 * shard's high-water mark. A retried record finds its own entry and replays it; an entity whose
 * mark covers it already counted it. The scorer's writes and these are both conditional on the
 * entity's version, so neither loses the other's.
 */

/** What a label needs of its scored transaction: where its fraud goes in each entity's windows. */
export interface LabelSubject {
  /** The transaction's event time (epoch ms). */
  time: number
  /** Its entities' ids by kind, as the scorer keyed them. */
  entities: Partial<Record<EntityKind, string>>
}

/** Stored with the decision, so a label weeks later finds where it counts. */
export const labelSubject = (txn: Transaction, time = eventTime(txn)): LabelSubject => ({ time, entities: entityKeys(txn) })

/** A label record with its position; the shard id names the labels stream's shard apart from the transactions stream's (`labels:<shardId>`), as the entities' high-water marks hold both. */
export interface StreamLabel {
  position: Position
  label: Label
}

/** A record's effect, kept on the label item so that a retry replays it. */
export interface AppliedRecord {
  /** `<shardId>/<sequence>:<sub>`. */
  at: string
  outcome: LabelOutcome | 'pending'
  delta: -1 | 0 | 1
}

/** What is stored per labeled transaction. */
export interface LabelItem {
  standing: Label | undefined
  /** The newest records' effects, oldest first; at most `appliedKept`. */
  applied: readonly AppliedRecord[]
  /** Labels that came before their transaction was scored, waiting for it (the sweep resends them). */
  waiting: readonly Label[]
  /** Labels that waited longer than the bounded wait for a transaction that never came (the sweep moves them here). */
  unmatched: readonly Label[]
  /** Bumped by every write; 0: not stored yet. */
  version: number
}

/** Enough for any retry: a batch replays at most its own records, and few labels name one transaction. */
export const appliedKept = 32

export const emptyLabelItem: LabelItem = { standing: undefined, applied: [], waiting: [], unmatched: [], version: 0 }

const recordAt = (position: Position) => `${position.shardId}/${formatPosition(position)}`

export interface LabelFate {
  outcome: LabelOutcome | 'pending'
  delta: -1 | 0 | 1
  /** Whether an earlier attempt already recorded it. */
  replayed: boolean
  /** For an accepted label this attempt recorded: the label that stood before it (none: the first). */
  replaced?: Label | undefined
}

export interface LabelBatch {
  fates: LabelFate[]
  /** The label items to write, each with the first record that changed it (where a failed write resumes). */
  items: Map<string, { item: LabelItem; expectedVersion: number; firstRecord: number }>
}

/**
 * The fate of every record, in order, against the stored label items and the ids of the
 * transactions scored so far (a label of any other waits).
 */
export function decideLabels(records: readonly StreamLabel[], stored: ReadonlyMap<string, LabelItem>, scored: ReadonlySet<string>): LabelBatch {
  const items: LabelBatch['items'] = new Map()
  const fates = records.map(({ position, label }, index): LabelFate => {
    const id = label.transactionId
    const before = items.get(id)?.item ?? stored.get(id) ?? emptyLabelItem
    const at = recordAt(position)
    const recorded = before.applied.find((entry) => entry.at === at)
    if (recorded) return { outcome: recorded.outcome, delta: recorded.delta, replayed: true }

    let next: LabelItem
    let fate: LabelFate
    if (!scored.has(id)) {
      fate = { outcome: 'pending', delta: 0, replayed: false }
      next = { ...before, waiting: [...before.waiting.filter((waiting) => !sameLabel(waiting, label)), label] }
    } else {
      const { outcome, delta, current } = resolveLabel(before.standing, label)
      fate = { outcome, delta, replayed: false, ...(outcome === 'accepted' ? { replaced: before.standing } : {}) }
      next = { ...before, standing: current, waiting: before.waiting.filter((waiting) => !sameLabel(waiting, label)) }
    }
    next = { ...next, applied: [...before.applied, { at, outcome: fate.outcome, delta: fate.delta }].slice(-appliedKept) }
    const pending = items.get(id)
    items.set(id, { item: next, expectedVersion: pending?.expectedVersion ?? before.version, firstRecord: pending?.firstRecord ?? index })
    return fate
  })
  for (const entry of items.values()) entry.item = { ...entry.item, version: entry.expectedVersion + 1 }
  return { fates, items }
}

const sameLabel = (a: Label, b: Label) => a.fraud === b.fraud && a.reportedAt === b.reportedAt && a.source === b.source

/** One label's move on one entity. */
export interface LabelEffect {
  position: Position
  time: number
  delta: 1 | -1
}

export interface LabelEntityWrite {
  key: EntityKey
  kind: EntityKind
  effects: LabelEffect[]
  /** Index of the first record it counts: where a failed write resumes. */
  firstRecord: number
}

/** The entity writes of the first `upTo` records' fates, one per entity. */
export function labelEntityWrites(
  plan: FeaturePlan,
  records: readonly StreamLabel[],
  fates: readonly LabelFate[],
  subjects: ReadonlyMap<string, LabelSubject>,
  upTo = fates.length,
): LabelEntityWrite[] {
  if (!plan.labelFed) return []
  const grouped = new Map<EntityKey, LabelEntityWrite>()
  for (let i = 0; i < upTo; i++) {
    const { delta } = fates[i]!
    const subject = subjects.get(records[i]!.label.transactionId)
    if (delta === 0 || subject === undefined) continue
    for (const kind of plan.entities) {
      const id = subject.entities[kind]
      if (id === undefined) continue
      const key = entityKey(kind, id)
      const effect = { position: records[i]!.position, time: subject.time, delta }
      const write = grouped.get(key)
      if (write) write.effects.push(effect)
      else grouped.set(key, { key, kind, effects: [effect], firstRecord: i })
    }
  }
  return [...grouped.values()]
}

/**
 * Moves `effects` into an entity item, skipping those its high-water marks already cover; also
 * used on a freshly read item after a version conflict. Undefined when there is nothing to write:
 * all counted already, or no state to correct (the entity aged out, or its kind kept nothing).
 */
export function foldLabels(
  plan: FeaturePlan,
  kind: EntityKind,
  item: EntityItem | undefined,
  effects: readonly LabelEffect[],
  markedAt: number,
): { expectedVersion: number; item: EntityItem } | undefined {
  if (item === undefined || item.version === 0) return undefined
  let state = item.state
  const highWater = liveMarks(item.highWater, markedAt)
  let applied = 0
  for (const { position, time, delta } of effects) {
    if (isApplied(item, position)) continue
    state = applyLabel(plan, kind, state, time, delta)
    highWater[position.shardId] = formatMark(position, markedAt)
    applied++
  }
  if (applied === 0) return undefined
  return { expectedVersion: item.version, item: { state, version: item.version + 1, highWater } }
}

/**
 * How an accepted label moves the counts of the rules that fired on its transaction: one verdict
 * more (and one less of the replaced label's, for a flip), by source. `{}` for any other fate.
 */
export function ruleLabelChange(fate: LabelFate, label: Label): Record<string, number> {
  if (fate.outcome !== 'accepted' || fate.replayed) return {}
  const verdict = (l: Label) => (l.fraud ? 'fraud' : 'legitimate')
  const change: Record<string, number> = { [verdict(label)]: 1, [`${verdict(label)}_${label.source}`]: 1 }
  if (fate.replaced) {
    change[verdict(fate.replaced)] = (change[verdict(fate.replaced)] ?? 0) - 1
    const key = `${verdict(fate.replaced)}_${fate.replaced.source}`
    change[key] = (change[key] ?? 0) - 1
  }
  return change
}
