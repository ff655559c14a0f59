/**
 * Parity with XGBoost itself: the committed fixtures (a model trained by make-xgboost.py with
 * Debian's python3-xgboost, and its golden predictions) are checked on every run; where
 * python3-xgboost is installed, a fresh model and predictions are made and checked too.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { pathContributions, predictMargin, sigmoid } from '../../../functions/core/models/tree-ensemble.ts'
import { importXgboost } from '../../../functions/core/models/xgboost.ts'

const fixtures = new URL('../../fixtures/models/', import.meta.url).pathname
const python = '/usr/bin/python3'
const hasXgboost = (() => {
  try {
    execFileSync(python, ['-c', 'import xgboost'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

interface Golden {
  rows: Array<Array<number | null>>
  probability: number[]
  margin: number[]
  approxContributions: number[][]
}

function checkParity(dir: string) {
  const imported = importXgboost(JSON.parse(readFileSync(join(dir, 'xgb-small.json'), 'utf8')))
  if (!imported.ok) throw new Error(JSON.stringify(imported.error))
  const model = imported.value
  const golden = JSON.parse(readFileSync(join(dir, 'xgb-small.golden.json'), 'utf8')) as Golden
  expect(golden.rows.some((row) => row.includes(null))).toBe(true) // missing values are exercised
  let worst = 0
  golden.rows.forEach((row, i) => {
    const x = row.map((v) => (v === null ? undefined : v))
    const margin = predictMargin(model, x)
    worst = Math.max(worst, Math.abs(sigmoid(margin) - golden.probability[i]!), Math.abs(margin - golden.margin[i]!))
    const contributions = pathContributions(model, x)
    contributions.forEach((c, f) => (worst = Math.max(worst, Math.abs(c - golden.approxContributions[i]![f]!))))
  })
  expect(worst).toBeLessThanOrEqual(1e-6)
}

describe('XGBoost JSON models against XGBoost itself', () => {
  it('predicts the committed reference model as XGBoost did, probability, margin and path contributions within 1e-6', () => {
    checkParity(fixtures)
  })

  it.skipIf(!hasXgboost)('and a model trained now by the installed python3-xgboost', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-xgb-'))
    try {
      execFileSync(python, [join(fixtures, 'make-xgboost.py'), dir])
      checkParity(dir)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('property: the path contributions and the bias sum to the margin, for any feature values, missing ones included', () => {
    const imported = importXgboost(JSON.parse(readFileSync(join(fixtures, 'xgb-small.json'), 'utf8')))
    if (!imported.ok) throw new Error('fixture')
    const value = fc.option(fc.double({ min: -5, max: 5, noNaN: true }), { nil: undefined })
    fc.assert(
      fc.property(fc.array(value, { minLength: 5, maxLength: 5 }), (x) => {
        const sum = pathContributions(imported.value, x).reduce((a, b) => a + b, 0)
        expect(Math.abs(sum - predictMargin(imported.value, x))).toBeLessThan(1e-5)
      }),
    )
  })

  it('refuses what it cannot score as XGBoost would, naming the path', () => {
    const model = JSON.parse(readFileSync(join(fixtures, 'xgb-small.json'), 'utf8'))
    const multi = structuredClone(model)
    multi.learner.objective.name = 'multi:softprob'
    expect(importXgboost(multi)).toMatchObject({ ok: false, error: { issues: [{ path: 'learner.objective.name' }] } })
    const graph = structuredClone(model)
    graph.learner.gradient_booster.model.trees[0].left_children[0] = 0
    expect(importXgboost(graph)).toMatchObject({ ok: false, error: { issues: [{ path: 'learner.gradient_booster.model.trees[0].left_children[0]' }] } })
    const outOfRange = structuredClone(model)
    outOfRange.learner.gradient_booster.model.trees[1].split_indices[0] = 99
    expect(importXgboost(outOfRange)).toMatchObject({ ok: false, error: { issues: [{ path: 'learner.gradient_booster.model.trees[1].split_indices[0]' }] } })
  })
})
