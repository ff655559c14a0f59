/**
 * Sliding windows over event time, kept as time buckets.
 *
 * A window of width W is cut into n = 10 buckets of width b = W / 10 (a whole number of ms, since
 * W is whole seconds); an event at time x falls in bucket idx(x) = ⌊x / b⌋. Let E be the events
 * applied to an entity and N the newest of their times (the state's `t`). The window of a
 * transaction at time t reads the buckets with index in [L, H], where
 *
 *   H = idx(t)    and    L = max(idx(t), idx(N)) − n + 1,
 *
 * so every aggregate is EXACT over B = { e ∈ E : L ≤ idx(e) ≤ H }: count, sum, min, max and avg of
 * `amount` are those of B, distinct is the number of distinct values in B (see distinct.ts for the
 * two ways it can be lower: the cap and hash collisions).
 *
 * In time order (t ≥ N, the usual case), L = idx(t) − n + 1 and
 *
 *   E ∩ (t − W + b, t]  ⊆  B  ⊆  E ∩ (t − W, t],
 *
 * so the window covers between W − b and W of history, and (amounts are never negative)
 *   count, sum, distinct:  exact(t − W + b, t]  ≤  approx  ≤  exact(t − W, t]
 *   min:                   exact(t − W, t]      ≤  approx  ≤  exact(t − W + b, t]  (max: reversed;
 *                          both when (t − W + b, t] holds an event, else approx may be absent)
 *   avg:                   the exact mean of B, so within [min, max] of (t − W, t].
 * The window only ever misses events, all of them in (t − W, t − W + b]: its oldest tenth.
 *
 * Out of order (t < N): buckets are anchored at N, so those older than idx(N) − n + 1 are already
 * gone, and the bucket of t may hold events a little after t. Then
 *
 *   E ∩ (N − W + b, t]  ⊆  B  ⊆  E ∩ (t − W, (idx(t) + 1)·b).
 *
 * Late events: an event whose bucket is older than idx(N) − n + 1 when it arrives is not added to
 * that window, since no transaction at or after N could read it. An event at or before N − W is
 * thus dropped from every window of width ≤ W: events older than the largest window are ignored.
 * Expired buckets are pruned on every apply.
 *
 * Lag: a window lagged by λ reads the buckets the window of t − λ would, [idx(t − λ) − n + 1,
 * idx(t − λ)], so every bound above holds with t − λ for t. To have them, the series keeps
 * k = n + ⌈λ_max / b⌉ buckets instead of n (λ_max the largest lag among its features); "late" and
 * "pruned" above then mean older than idx(N) − k + 1.
 *
 * Labels: the bucket also counts the confirmed frauds among its transactions (`fraud_count`,
 * `fraud_rate` = frauds / count over the same buckets). A label moves that count in the bucket of
 * its transaction's time when it is applied, so a transaction scored before then never saw it
 * (core/labels/). Per bucket 0 ≤ frauds ≤ count: a label whose transaction the bucket does not
 * hold (the series was declared after it was counted) changes nothing.
 *
 * Storage: one flat array per window, bucket by bucket from idx(N) back (position = idx(N) − idx),
 * each bucket being its count, then its sum, min, max and frauds when some feature needs them.
 * Trailing empty buckets are trimmed, so a quiet entity stores almost nothing. Windows of the same
 * width share one array.
 */
import { formatDuration, type FeatureValues, type WindowedFeature } from './definition.ts'

export const bucketsPerWindow = 10

type BucketAggregate = Exclude<WindowedFeature['aggregate'], 'distinct'>

export interface SeriesPlan {
  /** The window and what each bucket holds, e.g. `1h:cs`: a stored array is read only by the plan that wrote it. */
  readonly key: string
  readonly bucketMs: number
  /** Buckets kept: the window's 10, and as many more as its largest lag spans. */
  readonly keep: number
  /** Numbers per bucket: the count (which also tells an empty bucket), then sum, min, max, frauds if kept. */
  readonly stride: number
  readonly sumAt: number | undefined
  readonly minAt: number | undefined
  readonly maxAt: number | undefined
  readonly fraudAt: number | undefined
  /** The features by lag: each group reads one range of buckets. */
  readonly reads: readonly { readonly lagMs: number; readonly features: readonly { readonly name: string; readonly aggregate: BucketAggregate }[] }[]
}

/** The one series for all the bucketed (non-distinct) features sharing the window `windowMs`. */
export function planSeries(windowMs: number, features: readonly { name: string; aggregate: BucketAggregate; lag?: number | undefined }[]): SeriesPlan {
  const needs = (...aggregates: BucketAggregate[]) => features.some((feature) => aggregates.includes(feature.aggregate))
  let stride = 1
  const sumAt = needs('sum', 'avg') ? stride++ : undefined
  const minAt = needs('min') ? stride++ : undefined
  const maxAt = needs('max') ? stride++ : undefined
  const fraudAt = needs('fraud_count', 'fraud_rate') ? stride++ : undefined
  const layout = `c${sumAt === undefined ? '' : 's'}${minAt === undefined ? '' : 'n'}${maxAt === undefined ? '' : 'x'}${fraudAt === undefined ? '' : 'f'}`
  const bucketMs = windowMs / bucketsPerWindow
  const lags = [...new Set(features.map((feature) => feature.lag ?? 0))].sort((a, b) => a - b)
  return {
    key: `${formatDuration(windowMs)}:${layout}`,
    bucketMs,
    keep: bucketsPerWindow + Math.ceil(lags.at(-1)! / bucketMs),
    stride,
    sumAt,
    minAt,
    maxAt,
    fraudAt,
    reads: lags.map((lagMs) => ({
      lagMs,
      features: features.filter((feature) => (feature.lag ?? 0) === lagMs).map(({ name, aggregate }) => ({ name, aggregate })),
    })),
  }
}

/**
 * The series after an event of `amount` at `time`, the entity's newest time moving from `newest`
 * to `latest`; `buckets` itself when the event is too late for this window.
 *
 * With `reuse`, the caller owns `buckets` and never reads it again (MemoryScorer's states): the
 * result is then `buckets` itself, updated in place, with the same contents a fresh array would
 * have. A busy merchant's lagged series holds 80 buckets; copying them for every transaction was
 * most of the cost of scoring it.
 */
export function applySeries(
  plan: SeriesPlan,
  buckets: readonly number[] | undefined,
  newest: number,
  latest: number,
  time: number,
  amount: number,
  reuse = false,
): readonly number[] | undefined {
  const { bucketMs, keep, stride, sumAt, minAt, maxAt } = plan
  const head = Math.floor(latest / bucketMs)
  const shift = head - Math.floor(newest / bucketMs)
  const at = head - Math.floor(time / bucketMs)
  const old = buckets ?? []
  if (at >= keep && shift === 0 && old.length <= keep * stride) return buckets

  let kept = Math.max(0, Math.min(old.length / stride, keep - shift))
  // The shift may push out the last buckets and leave an empty one last: trim it.
  while (kept > 0 && old[(kept - 1) * stride] === 0) kept--
  const length = Math.max(kept === 0 ? 0 : kept + shift, at < keep ? at + 1 : 0)

  // The kept buckets move `shift` places older: [0, copiedFrom) and [copiedTo, size) are empty.
  const size = length * stride
  const copiedFrom = Math.min(shift * stride, size)
  const copiedTo = copiedFrom + kept * stride
  let next: number[]
  if (reuse && buckets !== undefined) {
    next = buckets as number[]
    // Grown by push, so it stays a packed array; copied back to front, as the ranges overlap.
    while (next.length < size) next.push(0)
    // Setting length is a runtime call even when it changes nothing: only when it does.
    if (next.length > size) next.length = size
    if (copiedFrom > 0) {
      for (let i = copiedTo - 1; i >= copiedFrom; i--) next[i] = next[i - copiedFrom]!
      for (let i = 0; i < copiedFrom; i++) next[i] = 0
    }
    for (let i = copiedTo; i < size; i++) next[i] = 0
  } else {
    // Sized once: growing by push reallocates, and the slack stays with the stored state.
    next = new Array<number>(size)
    let i = 0
    while (i < copiedFrom) next[i++] = 0
    while (i < copiedTo) next[i] = old[i++ - copiedFrom]!
    while (i < size) next[i++] = 0
  }

  if (at < keep) {
    const base = at * stride
    const first = next[base] === 0
    next[base]! += 1
    if (sumAt !== undefined) next[base + sumAt]! += amount
    if (minAt !== undefined) next[base + minAt] = first ? amount : Math.min(next[base + minAt]!, amount)
    if (maxAt !== undefined) next[base + maxAt] = first ? amount : Math.max(next[base + maxAt]!, amount)
  }
  return next
}

/**
 * The series after a label moved the frauds of the bucket of `time` (its transaction's event time)
 * by `delta`; `buckets` itself when the series keeps no frauds, the bucket is gone (no window can
 * read it any more), or the change would leave it with frauds below 0 or above its count.
 */
export function labelSeries(plan: SeriesPlan, buckets: readonly number[] | undefined, newest: number, time: number, delta: 1 | -1): readonly number[] | undefined {
  const { bucketMs, stride, fraudAt } = plan
  if (fraudAt === undefined || buckets === undefined) return buckets
  const at = Math.floor(newest / bucketMs) - Math.floor(time / bucketMs)
  const base = at * stride
  if (at < 0 || at >= plan.keep || base >= buckets.length) return buckets
  const frauds = buckets[base + fraudAt]! + delta
  if (frauds < 0 || frauds > buckets[base]!) return buckets
  const next = buckets.slice()
  next[base + fraudAt] = frauds
  return next
}

/** Writes the window's features for a transaction at `time` into `out`; see the module comment for which buckets. */
export function readSeries(
  plan: SeriesPlan,
  buckets: readonly number[] | undefined,
  newest: number,
  time: number,
  out: FeatureValues,
): void {
  const { bucketMs, keep, stride, sumAt, minAt, maxAt, fraudAt } = plan
  const head = Math.floor(newest / bucketMs)
  for (const { lagMs, features } of plan.reads) {
    const current = Math.floor((time - lagMs) / bucketMs)
    let count = 0
    let sum = 0
    let min = Infinity
    let max = -Infinity
    let frauds = 0
    if (buckets !== undefined) {
      const from = Math.max(0, head - current)
      const to = Math.min(buckets.length / stride - 1, keep - 1, head - current + bucketsPerWindow - 1)
      for (let base = from * stride; base <= to * stride; base += stride) {
        if (buckets[base] === 0) continue
        count += buckets[base]!
        if (sumAt !== undefined) sum += buckets[base + sumAt]!
        if (minAt !== undefined) min = Math.min(min, buckets[base + minAt]!)
        if (maxAt !== undefined) max = Math.max(max, buckets[base + maxAt]!)
        if (fraudAt !== undefined) frauds += buckets[base + fraudAt]!
      }
    }
    for (const { name, aggregate } of features) {
      if (aggregate === 'count') out[name] = count
      else if (aggregate === 'sum') out[name] = sum
      else if (aggregate === 'fraud_count') out[name] = frauds
      else if (aggregate === 'fraud_rate') out[name] = count === 0 ? 0 : frauds / count
      else if (count > 0) out[name] = aggregate === 'avg' ? sum / count : aggregate === 'min' ? min : max
    }
  }
}
