import { eventTime, type Transaction } from '../transaction.ts'
import type { EntityKind, FeatureValues } from './definition.ts'
import { readFlaggedBefore } from './apply-label.ts'
import { readDistinct } from './distinct.ts'
import { entityKeyOf } from './entity-keys.ts'
import { readDeviceFirstSeen } from './known-devices.ts'
import { readLastSeen } from './last-seen.ts'
import type { FeaturePlan } from './plan.ts'
import type { EntityState } from './state.ts'
import { readSeries } from './window.ts'

/**
 * The features for scoring `txn`, from the states of its entities BEFORE it is applied: features
 * describe history, without the transaction itself. A missing state is an entity's first
 * transaction. A feature without a value (avg, min or max of an empty window, a first
 * transaction's `seconds_since_last`, a distance without both locations, a built-in of an entity
 * the transaction lacks) is absent. Count, sum and distinct of an empty window are 0, also for an
 * entity the transaction lacks (no device, so no IP): a rule like `ip_distinct_cards_1h >= 5`
 * then simply does not fire, instead of erroring on every card-present transaction.
 *
 * `time` is `eventTime(txn)`; pass it when already known, so the timestamp is parsed once.
 */
export function readFeatures(
  plan: FeaturePlan,
  states: Partial<Record<EntityKind, EntityState>>,
  txn: Transaction,
  time: number = eventTime(txn),
): FeatureValues {
  const out: FeatureValues = {}
  for (const kind of plan.entities) {
    const present = entityKeyOf[kind](txn) !== undefined
    const entity = plan.byEntity[kind]
    const state = present ? states[kind] : undefined
    const newest = state === undefined ? time : state.t
    for (const series of entity.series) readSeries(series, state?.w?.[series.key], newest, time, out)
    for (const values of entity.distinct) readDistinct(values, state?.d?.[values.key], newest, time, out)
    if (!present) continue
    if (entity.lastSeen !== undefined) readLastSeen(entity.lastSeen, state?.t, state?.l, time, txn, out)
    if (entity.deviceFirstSeen.length > 0) readDeviceFirstSeen(entity.deviceFirstSeen, state?.v, txn, out)
    if (entity.flaggedBefore.length > 0) readFlaggedBefore(entity.flaggedBefore, state, out)
  }
  return out
}
