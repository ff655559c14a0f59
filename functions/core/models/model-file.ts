import { createHash } from 'node:crypto'
import * as z from 'zod'
import { fromZodError } from '../issues.ts'
import { err, ok, type Issue, type Result } from '../result.ts'
import { packEnsemble, walkPacked } from './packed-ensemble.ts'
import { nodeMeans, pathContributions, predictMargin, sigmoid, type FlatTree, type TreeEnsemble } from './tree-ensemble.ts'

/**
 * Vigil's model file: what a rule set will name and the scorer load. It records the kind, the
 * features it reads in Vigil's vocabulary (feature names of the rule set), the model itself, where
 * it came from, and a SHA-256 checksum of all that, so a file edited by hand or truncated in
 * transit is refused rather than scored.
 */
const featureName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be a feature name of the rule set (snake_case)')
const treeSchema = z.strictObject({
  left: z.array(z.int().min(-1)),
  right: z.array(z.int().min(-1)),
  feature: z.array(z.int().nonnegative()),
  value: z.array(z.number()),
  defaultLeft: z.array(z.union([z.literal(0), z.literal(1)])),
  cover: z.array(z.number().nonnegative()),
  missingType: z.array(z.union([z.literal(0), z.literal(1), z.literal(2)])).optional().describe("LightGBM's per split: 0 None, 1 Zero, 2 NaN"),
})
const bodySchema = z.strictObject({
  format: z.literal('vigil-model'),
  formatVersion: z.literal(1),
  name: featureName.describe('What rules call it: models.<name>'),
  version: z.int().positive().describe('A rule set pins it by name and version; an uploaded version never changes'),
  features: z.array(featureName).min(1).max(256),
  source: z.string().max(200).describe('Where it came from: "xgboost 1.7.4 JSON", "vigil train", …'),
  training: z.strictObject({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) }).optional(),
  metrics: z.record(z.string(), z.number()).optional(),
  model: z.discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('trees'),
      arithmetic: z.literal('lightgbm').optional().describe("LightGBM's double `x <= t` and missing types; XGBoost's float32 `x < t` when absent"),
      baseMargin: z.number(),
      trees: z.array(treeSchema).min(1).max(5_000),
    }),
    z.strictObject({ kind: z.literal('logistic'), intercept: z.number(), weights: z.array(z.number()) }),
  ]),
})
export const modelFileSchema = bodySchema.extend({ checksum: z.string().regex(/^sha256:[0-9a-f]{64}$/) })
export type ModelBody = z.infer<typeof bodySchema>
export type ModelFile = z.infer<typeof modelFileSchema>

/** The checksum of a body: SHA-256 of its JSON with keys as written here (the file's own order). */
export const checksumOf = (body: ModelBody): string => `sha256:${createHash('sha256').update(JSON.stringify(body)).digest('hex')}`

export const withChecksum = (body: ModelBody): ModelFile => ({ ...body, checksum: checksumOf(body) })

/** A tree ensemble as the file keeps it. */
export function treesBody(ensemble: TreeEnsemble): Extract<ModelBody['model'], { kind: 'trees' }> {
  const lightgbm = ensemble.arithmetic === 'lightgbm'
  return {
    kind: 'trees',
    ...(lightgbm ? { arithmetic: 'lightgbm' as const } : {}),
    baseMargin: ensemble.baseMargin,
    trees: ensemble.trees.map((t) => ({
      left: [...t.left],
      right: [...t.right],
      feature: [...t.feature],
      value: [...t.value],
      defaultLeft: [...t.defaultLeft].map((d) => (d ? 1 : 0) as 0 | 1),
      cover: [...t.cover],
      ...(lightgbm ? { missingType: [...t.missingType!].map((m) => m as 0 | 1 | 2) } : {}),
    })),
  }
}

/** What one model says of a transaction, and why. */
export interface ModelScore {
  /** Probability of fraud, 0–1. */
  score: number
  /** The features that moved the log-odds most, largest first: value read and contribution. */
  top: Array<{ feature: string; value: number | undefined; contribution: number }>
}

export interface CompiledModel {
  readonly name: string
  readonly version: number
  readonly checksum: string
  readonly features: readonly string[]
  /** `values[i]` is `features[i]`'s value; undefined is missing. */
  score(values: ArrayLike<number | undefined>, topK?: number): ModelScore
}

export type ModelFileError = { code: 'invalid_model'; issues: Issue[] }

/** Validates a model file, its checksum included, and compiles it once. */
export function compileModel(input: unknown): Result<CompiledModel, ModelFileError> {
  const parsed = modelFileSchema.safeParse(input)
  if (!parsed.success) return err({ code: 'invalid_model', issues: fromZodError(parsed.error) })
  const { checksum, ...body } = parsed.data
  if (checksumOf(body) !== checksum) return err({ code: 'invalid_model', issues: [{ path: 'checksum', message: 'does not match the file: it was changed after it was written' }] })
  const { features, model, name, version } = body
  if (model.kind === 'logistic') {
    if (model.weights.length !== features.length) return err({ code: 'invalid_model', issues: [{ path: 'model.weights', message: `must hold one weight per feature (${features.length})` }] })
    return ok({
      name,
      version,
      checksum,
      features,
      score(values, topK = 3) {
        // A missing value contributes nothing: the intercept stands for it.
        const contributions = model.weights.map((w, i) => (values[i] === undefined || Number.isNaN(values[i]) ? 0 : w * values[i]!))
        return { score: sigmoid(model.intercept + contributions.reduce((a, b) => a + b, 0)), top: topOf(features, values, contributions, topK) }
      },
    })
  }
  const issues: Issue[] = []
  const lightgbm = model.arithmetic === 'lightgbm'
  const trees: FlatTree[] = model.trees.map((t, i) => {
    const n = t.left.length
    if ([t.right, t.feature, t.value, t.defaultLeft, t.cover, ...(lightgbm ? [t.missingType ?? []] : [])].some((a) => a.length !== n)) issues.push({ path: `model.trees[${i}]`, message: 'must have node arrays of one length (missingType too, for LightGBM arithmetic)' })
    const bad = t.left.findIndex((l, node) => l !== -1 && (l <= node || l >= n || t.right[node]! <= node || t.right[node]! >= n || t.feature[node]! >= features.length))
    if (bad >= 0) issues.push({ path: `model.trees[${i}].left[${bad}]`, message: 'must point to a later node, splitting on one of the features' })
    const left = Int32Array.from(t.left)
    const right = Int32Array.from(t.right)
    // LightGBM's thresholds and leaves are doubles; XGBoost's float32 (a float32 written out as a
    // JSON number reads back as the same float32).
    const value = lightgbm ? Float64Array.from(t.value) : Float32Array.from(t.value)
    const cover = Float32Array.from(t.cover)
    const missingType = lightgbm ? { missingType: Uint8Array.from(t.missingType ?? []) } : {}
    return { left, right, feature: Int32Array.from(t.feature), value, defaultLeft: Uint8Array.from(t.defaultLeft), ...missingType, cover, mean: issues.length > 0 ? new Float64Array(n) : nodeMeans(left, right, value, cover) }
  })
  if (issues.length > 0) return err({ code: 'invalid_model', issues })
  const ensemble: TreeEnsemble = { trees, baseMargin: model.baseMargin, featureCount: features.length, ...(lightgbm ? { arithmetic: 'lightgbm' as const } : {}) }
  const scratch = new Float64Array(features.length + 1)
  // Packed once: the scorer's walk (packed-ensemble.ts). An ensemble it cannot pack (a non-finite
  // threshold) is scored by the plain walks.
  const packed = packEnsemble(ensemble)
  return ok({
    name,
    version,
    checksum,
    features,
    score(values, topK = 3) {
      if (packed === undefined) {
        const contributions = pathContributions(ensemble, values, scratch)
        return { score: sigmoid(predictMargin(ensemble, values)), top: topOf(features, values, contributions, topK) }
      }
      const margin = walkPacked(packed, values, scratch)
      return { score: sigmoid(margin), top: topOf(features, values, scratch, topK) }
    },
  })
}

/**
 * The k non-zero contributions largest in magnitude, largest first (a tie to the feature first by
 * name): kept by insertion, as k is small.
 */
function topOf(features: readonly string[], values: ArrayLike<number | undefined>, contributions: ArrayLike<number>, k: number): ModelScore['top'] {
  const top: ModelScore['top'] = []
  for (let i = 0; i < features.length; i++) {
    const contribution = contributions[i]!
    if (contribution === 0) continue
    const size = Math.abs(contribution)
    const feature = features[i]!
    let at = top.length
    while (at > 0 && before(size, feature, top[at - 1]!)) at--
    if (at >= k) continue
    top.splice(at, 0, { feature, value: values[i], contribution })
    if (top.length > k) top.pop()
  }
  return top
}

const before = (size: number, feature: string, than: { feature: string; contribution: number }): boolean => {
  const other = Math.abs(than.contribution)
  return size > other || (size === other && feature < than.feature)
}
