/**
 * A gradient-boosted tree ensemble in the pure core: flat arrays per tree, walked without
 * allocation. Arithmetic follows the predictor of the library that trained it, so a prediction
 * equals the reference's to the last bit:
 * - XGBoost works in 32-bit floats: feature values and thresholds are compared as float32
 *   (`x < t`), leaf values summed in float32 from the base margin (then the sigmoid, in double,
 *   differs from XGBoost's by less than 1e-7).
 * - LightGBM works in doubles: `x <= t` with its per-split missing types, leaf values summed in
 *   double. A float32 threshold cannot express `<=` on doubles (LightGBM's thresholds sit midway
 *   between two training values, in double), hence the second arithmetic.
 * The scorer walks these trees packed (packed-ensemble.ts: one pass for margin and contributions,
 * bit-identical); `predictMargin` and `pathContributions` here are the plain walks, for import
 * parity, training and an ensemble the packed walk declines.
 */

export interface FlatTree {
  /** Per node: the left child, -1 for a leaf. */
  readonly left: Int32Array
  readonly right: Int32Array
  /** Per split node: the index of the feature it reads. */
  readonly feature: Int32Array
  /**
   * Per split node its threshold, per leaf its value: float32 for XGBoost (go left when
   * value < threshold), float64 for LightGBM (go left when value <= threshold).
   */
  readonly value: Float32Array | Float64Array
  /** Per split node: where a missing value goes. */
  readonly defaultLeft: Uint8Array
  /**
   * LightGBM only, per split node its missing type, as LightGBM's `Tree::NumericalDecision` reads
   * it: 0 None (a missing value is read as 0), 1 Zero (0 and missing take the default direction),
   * 2 NaN (missing takes the default direction; 0 is compared as any number).
   */
  readonly missingType?: Uint8Array
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
  /** Whose arithmetic the trees follow (above); XGBoost's when absent. */
  readonly arithmetic?: 'xgboost' | 'lightgbm'
}

/** A feature value; undefined or NaN is missing and takes the split's default direction. */
export type FeatureVector = ArrayLike<number | undefined>

/** XGBoost's step from a split node: float32 `x < t`, missing to the default direction. */
function xgboostChild(tree: FlatTree, node: number, v: number | undefined): number {
  const missing = v === undefined || Number.isNaN(v)
  return missing ? (tree.defaultLeft[node] ? tree.left[node]! : tree.right[node]!) : Math.fround(v) < tree.value[node]! ? tree.left[node]! : tree.right[node]!
}

/** LightGBM's `kZeroThreshold` (1e-35f, widened to double): `IsZero(x)` is |x| <= it. */
export const LIGHTGBM_ZERO = Math.fround(1e-35)

/** LightGBM's step from a split node (`Tree::NumericalDecision`): double `x <= t`, by missing type. */
function lightgbmChild(tree: FlatTree, node: number, v: number | undefined): number {
  const type = tree.missingType![node]!
  let x = v === undefined ? Number.NaN : v
  if (Number.isNaN(x) && type !== 2) x = 0
  if ((type === 1 && x >= -LIGHTGBM_ZERO && x <= LIGHTGBM_ZERO) || (type === 2 && Number.isNaN(x))) return tree.defaultLeft[node] ? tree.left[node]! : tree.right[node]!
  return x <= tree.value[node]! ? tree.left[node]! : tree.right[node]!
}

function leafOf(tree: FlatTree, x: FeatureVector): number {
  let node = 0
  while (tree.left[node]! !== -1) node = xgboostChild(tree, node, x[tree.feature[node]!])
  return node
}

/** The raw score (log-odds for a logistic objective). */
export function predictMargin(model: TreeEnsemble, x: FeatureVector): number {
  if (model.arithmetic === 'lightgbm') {
    let margin = model.baseMargin
    for (const tree of model.trees) {
      let node = 0
      while (tree.left[node]! !== -1) node = lightgbmChild(tree, node, x[tree.feature[node]!])
      margin += tree.value[node]!
    }
    return margin
  }
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
  const child = model.arithmetic === 'lightgbm' ? lightgbmChild : xgboostChild
  for (const tree of model.trees) {
    let node = 0
    bias += tree.mean[0]!
    while (tree.left[node]! !== -1) {
      const next = child(tree, node, x[tree.feature[node]!])
      out[tree.feature[node]!]! += tree.mean[next]! - tree.mean[node]!
      node = next
    }
  }
  out[model.featureCount] = bias
  return out
}

/** The cover-weighted mean of the leaves under each node, children before parents. */
export function nodeMeans(left: Int32Array, right: Int32Array, value: ArrayLike<number>, cover: ArrayLike<number>): Float64Array {
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
