/**
 * A gradient-boosted tree ensemble in the pure core: flat arrays per tree, walked without
 * allocation. Arithmetic follows XGBoost's own predictor, which works in 32-bit floats: feature
 * values and thresholds are compared as float32, leaf values summed in float32 from the base
 * margin, so a prediction equals the reference's to the last float32 bit (then the sigmoid, in
 * double, differs by less than 1e-7).
 */

export interface FlatTree {
  /** Per node: the left child, -1 for a leaf. */
  readonly left: Int32Array
  readonly right: Int32Array
  /** Per split node: the index of the feature it reads. */
  readonly feature: Int32Array
  /** Per split node its threshold (go left when value < threshold); per leaf its value. */
  readonly value: Float32Array
  /** Per split node: where a missing value goes. */
  readonly defaultLeft: Uint8Array
  /** Per node: the training examples' weight (hessian sum) through it. */
  readonly cover: Float32Array
  /** Per node: the mean of the leaves below it, weighted by their cover (for contributions). */
  readonly mean: Float64Array
}

export interface TreeEnsemble {
  readonly trees: readonly FlatTree[]
  /** The margin every prediction starts from (logit of the base score for a logistic objective). */
  readonly baseMargin: number
  readonly featureCount: number
}

/** A feature value; undefined or NaN is missing and takes the split's default direction. */
export type FeatureVector = ArrayLike<number | undefined>

function leafOf(tree: FlatTree, x: FeatureVector): number {
  let node = 0
  while (tree.left[node]! !== -1) {
    const v = x[tree.feature[node]!]
    const missing = v === undefined || Number.isNaN(v)
    node = missing ? (tree.defaultLeft[node] ? tree.left[node]! : tree.right[node]!) : Math.fround(v) < tree.value[node]! ? tree.left[node]! : tree.right[node]!
  }
  return node
}

/** The raw score (log-odds for a logistic objective). */
export function predictMargin(model: TreeEnsemble, x: FeatureVector): number {
  let margin = Math.fround(model.baseMargin)
  for (const tree of model.trees) margin = Math.fround(margin + tree.value[leafOf(tree, x)]!)
  return margin
}

export const sigmoid = (margin: number): number => 1 / (1 + Math.exp(-margin))

/**
 * Per-feature contributions to the margin along each tree's path (Saabas; XGBoost's
 * `approx_contribs`): at every split, the change in the cover-weighted mean of the leaves below.
 * `out` gets one entry per feature and, last, the bias (base margin plus the trees' root means);
 * they sum to the margin.
 */
export function pathContributions(model: TreeEnsemble, x: FeatureVector, out: Float64Array = new Float64Array(model.featureCount + 1)): Float64Array {
  out.fill(0)
  let bias = model.baseMargin
  for (const tree of model.trees) {
    let node = 0
    bias += tree.mean[0]!
    while (tree.left[node]! !== -1) {
      const v = x[tree.feature[node]!]
      const missing = v === undefined || Number.isNaN(v)
      const next = missing ? (tree.defaultLeft[node] ? tree.left[node]! : tree.right[node]!) : Math.fround(v) < tree.value[node]! ? tree.left[node]! : tree.right[node]!
      out[tree.feature[node]!]! += tree.mean[next]! - tree.mean[node]!
      node = next
    }
  }
  out[model.featureCount] = bias
  return out
}

/** The cover-weighted mean of the leaves under each node, children before parents. */
export function nodeMeans(left: Int32Array, right: Int32Array, value: Float32Array, cover: Float32Array): Float64Array {
  const mean = new Float64Array(left.length)
  const fill = (node: number): number => {
    if (left[node] === -1) return (mean[node] = value[node]!)
    const l = left[node]!
    const r = right[node]!
    return (mean[node] = (fill(l) * cover[l]! + fill(r) * cover[r]!) / cover[node]!)
  }
  fill(0)
  return mean
}
