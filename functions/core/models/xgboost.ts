import * as z from 'zod'
import { fromZodError } from '../issues.ts'
import { err, ok, type Issue, type Result } from '../result.ts'
import { nodeMeans, type FlatTree, type TreeEnsemble } from './tree-ensemble.ts'

/**
 * XGBoost's JSON model (`booster.save_model("m.json")`, format of XGBoost 1.x and 2.x), as far as
 * a binary logistic gradient-boosted tree model needs: the trees' node arrays, the base score and
 * the objective. Anything else (multi-class, categorical splits, DART, linear boosters) is refused
 * with the path of what is not supported, never guessed.
 */
const numbers = z.array(z.number())
const ints = z.array(z.int())
const treeSchema = z.object({
  left_children: ints,
  right_children: ints,
  split_indices: ints,
  split_conditions: numbers,
  default_left: z.array(z.union([z.literal(0), z.literal(1), z.boolean()])),
  sum_hessian: numbers,
  split_type: ints.optional(),
})
const xgboostModelSchema = z.object({
  learner: z.object({
    learner_model_param: z.object({
      base_score: z.string().or(z.number()),
      num_class: z.string().or(z.number()).optional(),
      num_feature: z.string().or(z.number()),
    }),
    objective: z.object({ name: z.literal('binary:logistic', { message: 'must be binary:logistic (a probability of fraud)' }) }),
    gradient_booster: z.object({
      name: z.literal('gbtree', { message: 'must be gbtree (DART and linear boosters are not supported)' }),
      model: z.object({ trees: z.array(treeSchema).min(1) }),
    }),
  }),
})

export type XgboostError = { code: 'invalid_model'; issues: Issue[] }

/** An XGBoost JSON model as a tree ensemble reading `featureCount` features by index. */
export function importXgboost(json: unknown): Result<TreeEnsemble, XgboostError> {
  const parsed = xgboostModelSchema.safeParse(json)
  if (!parsed.success) return err({ code: 'invalid_model', issues: fromZodError(parsed.error) })
  const { learner_model_param: params, gradient_booster: booster } = parsed.data.learner
  if (Number(params.num_class ?? 0) > 1) return err({ code: 'invalid_model', issues: [{ path: 'learner.learner_model_param.num_class', message: 'must be 0 or 1: multi-class models are not supported' }] })
  const featureCount = Number(params.num_feature)
  const trees: FlatTree[] = []
  const issues: Issue[] = []
  booster.model.trees.forEach((t, i) => {
    const n = t.left_children.length
    const at = `learner.gradient_booster.model.trees[${i}]`
    const arrays = [t.right_children, t.split_indices, t.split_conditions, t.default_left, t.sum_hessian]
    if (arrays.some((a) => a.length !== n)) return issues.push({ path: at, message: 'must have node arrays of one length' })
    if (t.split_type?.some((s) => s !== 0)) return issues.push({ path: `${at}.split_type`, message: 'must be numerical splits: categorical splits are not supported' })
    const badChild = t.left_children.findIndex((l, node) => l !== -1 && (l <= node || l >= n || t.right_children[node]! <= node || t.right_children[node]! >= n))
    if (badChild >= 0) return issues.push({ path: `${at}.left_children[${badChild}]`, message: 'must point to a later node (a tree, not a graph)' })
    const badFeature = t.split_indices.findIndex((f, node) => t.left_children[node] !== -1 && (f < 0 || f >= featureCount))
    if (badFeature >= 0) return issues.push({ path: `${at}.split_indices[${badFeature}]`, message: `must be a feature index below ${featureCount}` })
    const left = Int32Array.from(t.left_children)
    const right = Int32Array.from(t.right_children)
    const value = Float32Array.from(t.split_conditions)
    const cover = Float32Array.from(t.sum_hessian)
    trees.push({ left, right, feature: Int32Array.from(t.split_indices), value, defaultLeft: Uint8Array.from(t.default_left, (d) => (d ? 1 : 0)), cover, mean: nodeMeans(left, right, value, cover) })
  })
  if (issues.length > 0) return err({ code: 'invalid_model', issues })
  const baseScore = Number(params.base_score)
  if (!(baseScore > 0 && baseScore < 1)) return err({ code: 'invalid_model', issues: [{ path: 'learner.learner_model_param.base_score', message: 'must be a probability strictly between 0 and 1' }] })
  // binary:logistic keeps its base score as a probability; the trees add to its log-odds.
  return ok({ trees, baseMargin: Math.log(baseScore / (1 - baseScore)), featureCount })
}
