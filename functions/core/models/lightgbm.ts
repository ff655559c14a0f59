import * as z from 'zod'
import { fromZodError } from '../issues.ts'
import { err, ok, type Issue, type Result } from '../result.ts'
import { nodeMeans, type FlatTree, type TreeEnsemble } from './tree-ensemble.ts'

/**
 * LightGBM's JSON model (`booster.dump_model()`, written by `GBDT::DumpModel` and `Tree::ToJSON`),
 * as far as a binary classifier needs: the header (`objective` "binary sigmoid:K",
 * `max_feature_idx`, `average_output`) and, per tree, `tree_structure`: split nodes
 * {split_feature, threshold, decision_type "<=", default_left, missing_type, internal_count,
 * internal_weight, left_child, right_child} down to leaves {leaf_value, leaf_count, leaf_weight}.
 * Thresholds and leaf values are doubles written with 17 significant digits, so they round-trip.
 *
 * The trees are scored in LightGBM's own arithmetic (`arithmetic: 'lightgbm'`, see
 * tree-ensemble.ts). Two things of the header are folded into the leaf values, so the ensemble's
 * margin is the one the sigmoid takes: the sigmoid parameter K of `p = 1/(1+exp(-K·margin))`
 * (leaves × K) and, for random forests (`average_output`), the mean over trees (leaves ÷ trees).
 * LightGBM has no base score: boosting from the average puts it in the first tree's leaves.
 *
 * Refused, with the path of what is not supported: other objectives (multi-class, regression,
 * cross-entropy), categorical splits, linear trees, a dump without its objective.
 */
const headerSchema = z.object({
  num_class: z.literal(1, { message: 'must be 1: multi-class models are not supported' }).optional(),
  num_tree_per_iteration: z.literal(1, { message: 'must be 1: one tree per iteration (binary)' }).optional(),
  max_feature_idx: z.int().nonnegative(),
  objective: z.string({ message: 'must name the objective, "binary sigmoid:1" (LightGBM writes it since 2.2; an older dump lacks it)' }),
  average_output: z.boolean().optional(),
  tree_info: z.array(z.object({ num_cat: z.int().optional(), tree_structure: z.record(z.string(), z.unknown()) })).min(1),
})
const splitSchema = z.object({
  split_feature: z.int().nonnegative(),
  threshold: z.number(),
  decision_type: z.literal('<=', { message: 'must be "<=" (a numerical split)' }),
  default_left: z.boolean(),
  missing_type: z.enum(['None', 'Zero', 'NaN']),
  internal_count: z.number().nonnegative().optional(),
  internal_weight: z.number().optional(),
  left_child: z.record(z.string(), z.unknown()),
  right_child: z.record(z.string(), z.unknown()),
})
const leafSchema = z.object({ leaf_value: z.number(), leaf_count: z.number().nonnegative().optional(), leaf_weight: z.number().optional() })
const missingTypes = { None: 0, Zero: 1, NaN: 2 } as const

export type LightgbmError = { code: 'invalid_model'; issues: Issue[] }

export interface LightgbmModel {
  ensemble: TreeEnsemble
  /** K of the objective's sigmoid. */
  sigmoid: number
  /** What the leaf values were multiplied by: K, over the tree count for a random forest. */
  leafScale: number
  /** The dump's `version` ("v4"), the model format's, not LightGBM's release. */
  version: string | undefined
}

/** A LightGBM `dump_model()` JSON as a tree ensemble reading `max_feature_idx + 1` features by index. */
export function importLightgbm(json: unknown): Result<LightgbmModel, LightgbmError> {
  const parsed = headerSchema.safeParse(json)
  if (!parsed.success) return err({ code: 'invalid_model', issues: fromZodError(parsed.error) })
  const header = parsed.data
  const objective = parseObjective(header.objective)
  if (!objective.ok) return err({ code: 'invalid_model', issues: [objective.error] })
  const featureCount = header.max_feature_idx + 1
  const leafScale = objective.value / (header.average_output ? header.tree_info.length : 1)
  const issues: Issue[] = []
  const trees: FlatTree[] = []
  header.tree_info.forEach((info, i) => {
    const at = `tree_info[${i}]`
    if ((info.num_cat ?? 0) > 0) return issues.push({ path: `${at}.num_cat`, message: 'must be 0: categorical splits are not supported' })
    const tree = flatten(info.tree_structure, `${at}.tree_structure`, featureCount, leafScale, issues)
    if (tree) trees.push(tree)
  })
  if (issues.length > 0) return err({ code: 'invalid_model', issues })
  const version = (json as { version?: unknown }).version
  return ok({
    ensemble: { trees, baseMargin: 0, featureCount, arithmetic: 'lightgbm' },
    sigmoid: objective.value,
    leafScale,
    version: typeof version === 'string' ? version : undefined,
  })
}

/** "binary sigmoid:K" → K; anything but binary is refused. */
function parseObjective(objective: string): Result<number, Issue> {
  const [name, ...params] = objective.trim().split(/\s+/)
  if (name !== 'binary') return err({ path: 'objective', message: `must be binary (a probability of fraud); ${JSON.stringify(name)} is not supported` })
  const sigmoid = params.find((p) => p.startsWith('sigmoid:'))
  const k = sigmoid === undefined ? 1 : Number(sigmoid.slice('sigmoid:'.length))
  if (!(Number.isFinite(k) && k > 0)) return err({ path: 'objective', message: 'must have a positive sigmoid:K' })
  return ok(k)
}

interface Pending {
  node: Record<string, unknown>
  path: string
  parent: number
  side: 'left' | 'right'
}

/**
 * A recursive `tree_structure` as flat arrays, parents before children (depth-first, with an
 * explicit stack: a leaf-wise tree can be deep). Cover is the hessian sum (`internal_weight`,
 * `leaf_weight`) as in XGBoost when every node has a positive one, else the example count.
 */
function flatten(root: Record<string, unknown>, path: string, featureCount: number, leafScale: number, issues: Issue[]): FlatTree | undefined {
  const left: number[] = []
  const right: number[] = []
  const feature: number[] = []
  const value: number[] = []
  const defaultLeft: number[] = []
  const missingType: number[] = []
  const weight: Array<number | undefined> = []
  const count: Array<number | undefined> = []
  const stack: Pending[] = [{ node: root, path, parent: -1, side: 'left' }]
  while (stack.length > 0) {
    const { node, path: at, parent, side } = stack.pop()!
    const index = left.length
    if (parent >= 0) (side === 'left' ? left : right)[parent] = index
    if ('leaf_value' in node) {
      if ('leaf_coeff' in node || 'leaf_features' in node) {
        issues.push({ path: at, message: 'must be a constant leaf: linear trees are not supported' })
        return undefined
      }
      const leaf = leafSchema.safeParse(node)
      if (!leaf.success) {
        issues.push(...prefixed(leaf.error, at))
        return undefined
      }
      left.push(-1)
      right.push(-1)
      feature.push(0)
      value.push(leaf.data.leaf_value * leafScale)
      defaultLeft.push(0)
      missingType.push(0)
      weight.push(leaf.data.leaf_weight)
      count.push(leaf.data.leaf_count)
      continue
    }
    if (node.decision_type === '==') {
      issues.push({ path: `${at}.decision_type`, message: 'must be "<=": categorical splits are not supported' })
      return undefined
    }
    const split = splitSchema.safeParse(node)
    if (!split.success) {
      issues.push(...prefixed(split.error, at))
      return undefined
    }
    const s = split.data
    if (s.split_feature >= featureCount) {
      issues.push({ path: `${at}.split_feature`, message: `must be a feature index below ${featureCount} (max_feature_idx + 1)` })
      return undefined
    }
    left.push(0)
    right.push(0)
    feature.push(s.split_feature)
    value.push(s.threshold)
    defaultLeft.push(s.default_left ? 1 : 0)
    missingType.push(missingTypes[s.missing_type])
    weight.push(s.internal_weight)
    count.push(s.internal_count)
    stack.push({ node: s.right_child, path: `${at}.right_child`, parent: index, side: 'right' }, { node: s.left_child, path: `${at}.left_child`, parent: index, side: 'left' })
  }
  const positive = (xs: Array<number | undefined>) => xs.every((x) => x !== undefined && x > 0)
  // A one-leaf tree (`{"leaf_value": v}`) records neither: its mean is its value whatever its cover.
  const cover = Float32Array.from(positive(weight) ? (weight as number[]) : positive(count) ? (count as number[]) : left.length === 1 ? [1] : [])
  if (cover.length !== left.length) {
    issues.push({ path, message: 'must record internal_count and leaf_count on every node (for the contributions)' })
    return undefined
  }
  const l = Int32Array.from(left)
  const r = Int32Array.from(right)
  const v = Float64Array.from(value)
  return { left: l, right: r, feature: Int32Array.from(feature), value: v, defaultLeft: Uint8Array.from(defaultLeft), missingType: Uint8Array.from(missingType), cover, mean: nodeMeans(l, r, v, cover) }
}

const prefixed = (error: z.ZodError, at: string): Issue[] => fromZodError(error).map((issue) => ({ path: issue.path === '' ? at : `${at}.${issue.path}`, message: issue.message }))
