import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileModel, withChecksum, type ModelBody } from '../../../functions/core/models/model-file.ts'
import { binOf, quantileCuts } from '../../../cli/train/binning.ts'
import { defaultTreeParams, trainTrees, type TreeParams } from '../../../cli/train/gbm.ts'
import { trainLogistic } from '../../../cli/train/logistic.ts'
import { aucRoc } from '../../../cli/train/metrics.ts'
import { predictRows } from '../../../cli/train/predict.ts'
import { FeatureRows } from '../../../cli/train/rows.ts'
import { Random } from '../../../local/traffic/random.ts'

/**
 * Rows with a known signal: fraud is likelier with a large x0, with x1 above 1 (x1 is missing in
 * a tenth of the rows, and a missing x1 is itself a sign of fraud), and x2 is noise.
 */
function synthetic(n: number, seed: number): FeatureRows {
  const rng = new Random(seed, 5)
  const rows = new FeatureRows(['x0', 'x1', 'x2'], 16)
  for (let i = 0; i < n; i++) {
    const x0 = rng.normal(0, 1)
    const x1 = rng.chance(0.1) ? undefined : rng.normal(0, 1)
    const margin = -3 + 1.5 * x0 + (x1 === undefined ? 1.5 : x1 > 1 ? 2 : 0)
    const row = rows.push([x0, x1, rng.normal(0, 1)], i, `card-${i % 97}`)
    rows.target[row] = rng.chance(1 / (1 + Math.exp(-margin))) ? 1 : 0
  }
  return rows
}

const all = (rows: FeatureRows) => Uint32Array.from({ length: rows.length }, (_, i) => i)
const body = (model: ModelBody['model'], features: readonly string[]): ModelBody => ({ format: 'vigil-model', formatVersion: 1, name: 'fraud', version: 1, features: [...features], source: 'test', model })
const small: TreeParams = { ...defaultTreeParams, trees: 40, maxDepth: 3 }

describe('gradient-boosted trees (cli/train/gbm.ts)', () => {
  it('learn a known signal, missing values included, well above chance on rows they never saw', () => {
    const training = synthetic(4000, 1)
    const test = synthetic(4000, 2)
    const { model } = trainTrees(training.columns, training.target, all(training), small)
    const auc = aucRoc(predictRows(model, test, all(test)), test.target.subarray(0, test.length))
    // The signal's own AUC on these rows is about 0.87; chance is 0.5.
    expect(auc).toBeGreaterThan(0.8)
  })

  it('write a file that compiles, whose every prediction is the trainer’s own, to the bit', () => {
    const training = synthetic(3000, 3)
    const { model, margin } = trainTrees(training.columns, training.target, all(training), small)
    const compiled = compileModel(withChecksum(body(model, training.names)))
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.error))
    const predicted = predictRows(model, training, all(training))
    for (let i = 0; i < training.length; i++) {
      const expected = 1 / (1 + Math.exp(-margin[i]!))
      expect(compiled.value.score(training.row(i)).score).toBe(expected)
      expect(predicted[i]).toBe(expected)
    }
  })

  it('are deterministic: the same rows and seed give the same file; another seed, another one', () => {
    const rows = synthetic(2000, 4)
    const fit = (seed: number) => JSON.stringify(trainTrees(rows.columns, rows.target, all(rows), { ...small, seed }).model)
    expect(fit(7)).toBe(fit(7))
    expect(fit(8)).not.toBe(fit(7))
  })

  it('stop splitting at max depth and where a child would weigh less than min_child_weight', () => {
    const rows = synthetic(2000, 5)
    const { model } = trainTrees(rows.columns, rows.target, all(rows), { ...small, trees: 5, maxDepth: 2, minChildWeight: 20 })
    for (const tree of model.trees) {
      const depth = (node: number): number => (tree.left[node] === -1 ? 0 : 1 + Math.max(depth(tree.left[node]!), depth(tree.right[node]!)))
      expect(depth(0)).toBeLessThanOrEqual(2)
      tree.left.forEach((l, node) => {
        if (l !== -1) expect(Math.min(tree.cover[l]!, tree.cover[tree.right[node]!]!)).toBeGreaterThanOrEqual(20 * 0.999)
      })
    }
  })
})

describe('binning (cli/train/binning.ts)', () => {
  it('puts a value in bins 1…b exactly when it is below the b-th cut: the split the predictor tests', () => {
    const floats = fc.array(fc.oneof(fc.float({ noNaN: true, noDefaultInfinity: true }), fc.constant(Number.NaN), fc.integer({ min: -5, max: 5 })), { minLength: 1, maxLength: 600 })
    fc.assert(
      fc.property(floats, fc.integer({ min: 3, max: 256 }), (values, bins) => {
        const column = Float32Array.from(values)
        const cuts = quantileCuts(column, Uint32Array.from(values, (_, i) => i), bins)
        expect(cuts.length).toBeLessThanOrEqual(bins - 2)
        for (let j = 1; j < cuts.length; j++) expect(cuts[j]!).toBeGreaterThan(cuts[j - 1]!)
        for (const v of column) {
          const bin = binOf(v, cuts)
          if (Number.isNaN(v)) expect(bin).toBe(0)
          else for (let b = 1; b <= cuts.length; b++) expect(bin <= b).toBe(v < cuts[b - 1]!)
        }
      }),
    )
  })
})

describe('logistic regression (cli/train/logistic.ts)', () => {
  it('recovers known weights on raw values, the standardization folded in, and scores as the compiled file', () => {
    const rng = new Random(9, 1)
    const rows = new FeatureRows(['amount', 'count'], 16)
    for (let i = 0; i < 20_000; i++) {
      const amount = rng.normal(5000, 2000)
      const count = rng.chance(0.1) ? undefined : rng.int(0, 10)
      const row = rows.push([amount, count], i, 'c')
      rows.target[row] = rng.chance(1 / (1 + Math.exp(-(-4 + 0.0004 * amount + 0.2 * (count ?? 0))))) ? 1 : 0
    }
    const model = trainLogistic(rows.columns, rows.target, all(rows), { l2: 0.01, maxIterations: 50 })
    expect(model.intercept).toBeCloseTo(-4, 0)
    // Within sampling error of the truth (20,000 rows), in raw units.
    expect(Math.abs(model.weights[0]! / 0.0004 - 1)).toBeLessThan(0.15)
    expect(Math.abs(model.weights[1]! / 0.2 - 1)).toBeLessThan(0.15)
    const compiled = compileModel(withChecksum(body(model, rows.names)))
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.error))
    const predicted = predictRows(model, rows, all(rows))
    for (let i = 0; i < 500; i++) expect(predicted[i]).toBe(compiled.value.score(rows.row(i)).score)
  })
})
