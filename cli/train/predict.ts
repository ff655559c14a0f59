import type { ModelBody } from '../../functions/core/models/model-file.ts'
import { nodeMeans, predictMargin, sigmoid, type TreeEnsemble } from '../../functions/core/models/tree-ensemble.ts'
import type { FeatureRows } from './rows.ts'

/**
 * The probabilities a model body gives rows, without the explanations the scorer adds: the core's
 * own tree predictor (`predictMargin`, float32 as XGBoost) and, for a logistic model, the model
 * file's sum in its order (weight × value per feature, missing contributing 0, then the
 * intercept). What the compiled file scores, number for number, only faster.
 */
export function predictRows(model: ModelBody['model'], rows: FeatureRows, subset: Uint32Array): Float64Array {
  const out = new Float64Array(subset.length)
  const x = new Array<number | undefined>(rows.names.length)
  if (model.kind === 'trees') {
    const ensemble: TreeEnsemble = {
      baseMargin: model.baseMargin,
      featureCount: rows.names.length,
      trees: model.trees.map((t) => {
        const left = Int32Array.from(t.left)
        const right = Int32Array.from(t.right)
        const value = Float32Array.from(t.value)
        const cover = Float32Array.from(t.cover)
        return { left, right, feature: Int32Array.from(t.feature), value, defaultLeft: Uint8Array.from(t.defaultLeft), cover, mean: nodeMeans(left, right, value, cover) }
      }),
    }
    for (let k = 0; k < subset.length; k++) out[k] = sigmoid(predictMargin(ensemble, rows.row(subset[k]!, x)))
    return out
  }
  for (let k = 0; k < subset.length; k++) {
    rows.row(subset[k]!, x)
    let sum = 0
    for (let f = 0; f < x.length; f++) sum += x[f] === undefined ? 0 : model.weights[f]! * x[f]!
    out[k] = sigmoid(model.intercept + sum)
  }
  return out
}
