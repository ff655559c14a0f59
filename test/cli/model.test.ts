import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runVigil } from '../support/cli.ts'

const root = new URL('../../', import.meta.url).pathname
const fixtures = join(root, 'test/fixtures/models')

const vigil = (...args: string[]) => runVigil(process.env, ...args)

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-model-'))
})

const features = ['merchant_fraud_rate_7d', 'card_count_1h', 'amount_ratio', 'device_fraud_count_30d', 'card_km_from_last']

describe('vigil model', () => {
  it('imports an XGBoost model under the rule set’s feature names, and predicts as XGBoost did, with the features that moved each score', async () => {
    const out = join(dir, 'fraud.json')
    const imported = await vigil('model', 'import', '--format', 'xgboost', '--input', join(fixtures, 'xgb-small.json'), '--features', features.join(','), '--out', out)
    expect(imported.code, imported.stderr).toBe(0)
    expect(imported.stdout).toMatch(/model fraud version 1, 40 trees over merchant_fraud_rate_7d, .* \(sha256:[0-9a-f]{64}\)/)
    const file = JSON.parse(await readFile(out, 'utf8'))
    expect(file).toMatchObject({ format: 'vigil-model', name: 'fraud', features, source: 'xgboost 1.7.4 JSON', model: { kind: 'trees' } })

    const golden = JSON.parse(await readFile(join(fixtures, 'xgb-small.golden.json'), 'utf8')) as { rows: Array<Array<number | null>>; probability: number[] }
    const rows = join(dir, 'rows.jsonl')
    // Missing values both ways: a null, and a key left out.
    await writeFile(rows, golden.rows.map((row) => JSON.stringify(Object.fromEntries(row.flatMap((v, i) => (v === null && i % 2 === 0 ? [] : [[features[i], v]]))))).join('\n'))
    const predicted = await vigil('model', 'predict', '--model', out, '--input', rows)
    expect(predicted.code, predicted.stderr).toBe(0)
    const scores = predicted.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(scores).toHaveLength(golden.rows.length)
    scores.forEach((s, i) => expect(Math.abs(s.score - golden.probability[i]!)).toBeLessThanOrEqual(1e-6))
    expect(scores[0].top.length).toBeGreaterThan(0)
    expect(features).toContain(scores[0].top[0].feature)
  })

  it('refuses a model file changed after it was written, a feature list of the wrong length, and a row that is not feature values', async () => {
    const out = join(dir, 'tampered.json')
    await vigil('model', 'import', '--format', 'xgboost', '--input', join(fixtures, 'xgb-small.json'), '--features', features.join(','), '--out', out)
    const file = JSON.parse(await readFile(out, 'utf8'))
    file.model.trees[0].value[3] += 1
    await writeFile(out, JSON.stringify(file))
    const rows = join(dir, 'one.jsonl')
    await writeFile(rows, '{"card_count_1h": 3}\n{"card_count_1h": "three"}\n')
    const tampered = await vigil('model', 'predict', '--model', out, '--input', rows)
    expect([tampered.code, tampered.stderr]).toEqual([1, expect.stringContaining('checksum: does not match the file')])

    const short = await vigil('model', 'import', '--format', 'xgboost', '--input', join(fixtures, 'xgb-small.json'), '--features', 'a,b', '--out', join(dir, 'x.json'))
    expect([short.code, short.stderr]).toEqual([1, expect.stringContaining('the model reads 5 features; --features names 2')])

    const good = join(dir, 'good.json')
    await vigil('model', 'import', '--format', 'xgboost', '--input', join(fixtures, 'xgb-small.json'), '--features', features.join(','), '--out', good)
    const mixed = await vigil('model', 'predict', '--model', good, '--input', rows)
    expect(mixed.code).toBe(1)
    expect(mixed.stdout.trim().split('\n')).toHaveLength(1)
    expect(mixed.stderr).toContain('line 2: must be an object of feature values')
  })

  it('imports a LightGBM dump_model() JSON, says it folded sigmoid:K into the leaves, and predicts as LightGBM’s rules do, missing values included', async () => {
    const lightgbm = join(fixtures, 'lightgbm')
    const names = ['merchant_fraud_rate_7d', 'card_count_1h', 'amount_ratio', 'device_fraud_count_30d']
    const out = join(dir, 'lgb.json')
    const imported = await vigil('model', 'import', '--format', 'lightgbm', '--input', join(lightgbm, 'lgb-edge-k2.json'), '--features', names.join(','), '--out', out)
    expect(imported.code, imported.stderr).toBe(0)
    expect(imported.stdout).toMatch(/model fraud version 1, 4 trees over merchant_fraud_rate_7d, .* \(sha256:[0-9a-f]{64}\)\nfolded into the leaf values \(× 2\): the sigmoid's K \(2\)/)
    expect(JSON.parse(await readFile(out, 'utf8'))).toMatchObject({ source: 'lightgbm dump_model v4 JSON', model: { kind: 'trees', arithmetic: 'lightgbm' } })

    const golden = JSON.parse(await readFile(join(lightgbm, 'lgb-edge.golden.json'), 'utf8')) as { rows: Array<Array<number | null>>; 'lgb-edge-k2': { probability: number[] } }
    const rows = join(dir, 'lgb-rows.jsonl')
    await writeFile(rows, golden.rows.map((row) => JSON.stringify(Object.fromEntries(row.flatMap((v, i) => (v === null && i % 2 === 0 ? [] : [[names[i], v]]))))).join('\n'))
    const predicted = await vigil('model', 'predict', '--model', out, '--input', rows)
    expect(predicted.code, predicted.stderr).toBe(0)
    const scores = predicted.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(scores).toHaveLength(golden.rows.length)
    scores.forEach((s, i) => expect(Math.abs(s.score - golden['lgb-edge-k2'].probability[i]!)).toBeLessThanOrEqual(1e-6))
  })

  it('refuses a LightGBM model with a categorical split, naming the node', async () => {
    const model = JSON.parse(await readFile(join(fixtures, 'lightgbm', 'lgb-edge.json'), 'utf8'))
    Object.assign(model.tree_info[0].tree_structure.left_child, { decision_type: '==', threshold: '0||2' })
    const input = join(dir, 'categorical.json')
    await writeFile(input, JSON.stringify(model))
    const refused = await vigil('model', 'import', '--format', 'lightgbm', '--input', input, '--features', 'a,b,c,d', '--out', join(dir, 'no.json'))
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining('tree_info[0].tree_structure.left_child.decision_type: must be "<=": categorical splits are not supported')])
  })
})
