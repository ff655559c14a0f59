import type { EntityKind } from './definition.ts'
import type { FeaturePlan } from './plan.ts'
import type { EntityState } from './state.ts'
import { labelSeries } from './window.ts'

/**
 * The state of an entity of `kind` after a label of one of its transactions (event time `time`)
 * became known: `delta` +1 when the transaction is newly confirmed fraud, −1 when a fraud label
 * is corrected to legitimate. Labels never move the entity's newest time: they are not events.
 *
 * `state` itself when nothing the plan keeps changes (no label-fed feature on this kind, the
 * transaction's bucket gone), so a caller can skip the write. Pure, like `applyTransaction`.
 */
export function applyLabel(plan: FeaturePlan, kind: EntityKind, state: EntityState, time: number, delta: 1 | -1): EntityState {
  const entity = plan.byEntity[kind]
  let windows: Record<string, readonly number[]> | undefined
  for (const series of entity.series) {
    const before = state.w?.[series.key]
    const after = labelSeries(series, before, state.t, time, delta)
    if (after !== before && after !== undefined) (windows ??= { ...state.w })[series.key] = after
  }
  const frauds = entity.flaggedBefore.length > 0 ? Math.max(0, (state.f ?? 0) + delta) : state.f
  if (windows === undefined && frauds === state.f) return state
  const next: { -readonly [Key in keyof EntityState]: EntityState[Key] } = { ...state }
  if (windows !== undefined) next.w = windows
  if (frauds === undefined || frauds === 0) delete next.f
  else next.f = frauds
  return next
}

/** `flagged_before`: whether any transaction of the entity is confirmed fraud, by the labels known now. */
export function readFlaggedBefore(names: readonly string[], state: EntityState | undefined, out: Record<string, number | boolean>): void {
  for (const name of names) out[name] = (state?.f ?? 0) > 0
}
