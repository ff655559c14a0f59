/**
 * Parity with LightGBM. Two references (test/fixtures/models/lightgbm/README.md):
 * - real LightGBM: a DART binary model dumped by LightGBM's dump_model() and its predict() on 57
 *   rows, from the test data of the Go library leaves (no missing values in it);
 * - hand-made dumps in dump_model()'s shape, with predictions from make-lightgbm-edge.py, a plain
 *   reimplementation of LightGBM's C++ decision, for what the real one lacks: missing values under
 *   each missing type, values at and next to thresholds, zeros, sigmoid:K, average_output.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { importLightgbm } from '../../../functions/core/models/lightgbm.ts'
import { compileModel, treesBody, withChecksum } from '../../../functions/core/models/model-file.ts'
import { pathContributions, predictMargin, sigmoid, type TreeEnsemble } from '../../../functions/core/models/tree-ensemble.ts'

const fixtures = new URL('../../fixtures/models/lightgbm/', import.meta.url).pathname
const read = (name: string) => readFileSync(join(fixtures, name), 'utf8')
const json = (name: string) => JSON.parse(read(name)) as Record<string, unknown>

function imported(model: unknown) {
  const result = importLightgbm(model)
  if (!result.ok) throw new Error(JSON.stringify(result.error))
  return result.value
}

/** leaves' dump predates LightGBM 2.2, which began writing the objective; its script trained objective=binary. */
const breastCancer = () => ({ ...json('lg_dart_breast_cancer.json'), objective: 'binary sigmoid:1' })

interface Golden {
  rows: Array<Array<number | null>>
  [variant: string]: unknown
}
const golden = JSON.parse(read('lgb-edge.golden.json')) as Golden
const variant = (name: string) => golden[name] as { raw: number[]; probability: number[] }
const rowOf = (row: Array<number | null>) => row.map((v) => (v === null ? undefined : v))

describe('LightGBM dump_model() JSON against LightGBM', () => {
  it('predicts a real LightGBM model (DART, 10 trees, 30 features) as LightGBM did on 57 rows, within 1e-6', () => {
    const { ensemble } = imported(breastCancer())
    const rows = read('breast_cancer_test.tsv').trim().split('\n').map((line) => line.split('\t').map(Number))
    const expected = read('lg_dart_breast_cancer_true_predictions.txt').trim().split('\n').map(Number)
    expect([ensemble.featureCount, ensemble.trees.length, rows.length, expected.length]).toEqual([30, 10, 57, 57])
    const worst = Math.max(...rows.map((row, i) => Math.abs(sigmoid(predictMargin(ensemble, row)) - expected[i]!)))
    expect(worst).toBeLessThanOrEqual(1e-6)
  })

  it.each([
    ['lgb-edge', 1, 1],
    ['lgb-edge-k2', 2, 2],
    ['lgb-edge-rf', 1, 1 / 4],
  ])('predicts %s as LightGBM’s decision rules do: missing values by missing type, <= on doubles at the thresholds, zeros, within 1e-6 (margin = K %d × raw score, leaves × %d)', (name, k, scale) => {
    const { ensemble, leafScale } = imported(json(`${name}.json`))
    expect(leafScale).toBe(scale)
    const { raw, probability } = variant(name)
    expect(golden.rows.some((row) => row.includes(null))).toBe(true)
    golden.rows.forEach((row, i) => {
      const margin = predictMargin(ensemble, rowOf(row))
      expect(Math.abs(sigmoid(margin) - probability[i]!), `row ${i}`).toBeLessThanOrEqual(1e-6)
      expect(Math.abs(margin - k * raw[i]!), `row ${i}`).toBeLessThanOrEqual(1e-12)
    })
  })

  it('tells apart values float32 cannot: 0.3 and 0.30000000000000004 go left of a threshold at the latter, the next double goes right', () => {
    const { ensemble } = imported(json('lgb-edge.json'))
    const root = ensemble.trees[0]!
    expect(root.value[0]).toBe(0.30000000000000004)
    expect(Math.fround(0.3)).toBe(Math.fround(0.30000000000000004)) // why float32 arithmetic would not do
    const leafOf = (x0: number) => predictMargin({ ...ensemble, trees: [root] }, [x0, 5, 5, 5])
    expect(leafOf(0.3)).toBe(leafOf(0.30000000000000004))
    expect(leafOf(0.30000000000000004)).not.toBe(leafOf(0.3000000000000001)) // the next double
  })

  it('keeps LightGBM’s arithmetic through Vigil’s model file: thresholds and leaves as doubles, missing types, scores unchanged', () => {
    const { ensemble } = imported(json('lgb-edge-k2.json'))
    const file = withChecksum({ format: 'vigil-model', formatVersion: 1, name: 'fraud', version: 1, features: ['a', 'b', 'c', 'd'], source: 'test', model: treesBody(ensemble) })
    expect(file.model).toMatchObject({ kind: 'trees', arithmetic: 'lightgbm' })
    const compiled = compileModel(JSON.parse(JSON.stringify(file)))
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.error))
    const { probability } = variant('lgb-edge-k2')
    golden.rows.forEach((row, i) => expect(Math.abs(compiled.value.score(rowOf(row)).score - probability[i]!)).toBeLessThanOrEqual(1e-6))
  })

  it('property: the path contributions and the bias sum to the margin, missing values included', () => {
    const ensembles: TreeEnsemble[] = [imported(json('lgb-edge.json')).ensemble, imported(breastCancer()).ensemble]
    const value = fc.option(fc.oneof(fc.double({ min: -10, max: 1000, noNaN: true }), fc.constantFrom(0, -0, 1e-36, 0.30000000000000004)), { nil: undefined })
    for (const ensemble of ensembles) {
      fc.assert(
        fc.property(fc.array(value, { minLength: ensemble.featureCount, maxLength: ensemble.featureCount }), (x) => {
          const sum = pathContributions(ensemble, x).reduce((a, b) => a + b, 0)
          expect(Math.abs(sum - predictMargin(ensemble, x))).toBeLessThan(1e-9)
        }),
      )
    }
  })

  it('refuses what it cannot score as LightGBM would, naming the path: categorical splits, other objectives, a dump without its objective, linear trees, a feature out of range', () => {
    const issuesOf = (model: unknown) => {
      const result = importLightgbm(model)
      return result.ok ? [] : result.error.issues
    }
    const categorical = json('lgb-edge.json') as any
    Object.assign(categorical.tree_info[1].tree_structure.right_child, { decision_type: '==', threshold: '1||3' })
    expect(issuesOf(categorical)).toEqual([{ path: 'tree_info[1].tree_structure.right_child.decision_type', message: 'must be "<=": categorical splits are not supported' }])
    const counted = json('lgb-edge.json') as any
    counted.tree_info[0].num_cat = 1
    expect(issuesOf(counted)).toMatchObject([{ path: 'tree_info[0].num_cat' }])

    for (const objective of ['multiclass num_class:3', 'regression', 'cross_entropy']) {
      expect(issuesOf({ ...json('lgb-edge.json'), objective })).toEqual([{ path: 'objective', message: expect.stringContaining('must be binary') }])
    }
    expect(issuesOf({ ...json('lgb-edge.json'), num_class: 3 })).toMatchObject([{ path: 'num_class' }])
    expect(issuesOf(json('lg_dart_breast_cancer.json'))).toMatchObject([{ path: 'objective', message: expect.stringContaining('must name the objective') }])

    const linear = json('lgb-edge.json') as any
    Object.assign(linear.tree_info[3].tree_structure.left_child.left_child, { leaf_const: 0.1, leaf_features: [2], leaf_coeff: [0.5] })
    expect(issuesOf(linear)).toEqual([{ path: 'tree_info[3].tree_structure.left_child.left_child', message: expect.stringContaining('linear trees are not supported') }])

    const outOfRange = json('lgb-edge.json') as any
    outOfRange.tree_info[3].tree_structure.right_child.split_feature = 4
    expect(issuesOf(outOfRange)).toMatchObject([{ path: 'tree_info[3].tree_structure.right_child.split_feature' }])
  })
})
