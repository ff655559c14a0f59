import { eventTime, type Transaction } from '../transaction.ts'
import type { EntityKind } from './definition.ts'
import { applyDistinct } from './distinct.ts'
import { applyKnownDevices } from './known-devices.ts'
import { applyLastLocation } from './last-seen.ts'
import type { FeaturePlan } from './plan.ts'
import type { EntityState } from './state.ts'
import { applySeries } from './window.ts'

/**
 * The state of an entity of `kind` after `txn`, which belongs to it (see `entityKeys`). Pure: the
 * input state is never modified, and unchanged parts are shared with the result. Only what the
 * plan declares is carried over, so a rule-set version that drops a feature also drops its data;
 * one that changes a window's aggregates (the series key) starts that window afresh.
 *
 * `time` is `eventTime(txn)`; pass it when applying one transaction to several entities, so the
 * timestamp is parsed once.
 */
export function applyTransaction(
  plan: FeaturePlan,
  kind: EntityKind,
  state: EntityState | undefined,
  txn: Transaction,
  time: number = eventTime(txn),
): EntityState {
  const entity = plan.byEntity[kind]
  const newest = state === undefined ? time : state.t
  const latest = Math.max(newest, time)

  let windows: Record<string, readonly number[]> | undefined
  for (const series of entity.series) {
    const buckets = applySeries(series, state?.w?.[series.key], newest, latest, time, txn.amount)
    if (buckets !== undefined) (windows ??= {})[series.key] = buckets
  }
  let distinct: Record<string, readonly number[]> | undefined
  for (const values of entity.distinct) {
    const entries = applyDistinct(values, state?.d?.[values.key], newest, latest, time, txn)
    if (entries !== undefined) (distinct ??= {})[values.key] = entries
  }
  const located = entity.keepsLocation ? applyLastLocation(state?.l, newest, latest, time, txn) : undefined
  const devices = entity.deviceFirstSeen.length > 0 ? applyKnownDevices(state?.v, newest, latest, time, txn) : undefined

  // Absent rather than undefined members: the state goes to storage as it is.
  const next: { -readonly [Key in keyof EntityState]: EntityState[Key] } = { t: latest }
  if (windows !== undefined) next.w = windows
  if (distinct !== undefined) next.d = distinct
  if (located !== undefined) next.l = located
  if (devices !== undefined) next.v = devices
  if (entity.flaggedBefore.length > 0 && state?.f !== undefined) next.f = state.f
  return next
}
