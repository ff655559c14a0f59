/**
 * `distinct`: how many different values of a categorical field the entity had in a window.
 *
 * All the distinct windows over one field share one set of recent values (recent-values.ts),
 * each value with the time of its latest event, quantized to q = gcd of the windows' bucket
 * widths so that every window's bucket index of that time is exact. A transaction's window
 * counts the values whose latest event falls in the window's buckets [L, H] (window.ts), so:
 *
 * - below the cap, in time order: exactly the number of distinct values among the window's events;
 * - out of order (t < N): a value also seen after the bucket of t is not counted for t;
 * - beyond the cap of 32 values, the values seen longest ago are forgotten first, so in time order
 *   the result is min(exact, 32): a rule can still tell "32 or more";
 * - two values with the same 32-bit hash count once (hash.ts: ≈ 1.2·10⁻⁷ for 32 values).
 *
 * Values whose latest event is older than the largest window are forgotten on apply.
 */
import type { Transaction } from '../transaction.ts'
import { categoricalValueOf } from './categorical-fields.ts'
import { formatDuration, type CategoricalField, type FeatureValues } from './definition.ts'
import { hash32 } from './hash.ts'
import { countRecent, touchRecent } from './recent-values.ts'
import { bucketsPerWindow } from './window.ts'

export const distinctCap = 32

export interface DistinctPlan {
  /** The field and the time quantum, e.g. `merchant.id/6m`: ages are read only in the unit they were written in. */
  readonly key: string
  readonly valueOf: (txn: Transaction) => string | undefined
  readonly quantumMs: number
  /** In quanta: a value last seen longer ago than this is in no window. */
  readonly horizon: number
  readonly features: readonly { readonly name: string; readonly bucketQuanta: number }[]
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b))

/** The one set of recent values for all the distinct features over `field`. */
export function planDistinct(field: CategoricalField, features: readonly { name: string; window: number }[]): DistinctPlan {
  const bucketWidths = features.map((feature) => feature.window / bucketsPerWindow)
  const quantumMs = bucketWidths.reduce(gcd)
  return {
    key: `${field}/${formatDuration(quantumMs)}`,
    valueOf: categoricalValueOf[field],
    quantumMs,
    // A window's oldest bucket starts after N − W, so nothing at or before N − W_max is ever read.
    horizon: Math.max(...features.map((feature) => feature.window)) / quantumMs - 1,
    features: features.map((feature, i) => ({ name: feature.name, bucketQuanta: bucketWidths[i]! / quantumMs })),
  }
}

/** The set after the transaction at `time`, the entity's newest time moving from `newest` to `latest`; in place with `reuse` (see touchRecent). */
export function applyDistinct(
  plan: DistinctPlan,
  entries: readonly number[] | undefined,
  newest: number,
  latest: number,
  time: number,
  txn: Transaction,
  reuse = false,
): readonly number[] | undefined {
  const { quantumMs } = plan
  const latestQuantum = Math.floor(latest / quantumMs)
  const value = plan.valueOf(txn)
  return touchRecent(
    entries,
    latestQuantum - Math.floor(newest / quantumMs),
    value === undefined ? undefined : hash32(value),
    latestQuantum - Math.floor(time / quantumMs),
    distinctCap,
    plan.horizon,
    reuse,
  )
}

export function readDistinct(
  plan: DistinctPlan,
  entries: readonly number[] | undefined,
  newest: number,
  time: number,
  out: FeatureValues,
): void {
  const newestQuantum = Math.floor(newest / plan.quantumMs)
  const timeQuantum = Math.floor(time / plan.quantumMs)
  for (const { name, bucketQuanta } of plan.features) {
    const current = Math.floor(timeQuantum / bucketQuanta)
    const oldest = Math.max(Math.floor(newestQuantum / bucketQuanta), current) - bucketsPerWindow + 1
    // Bucket index in [oldest, current] ⇔ quantum in [oldest·bq, (current + 1)·bq − 1], as ages:
    out[name] = countRecent(entries, newestQuantum - (current + 1) * bucketQuanta + 1, newestQuantum - oldest * bucketQuanta)
  }
}
