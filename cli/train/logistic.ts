import type { ModelBody } from '../../functions/core/models/model-file.ts'

/**
 * L2-regularized logistic regression by Newton's method (iteratively reweighted least squares):
 * with 15 or so features the Hessian is a small matrix, so each pass over the rows is exact,
 * deterministic and converges in a handful of iterations, with no learning rate to tune.
 *
 * Features are standardized (mean and standard deviation over the training rows) for the fit, and
 * the standardization is folded back into the weights and intercept, so the model file's
 * intercept + Σ weight × raw value is the fitted model. A missing value is 0 in the fit, because
 * the model file scores a missing value as contributing nothing (weight × 0).
 */
export interface LogisticParams {
  /** L2 penalty on the standardized weights (not the intercept). */
  l2: number
  maxIterations: number
}

export const defaultLogisticParams: LogisticParams = { l2: 1, maxIterations: 50 }

export type LogisticModel = Extract<ModelBody['model'], { kind: 'logistic' }>

export function trainLogistic(columns: readonly Float32Array[], target: Uint8Array, rows: Uint32Array, params: LogisticParams): LogisticModel {
  const d = columns.length
  const n = rows.length
  if (n === 0) throw new RangeError('no training rows')
  const raw = (f: number, i: number) => {
    const v = columns[f]![rows[i]!]!
    return Number.isNaN(v) ? 0 : v
  }
  const mean = new Float64Array(d)
  const sd = new Float64Array(d)
  for (let f = 0; f < d; f++) {
    let s = 0
    for (let i = 0; i < n; i++) s += raw(f, i)
    mean[f] = s / n
    let ss = 0
    for (let i = 0; i < n; i++) ss += (raw(f, i) - mean[f]!) ** 2
    sd[f] = Math.sqrt(ss / n)
  }
  // Standardized design, intercept last; a constant feature stays at 0 (its weight too).
  const x = new Float64Array(d + 1)
  const row = (i: number) => {
    for (let f = 0; f < d; f++) x[f] = sd[f]! > 0 ? (raw(f, i) - mean[f]!) / sd[f]! : 0
    x[d] = 1
    return x
  }
  const k = d + 1
  let w = new Float64Array(k)
  let positives = 0
  for (let i = 0; i < n; i++) positives += target[rows[i]!]!
  const rate = Math.min(Math.max(positives / n, 1e-6), 1 - 1e-6)
  w[d] = Math.log(rate / (1 - rate))
  const loss = (weights: Float64Array) => {
    let sum = 0
    for (let i = 0; i < n; i++) {
      const xi = row(i)
      let m = 0
      for (let j = 0; j < k; j++) m += weights[j]! * xi[j]!
      // log(1 + e^m) − y·m, computed without overflow.
      sum += (m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m))) - target[rows[i]!]! * m
    }
    for (let j = 0; j < d; j++) sum += (params.l2 / 2) * weights[j]! ** 2
    return sum
  }
  for (let iteration = 0; iteration < params.maxIterations; iteration++) {
    const gradient = new Float64Array(k)
    const hessian = new Float64Array(k * k)
    for (let i = 0; i < n; i++) {
      const xi = row(i)
      let m = 0
      for (let j = 0; j < k; j++) m += w[j]! * xi[j]!
      const p = 1 / (1 + Math.exp(-m))
      const r = p - target[rows[i]!]!
      const h = Math.max(p * (1 - p), 1e-12)
      for (let a = 0; a < k; a++) {
        gradient[a] = gradient[a]! + r * xi[a]!
        for (let b = 0; b <= a; b++) hessian[a * k + b] = hessian[a * k + b]! + h * xi[a]! * xi[b]!
      }
    }
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < a; b++) hessian[b * k + a] = hessian[a * k + b]!
      if (a < d) {
        gradient[a] = gradient[a]! + params.l2 * w[a]!
        hessian[a * k + a] = hessian[a * k + a]! + params.l2
      }
      // A constant feature has no curvature: hold its weight at 0.
      if (hessian[a * k + a] === 0) hessian[a * k + a] = 1
    }
    const step = solve(hessian, gradient, k)
    // Damped: the full Newton step, halved until the penalized loss falls (heavy-tailed inputs overshoot).
    const current = loss(w)
    let t = 1
    let next = w.map((v, j) => v - step[j]!)
    for (let halvings = 0; halvings < 40 && !(loss(next) <= current); halvings++) {
      t /= 2
      next = w.map((v, j) => v - t * step[j]!)
    }
    const moved = step.reduce((s, v) => Math.max(s, Math.abs(t * v)), 0)
    w = next
    if (moved < 1e-9) break
  }
  const weights = Array.from({ length: d }, (_, f) => (sd[f]! > 0 ? w[f]! / sd[f]! : 0))
  let intercept = w[d]!
  for (let f = 0; f < d; f++) intercept -= weights[f]! * mean[f]!
  return { kind: 'logistic', intercept, weights }
}

/** Solves A x = b for a symmetric positive definite A (Cholesky). */
function solve(a: Float64Array, b: Float64Array, k: number): Float64Array {
  const l = new Float64Array(k * k)
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * k + j]!
      for (let p = 0; p < j; p++) s -= l[i * k + p]! * l[j * k + p]!
      l[i * k + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / l[j * k + j]!
    }
  }
  const z = new Float64Array(k)
  for (let i = 0; i < k; i++) {
    let s = b[i]!
    for (let p = 0; p < i; p++) s -= l[i * k + p]! * z[p]!
    z[i] = s / l[i * k + i]!
  }
  const x = new Float64Array(k)
  for (let i = k - 1; i >= 0; i--) {
    let s = z[i]!
    for (let p = i + 1; p < k; p++) s -= l[p * k + i]! * x[p]!
    x[i] = s / l[i * k + i]!
  }
  return x
}
