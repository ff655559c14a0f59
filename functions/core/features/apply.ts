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
  return advance(plan, kind, state, txn, time, false)
}

/**
 * `applyTransaction` for a caller that owns `state` and never reads it again (MemoryScorer, which
 * keeps each entity's state in one place and replaces it): `state` and its arrays are updated in
 * place and returned. The result equals, member for member and in the same member order, what
 * `applyTransaction` returns; only the allocations go (the states of busy entities otherwise
 * outlive a young-generation collection each time and churn the old one).
 */
export function applyTransactionInPlace(
  plan: FeaturePlan,
  kind: EntityKind,
  state: EntityState | undefined,
  txn: Transaction,
  time: number = eventTime(txn),
): EntityState {
  return advance(plan, kind, state, txn, time, true)
}

type Mutable<T> = { -readonly [Key in keyof T]: T[Key] }
type Arrays = Readonly<Record<string, readonly number[]>>

function advance(plan: FeaturePlan, kind: EntityKind, state: EntityState | undefined, txn: Transaction, time: number, reuse: boolean): EntityState {
  const entity = plan.byEntity[kind]
  const newest = state === undefined ? time : state.t
  const latest = Math.max(newest, time)

  // In place, an array the state had comes back as that same array (or undefined: a set emptied),
  // so its record is rebuilt only when it would change: it gains or loses a key, or holds one the
  // plan no longer has. The counts are of the kept record's keys.
  let windows: Record<string, readonly number[]> | undefined
  let windowsKept = reuse && state?.w !== undefined
  let windowCount = 0
  for (let i = 0; i < entity.series.length; i++) {
    const series = entity.series[i]!
    const before = state?.w?.[series.key]
    const buckets = applySeries(series, before, newest, latest, time, txn.amount, reuse)
    if (windowsKept) {
      if (buckets === before) {
        if (buckets !== undefined) windowCount++
        continue
      }
      windowsKept = false
      windows = planned(state!.w!, entity.series, i)
    }
    if (buckets !== undefined) (windows ??= {})[series.key] = buckets
  }
  if (windowsKept) windows = inPlanOrder(state!.w!, entity.series, windowCount) ? (state!.w as Record<string, readonly number[]>) : planned(state!.w!, entity.series)

  let distinct: Record<string, readonly number[]> | undefined
  let distinctKept = reuse && state?.d !== undefined
  let distinctCount = 0
  for (let i = 0; i < entity.distinct.length; i++) {
    const values = entity.distinct[i]!
    const before = state?.d?.[values.key]
    const entries = applyDistinct(values, before, newest, latest, time, txn, reuse)
    if (distinctKept) {
      if (entries === before) {
        if (entries !== undefined) distinctCount++
        continue
      }
      // A set emptied in place (undefined now) must not be copied from the record below.
      distinctKept = false
      distinct = planned(state!.d!, entity.distinct, i)
    }
    if (entries !== undefined) (distinct ??= {})[values.key] = entries
  }
  if (distinctKept) distinct = inPlanOrder(state!.d!, entity.distinct, distinctCount) ? (state!.d as Record<string, readonly number[]>) : planned(state!.d!, entity.distinct)

  const located = entity.keepsLocation ? applyLastLocation(state?.l, newest, latest, time, txn, reuse) : undefined
  const devices = entity.deviceFirstSeen.length > 0 ? applyKnownDevices(state?.v, newest, latest, time, txn, reuse) : undefined
  const frauds = entity.flaggedBefore.length > 0 ? state?.f : undefined

  if (
    reuse &&
    state !== undefined &&
    (windows === undefined) === (state.w === undefined) &&
    (distinct === undefined) === (state.d === undefined) &&
    (located === undefined) === (state.l === undefined) &&
    (devices === undefined) === (state.v === undefined) &&
    (frauds === undefined) === (state.f === undefined)
  ) {
    // The same members as a fresh state would have, in the same order: update them.
    const owned = state as Mutable<EntityState>
    owned.t = latest
    if (windows !== undefined && windows !== state.w) owned.w = windows
    if (distinct !== undefined && distinct !== state.d) owned.d = distinct
    if (located !== undefined && located !== state.l) owned.l = located
    if (devices !== undefined && devices !== state.v) owned.v = devices
    return owned
  }

  // Absent rather than undefined members: the state goes to storage as it is.
  const next: Mutable<EntityState> = { t: latest }
  if (windows !== undefined) next.w = windows
  if (distinct !== undefined) next.d = distinct
  if (located !== undefined) next.l = located
  if (devices !== undefined) next.v = devices
  if (frauds !== undefined) next.f = frauds
  return next
}

/** A fresh record of `record`'s values for the first `upTo` of the plan's keys, in plan order. */
function planned(record: Arrays, plans: readonly { readonly key: string }[], upTo = plans.length): Record<string, readonly number[]> | undefined {
  let fresh: Record<string, readonly number[]> | undefined
  for (let i = 0; i < upTo; i++) {
    const value = record[plans[i]!.key]
    if (value !== undefined) (fresh ??= {})[plans[i]!.key] = value
  }
  return fresh
}

/** Whether `record` holds `count` keys, all of them the plan's and in plan order: what a fresh record would be. */
function inPlanOrder(record: Arrays, plans: readonly { readonly key: string }[], count: number): boolean {
  let at = 0
  let seen = 0
  for (const key in record) {
    while (at < plans.length && plans[at]!.key !== key) at++
    if (at === plans.length) return false
    at++
    seen++
  }
  return seen === count && count > 0
}
