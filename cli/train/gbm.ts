import { Random } from '../../local/traffic/random.ts'
import type { ModelBody } from '../../functions/core/models/model-file.ts'
import { binColumn, quantileCuts } from './binning.ts'

/**
 * Gradient-boosted trees for a binary target, second order as XGBoost (logistic loss; gain
 * G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ); leaf weight −G/(H+λ) × η), grown depth-wise on
 * histograms of binned features (`binning.ts`): per node and feature, gradient and hessian sums
 * per bin, the smaller child's built and the larger one's taken as parent minus smaller. Missing
 * values are tried on both sides of every split and sent where the gain is larger (to the heavier
 * child when the node saw none). Rows and features are subsampled per tree from a seeded RNG.
 *
 * Written here because no maintained JavaScript library trains boosted trees on a million rows
 * in bounded memory (see README, "Models"). Everything is sequential and seeded: the same rows,
 * parameters and seed give the same trees, bit for bit. Leaf values are float32 and margins are
 * summed in float32 from the float32 base margin, in tree order, as the core's predictor sums
 * them, so `margin` equals what the written model predicts for each training row.
 */
export interface TreeParams {
  trees: number
  learningRate: number
  maxDepth: number
  /** The least hessian sum a child may have (XGBoost's min_child_weight). */
  minChildWeight: number
  /** L2 on leaf weights (XGBoost's lambda). */
  lambda: number
  /** The least gain a split must bring (XGBoost's gamma). */
  gamma: number
  /** The share of rows each tree sees. */
  subsample: number
  /** The share of features each tree may split on. */
  colsample: number
  seed: number
}

/**
 * Tuned on the handbook's four validation weeks (bench/detection.ts; mean CP@100 over them), never
 * on its test week: depth 2 to 6 at 300 trees and η 0.05 give 0.307, 0.306, 0.305, 0.304, 0.303;
 * 500 trees, η 0.1, min_child_weight 5 or 10, λ 10, or no subsampling change it by 0.003 at most.
 * Depth 3 is within noise of the best and leaves room for richer data.
 */
export const defaultTreeParams: TreeParams = { trees: 300, learningRate: 0.05, maxDepth: 3, minChildWeight: 1, lambda: 1, gamma: 0, subsample: 0.8, colsample: 0.8, seed: 1 }

export type TreesModel = Extract<ModelBody['model'], { kind: 'trees' }>

export interface TrainedTrees {
  model: TreesModel
  /** The float32 margin the model gives each training row, as the written file would. */
  margin: Float32Array
}

interface Binned {
  n: number
  bins: Uint8Array[]
  cuts: Float32Array[]
  y: Uint8Array
}

/** Bins the given rows of the columns (cut points from those rows only) and boosts. */
export function trainTrees(columns: readonly Float32Array[], target: Uint8Array, rows: Uint32Array, params: TreeParams, onTree?: (done: number) => void): TrainedTrees {
  const cuts = columns.map((c) => quantileCuts(c, rows))
  const bins = columns.map((c, f) => binColumn(c, rows, cuts[f]!))
  const y = new Uint8Array(rows.length)
  for (let i = 0; i < rows.length; i++) y[i] = target[rows[i]!]!
  return boost({ n: rows.length, bins, cuts, y }, params, onTree)
}

const sigmoid = (m: number) => 1 / (1 + Math.exp(-m))

function boost(data: Binned, params: TreeParams, onTree?: (done: number) => void): TrainedTrees {
  const { n, bins, cuts, y } = data
  const featureCount = bins.length
  if (n === 0) throw new RangeError('no training rows')
  let positives = 0
  for (let i = 0; i < n; i++) positives += y[i]!
  // The log-odds of the base rate (clamped off 0 and 1), as XGBoost 2 estimates its base score.
  const rate = Math.min(Math.max(positives / n, 1e-6), 1 - 1e-6)
  const baseMargin = Math.fround(Math.log(rate / (1 - rate)))
  const margin = new Float32Array(n).fill(baseMargin)
  const grad = new Float64Array(n)
  const hess = new Float64Array(n)
  const rng = new Random(params.seed, 7)
  const index = new Uint32Array(n)
  const scratch = new Uint32Array(n)
  const trees: TreesModel['trees'] = []
  for (let t = 0; t < params.trees; t++) {
    for (let i = 0; i < n; i++) {
      const p = sigmoid(margin[i]!)
      grad[i] = p - y[i]!
      hess[i] = Math.max(p * (1 - p), 1e-16)
    }
    let m = 0
    for (let i = 0; i < n; i++) if (params.subsample >= 1 || rng.next() < params.subsample) index[m++] = i
    const features = sampleFeatures(featureCount, params.colsample, rng)
    const tree = growTree({ bins, cuts, grad, hess, index, scratch, rows: m, features, params })
    trees.push(tree.file)
    // Every training row (sampled or not) moves by its leaf, found through the bins.
    for (let i = 0; i < n; i++) margin[i] = Math.fround(margin[i]! + tree.leafValue(i))
    onTree?.(t + 1)
  }
  return { model: { kind: 'trees', baseMargin, trees }, margin }
}

function sampleFeatures(count: number, share: number, rng: Random): number[] {
  const all = Array.from({ length: count }, (_, f) => f)
  if (share >= 1) return all
  return rng.sample(all, Math.max(1, Math.round(share * count))).sort((a, b) => a - b)
}

interface GrowInput {
  bins: Uint8Array[]
  cuts: Float32Array[]
  grad: Float64Array
  hess: Float64Array
  /** Rows of this tree in [0, rows); partitioned in place per node. */
  index: Uint32Array
  scratch: Uint32Array
  rows: number
  features: number[]
  params: TreeParams
}

interface Split {
  gain: number
  feature: number
  /** Bins 1…bin go left (value < cuts[bin − 1]). */
  bin: number
  missingLeft: boolean
}

const binCount = 256

function growTree(input: GrowInput): { file: TreesModel['trees'][number]; leafValue: (row: number) => number } {
  const { bins, cuts, grad, hess, index, scratch, features, params } = input
  const left: number[] = []
  const right: number[] = []
  const feature: number[] = []
  const value: number[] = []
  const defaultLeft: Array<0 | 1> = []
  const cover: number[] = []
  const splitBin: number[] = []
  const newNode = () => {
    left.push(-1)
    right.push(-1)
    feature.push(0)
    value.push(0)
    defaultLeft.push(0)
    cover.push(0)
    splitBin.push(0)
    return left.length - 1
  }
  const histogram = (start: number, end: number): Float64Array => {
    // Per feature slot, per bin: gradient sum then hessian sum.
    const h = new Float64Array(features.length * binCount * 2)
    for (let s = 0; s < features.length; s++) {
      const column = bins[features[s]!]!
      const base = s * binCount * 2
      for (let k = start; k < end; k++) {
        const i = index[k]!
        const at = base + column[i]! * 2
        h[at] = h[at]! + grad[i]!
        h[at + 1] = h[at + 1]! + hess[i]!
      }
    }
    return h
  }
  const score = (g: number, h: number) => (g * g) / (h + params.lambda)
  const bestSplit = (h: Float64Array, G: number, H: number): Split | undefined => {
    const parent = score(G, H)
    let best: Split | undefined
    for (let s = 0; s < features.length; s++) {
      const f = features[s]!
      const base = s * binCount * 2
      const gMissing = h[base]!
      const hMissing = h[base + 1]!
      let gl = 0
      let hl = 0
      // Split after bin b, b = 1 … m: bins 1…b left (value < c_b), bins b + 1 … m + 1 right.
      for (let b = 1; b <= cuts[f]!.length; b++) {
        gl += h[base + b * 2]!
        hl += h[base + b * 2 + 1]!
        const hR0 = H - hl - hMissing
        if (hMissing === 0) {
          // No missing value here: one split, the missing direction (for serving) the heavier side.
          if (hl >= params.minChildWeight && hR0 >= params.minChildWeight) {
            const gain = score(gl, hl) + score(G - gl, H - hl) - parent
            if (gain > params.gamma && gain > (best?.gain ?? 0)) best = { gain, feature: f, bin: b, missingLeft: hl >= hR0 }
          }
          continue
        }
        // Missing values to the right, then to the left.
        if (hl >= params.minChildWeight && H - hl >= params.minChildWeight) {
          const gain = score(gl, hl) + score(G - gl, H - hl) - parent
          if (gain > params.gamma && gain > (best?.gain ?? 0)) best = { gain, feature: f, bin: b, missingLeft: false }
        }
        if (hl + hMissing >= params.minChildWeight && hR0 >= params.minChildWeight) {
          const gain = score(gl + gMissing, hl + hMissing) + score(G - gl - gMissing, hR0) - parent
          if (gain > params.gamma && gain > (best?.gain ?? 0)) best = { gain, feature: f, bin: b, missingLeft: true }
        }
      }
    }
    return best
  }
  const leaf = (node: number, G: number, H: number) => {
    value[node] = Math.fround((-G / (H + params.lambda)) * params.learningRate)
    cover[node] = Math.fround(H)
  }
  const grow = (node: number, start: number, end: number, depth: number, h: Float64Array, G: number, H: number) => {
    const split = depth < params.maxDepth ? bestSplit(h, G, H) : undefined
    if (split === undefined) return leaf(node, G, H)
    const column = bins[split.feature]!
    // Stable partition: left rows first, in their order.
    let l = start
    let r = 0
    for (let k = start; k < end; k++) {
      const i = index[k]!
      const bin = column[i]!
      if (bin === 0 ? split.missingLeft : bin <= split.bin) index[l++] = i
      else scratch[r++] = i
    }
    index.set(scratch.subarray(0, r), l)
    const leftNode = newNode()
    const rightNode = newNode()
    left[node] = leftNode
    right[node] = rightNode
    feature[node] = split.feature
    value[node] = cuts[split.feature]![split.bin - 1]!
    defaultLeft[node] = split.missingLeft ? 1 : 0
    cover[node] = Math.fround(H)
    splitBin[node] = split.bin
    // The smaller child's histogram is built, the larger's is the parent's minus it.
    const leftSmaller = l - start <= end - l
    const small = leftSmaller ? histogram(start, l) : histogram(l, end)
    const large = h
    for (let j = 0; j < large.length; j++) large[j] = large[j]! - small[j]!
    const [hLeft, hRight] = leftSmaller ? [small, large] : [large, small]
    const totals = (hist: Float64Array) => {
      // Any feature slot's bins sum to the node's totals; the first slot is read.
      let g = 0
      let hh = 0
      for (let b = 0; b < binCount; b++) {
        g += hist[b * 2]!
        hh += hist[b * 2 + 1]!
      }
      return [g, hh] as const
    }
    const [gLeft, hLeftSum] = totals(hLeft)
    grow(leftNode, start, l, depth + 1, hLeft, gLeft, hLeftSum)
    grow(rightNode, l, end, depth + 1, hRight, G - gLeft, H - hLeftSum)
  }
  const root = newNode()
  const h = histogram(0, input.rows)
  let G = 0
  let H = 0
  for (let k = 0; k < input.rows; k++) {
    G += grad[index[k]!]!
    H += hess[index[k]!]!
  }
  grow(root, 0, input.rows, 0, h, G, H)
  const leafValue = (row: number) => {
    let node = 0
    while (left[node] !== -1) {
      const bin = bins[feature[node]!]![row]!
      node = (bin === 0 ? defaultLeft[node] === 1 : bin <= splitBin[node]!) ? left[node]! : right[node]!
    }
    return value[node]!
  }
  return { file: { left, right, feature, value, defaultLeft, cover }, leafValue }
}
