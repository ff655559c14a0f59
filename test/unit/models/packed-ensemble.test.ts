/**
 * The scorer's packed walk (packed-ensemble.ts) against a plain walk written here, on random trees
 * of both arithmetics and random inputs with missing values, zeros and values on thresholds: the
 * same margin, the same contributions and bias to the last bit, hence the same score and top.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileModel, withChecksum, type ModelBody } from '../../../functions/core/models/model-file.ts'
import { packEnsemble, walkPacked } from '../../../functions/core/models/packed-ensemble.ts'
import { LIGHTGBM_ZERO, nodeMeans, type FlatTree, type TreeEnsemble } from '../../../functions/core/models/tree-ensemble.ts'

type TreesModel = Extract<ModelBody['model'], { kind: 'trees' }>
type FileTree = TreesModel['trees'][number]
type Node = { leaf: number; cover: number } | { feature: number; threshold: number; defaultLeft: 0 | 1; missingType: 0 | 1 | 2; cover: number; left: Node; right: Node }

const featureCount = 4
/** Values a split and an input share, so inputs land on thresholds and on LightGBM's zero band. */
const edges = [-1, -1e-36, 0, 1e-36, 0.5, 1, 2.5, Math.fround(0.1), 0.1]
const number = fc.oneof(fc.constantFrom(...edges), fc.double({ min: -3, max: 3, noNaN: true }))
const input = fc.oneof(number, fc.constant(undefined), fc.constant(Number.NaN))

const { tree } = fc.letrec<{ tree: Node; leaf: Node; split: Node }>((t) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, t('leaf'), t('split'), t('split')),
  leaf: fc.record({ leaf: fc.double({ min: -1, max: 1, noNaN: true }), cover: fc.integer({ min: 1, max: 50 }) }),
  split: fc.record({
    feature: fc.integer({ min: 0, max: featureCount - 1 }),
    threshold: number,
    defaultLeft: fc.constantFrom(0 as const, 1 as const),
    missingType: fc.constantFrom(0 as const, 1 as const, 2 as const),
    cover: fc.integer({ min: 1, max: 100 }),
    left: t('tree'),
    right: t('tree'),
  }),
}))

/** A tree in the file's arrays, parents before children. */
function flatten(root: Node, lightgbm: boolean): FileTree {
  const out = { left: [] as number[], right: [] as number[], feature: [] as number[], value: [] as number[], defaultLeft: [] as Array<0 | 1>, cover: [] as number[], missingType: [] as Array<0 | 1 | 2> }
  const visit = (node: Node): number => {
    const i = out.left.length
    out.left.push(-1)
    out.right.push(-1)
    out.cover.push(node.cover)
    if ('leaf' in node) {
      out.feature.push(0)
      out.value.push(node.leaf)
      out.defaultLeft.push(0)
      out.missingType.push(0)
      return i
    }
    out.feature.push(node.feature)
    out.value.push(node.threshold)
    out.defaultLeft.push(node.defaultLeft)
    out.missingType.push(node.missingType)
    out.left[i] = visit(node.left)
    out.right[i] = visit(node.right)
    return i
  }
  visit(root)
  const { missingType, ...rest } = out
  return lightgbm ? { ...rest, missingType } : rest
}

function fileOf(roots: Node[], lightgbm: boolean, baseMargin: number): ModelBody {
  return {
    format: 'vigil-model',
    formatVersion: 1,
    name: 'random',
    version: 1,
    features: ['f_a', 'f_b', 'f_c', 'f_d'],
    source: 'test',
    model: { kind: 'trees', ...(lightgbm ? { arithmetic: 'lightgbm' as const } : {}), baseMargin, trees: roots.map((r) => flatten(r, lightgbm)) },
  }
}

/** The ensemble as compileModel builds it: float32 thresholds and leaves for XGBoost, doubles for LightGBM. */
function ensembleOf(model: TreesModel): TreeEnsemble {
  const lightgbm = model.arithmetic === 'lightgbm'
  const trees: FlatTree[] = model.trees.map((t) => {
    const left = Int32Array.from(t.left)
    const right = Int32Array.from(t.right)
    const value = lightgbm ? Float64Array.from(t.value) : Float32Array.from(t.value)
    const cover = Float32Array.from(t.cover)
    return { left, right, feature: Int32Array.from(t.feature), value, defaultLeft: Uint8Array.from(t.defaultLeft), cover, mean: nodeMeans(left, right, value, cover), ...(lightgbm ? { missingType: Uint8Array.from(t.missingType!) } : {}) }
  })
  return { trees, baseMargin: model.baseMargin, featureCount, ...(lightgbm ? { arithmetic: 'lightgbm' as const } : {}) }
}

/** The plain walk: one node at a time, each library's decision spelt out. */
function reference(model: TreeEnsemble, x: ReadonlyArray<number | undefined>): { margin: number; contributions: number[] } {
  const lightgbm = model.arithmetic === 'lightgbm'
  let margin = lightgbm ? model.baseMargin : Math.fround(model.baseMargin)
  const contributions = new Array<number>(featureCount + 1).fill(0)
  let bias = model.baseMargin
  for (const t of model.trees) {
    bias += t.mean[0]!
    let node = 0
    while (t.left[node] !== -1) {
      const v = x[t.feature[node]!]
      const missing = v === undefined || Number.isNaN(v)
      let left: boolean
      if (lightgbm) {
        const type = t.missingType![node]
        const value = missing && type !== 2 ? 0 : v!
        const toDefault = (type === 1 && Math.abs(value) <= LIGHTGBM_ZERO) || (type === 2 && missing)
        left = toDefault ? t.defaultLeft[node] === 1 : value <= t.value[node]!
      } else left = missing ? t.defaultLeft[node] === 1 : Math.fround(v!) < t.value[node]!
      const next = left ? t.left[node]! : t.right[node]!
      contributions[t.feature[node]!]! += t.mean[next]! - t.mean[node]!
      node = next
    }
    margin = lightgbm ? margin + t.value[node]! : Math.fround(margin + t.value[node]!)
  }
  contributions[featureCount] = bias
  return { margin, contributions }
}

const names = ['f_a', 'f_b', 'f_c', 'f_d']
function referenceTop(contributions: number[], x: ReadonlyArray<number | undefined>, k: number) {
  return names
    .map((feature, i) => ({ feature, value: x[i], contribution: contributions[i]! }))
    .filter((c) => c.contribution !== 0)
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || (a.feature < b.feature ? -1 : 1))
    .slice(0, k)
}

const ensembles = fc.record({
  lightgbm: fc.boolean(),
  roots: fc.array(tree, { minLength: 1, maxLength: 6 }),
  baseMargin: fc.double({ min: -3, max: 3, noNaN: true }),
  inputs: fc.array(fc.array(input, { minLength: featureCount, maxLength: featureCount }), { minLength: 1, maxLength: 8 }),
  k: fc.integer({ min: 0, max: 5 }),
})

describe('the packed tree walk the scorer runs', () => {
  it('property: equals a plain walk to the last bit, margin, every contribution and the bias, on random trees of both arithmetics with missing values, zeros and values on thresholds', () => {
    fc.assert(
      fc.property(ensembles, ({ lightgbm, roots, baseMargin, inputs }) => {
        const file = fileOf(roots, lightgbm, baseMargin)
        const ensemble = ensembleOf(file.model as TreesModel)
        const packed = packEnsemble(ensemble)
        expect(packed).toBeDefined()
        const contributions = new Float64Array(featureCount)
        for (const x of inputs) {
          const expected = reference(ensemble, x)
          expect(walkPacked(packed!, x, contributions)).toBe(expected.margin)
          expect([...contributions, packed!.bias]).toEqual(expected.contributions)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('property: a compiled model scores as the sigmoid of the plain margin and names the same top k', () => {
    fc.assert(
      fc.property(ensembles, ({ lightgbm, roots, baseMargin, inputs, k }) => {
        const file = fileOf(roots, lightgbm, baseMargin)
        const compiled = compileModel(withChecksum(file))
        if (!compiled.ok) throw new Error(JSON.stringify(compiled.error))
        const ensemble = ensembleOf(file.model as TreesModel)
        for (const x of inputs) {
          const expected = reference(ensemble, x)
          const { score, top } = compiled.value.score(x, k)
          expect(score).toBe(1 / (1 + Math.exp(-expected.margin)))
          expect(top).toEqual(referenceTop(expected.contributions, x, k))
        }
      }),
      { numRuns: 200 },
    )
  })

  it('leaves to the plain walk an ensemble with a threshold float32 cannot hold (1e39 reads as infinity), and scores it the same', () => {
    const root: Node = { feature: 0, threshold: -1e39, defaultLeft: 1, missingType: 0, cover: 2, left: { leaf: 0.5, cover: 1 }, right: { leaf: -0.5, cover: 1 } }
    const file = fileOf([root], false, 0)
    expect(packEnsemble(ensembleOf(file.model as TreesModel))).toBeUndefined()
    const compiled = compileModel(withChecksum(file))
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.error))
    expect(compiled.value.score([undefined, 1, 1, 1]).score).toBe(1 / (1 + Math.exp(-Math.fround(0.5))))
    expect(compiled.value.score([-5, 1, 1, 1]).score).toBe(1 / (1 + Math.exp(Math.fround(0.5))))
  })
})
