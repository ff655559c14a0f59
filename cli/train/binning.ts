/**
 * Feature binning for histogram boosting (as LightGBM and XGBoost's `hist` method do): each
 * feature's values become at most 255 quantile bins, one byte a value, with bin 0 for a missing
 * value. Cut points are values of the data (float32, so exactly what the predictor compares):
 * with cuts c₁ < … < cₘ, a value v falls in bin 1 + #{j : cⱼ ≤ v}, so "bins 1…b go left" is the
 * split v < c_b, XGBoost's own test, and a tree grown on bins predicts the same on raw values.
 */
export const maxBins = 256

/** Cut points of one column over `rows`: every distinct value but the smallest when they are few, else quantiles. */
export function quantileCuts(column: Float32Array, rows: Uint32Array, bins = maxBins): Float32Array {
  const present = new Float32Array(rows.length)
  let n = 0
  for (let i = 0; i < rows.length; i++) {
    const v = column[rows[i]!]!
    if (!Number.isNaN(v)) present[n++] = v
  }
  const sorted = present.subarray(0, n).sort()
  const cuts: number[] = []
  const room = bins - 2 // bin 0 is missing; m cuts make m + 1 value bins
  let distinct = 0
  for (let i = 1; i < n; i++) if (sorted[i] !== sorted[i - 1]) distinct++
  if (distinct <= room) {
    for (let i = 1; i < n; i++) if (sorted[i] !== sorted[i - 1]) cuts.push(sorted[i]!)
  } else {
    for (let q = 1; q <= room; q++) {
      const v = sorted[Math.floor((q * n) / (room + 1))]!
      if (v > sorted[0]! && (cuts.length === 0 || v > cuts[cuts.length - 1]!)) cuts.push(v)
    }
  }
  return Float32Array.from(cuts)
}

/** The bin of every row of `rows` (in that order): 0 for missing, else 1 + the cuts at or below the value. */
export function binColumn(column: Float32Array, rows: Uint32Array, cuts: Float32Array): Uint8Array {
  const out = new Uint8Array(rows.length)
  for (let i = 0; i < rows.length; i++) out[i] = binOf(column[rows[i]!]!, cuts)
  return out
}

export function binOf(v: number, cuts: Float32Array): number {
  if (Number.isNaN(v)) return 0
  // The number of cuts ≤ v, by binary search.
  let lo = 0
  let hi = cuts.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (cuts[mid]! <= v) lo = mid + 1
    else hi = mid
  }
  return lo + 1
}
