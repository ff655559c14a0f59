import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decisionSchema } from '../../functions/core/decision.ts'
import { runVigil } from '../support/cli.ts'
import { logisticModel } from '../support/synthetic-model.ts'
import { wireExample } from '../support/transactions.ts'

const env = { ...process.env, VIGIL_TOKENIZATION_KEY: 'cli-model-rules-key' }
const vigil = (...args: string[]) => runVigil(env, ...args)
let dir: string
const path = (name: string) => join(dir, name)

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x))

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-model-rules-'))
  const model = logisticModel(['card_count_1h', 'txn_amount'], [1.5, 0.0005], -4, { version: 2 })
  await writeFile(path('fraud-v2.json'), JSON.stringify(model))
  await writeFile(
    path('rules.json'),
    JSON.stringify({
      version: 1,
      thresholds: { review: 50, block: 100 },
      features: [{ name: 'card_count_1h', entity: 'card', aggregate: 'count', window: '1h' }],
      models: [{ name: 'fraud', version: 2, mode: 'active', weight: 40 }],
      rules: [{ id: 'model-high', description: 'the model is sure', when: 'models.fraud > 0.5', score: 60 }],
    }),
  )
  const history = [0, 1, 2, 3].map((i) => JSON.stringify(wireExample({ transactionId: `tx-${i}`, occurredAt: `2026-11-24T10:0${i}:00Z`, amount: 2000 })))
  await writeFile(path('history.jsonl'), `${history.join('\n')}\n`)
})

afterAll(() => rm(dir, { recursive: true, force: true }))

describe('a rule set naming a model, from the CLI', () => {
  it('validate-rules refuses it without the model file and accepts it with --model', async () => {
    const without = await vigil('validate-rules', path('rules.json'))
    expect(without.code).toBe(1)
    expect(without.stderr).toMatch(/models\[0\]: model fraud version 2 is not available/)
    const withModel = await vigil('validate-rules', path('rules.json'), '--model', path('fraud-v2.json'))
    expect(withModel.stderr).toBe('')
    expect(withModel.stdout).toMatch(/valid rule set version 1: 1 rules \(0 shadow\), 1 features, 0 lists, models fraud v2;/)
  })

  it('refuses a model file changed after it was written', async () => {
    const file = JSON.parse(await readFile(path('fraud-v2.json'), 'utf8'))
    await writeFile(path('tampered.json'), JSON.stringify({ ...file, model: { ...file.model, intercept: 3 } }))
    const { code, stderr } = await vigil('validate-rules', path('rules.json'), '--model', path('tampered.json'))
    expect(code).toBe(1)
    expect(stderr).toMatch(/tampered\.json: checksum: does not match the file/)
  })

  it('backtest scores the model on each transaction, point in time, and every decision explains it', async () => {
    const { code, stderr } = await vigil('backtest', '--rules', path('rules.json'), '--model', path('fraud-v2.json'), '--input', path('history.jsonl'), '--out', path('decisions.jsonl'))
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const decisions = (await readFile(path('decisions.jsonl'), 'utf8')).trim().split('\n').map((line) => decisionSchema.parse(JSON.parse(line)))
    expect(decisions.map((d) => d.transactionId)).toEqual(['tx-0', 'tx-1', 'tx-2', 'tx-3'])
    decisions.forEach((decision, i) => {
      const p = sigmoid(-4 + 1.5 * i + 0.0005 * 2000)
      const model = decision.models![0]!
      expect(model).toMatchObject({ name: 'fraud', version: 2, mode: 'active', weight: 40 })
      expect(model.score).toBeCloseTo(p, 12)
      expect(model.top[0]).toMatchObject({ feature: i === 0 ? 'txn_amount' : 'card_count_1h' })
      expect(decision.score).toBeCloseTo((p > 0.5 ? 60 : 0) + 40 * p, 9)
    })
    // p: 0.05, 0.18, 0.5 (not above 0.5), 0.82: only the last fires the rule, 60 + 40 × 0.82 reviews.
    expect(decisions.map((d) => d.outcome)).toEqual(['approve', 'approve', 'approve', 'review'])
  })

  it('backtest --labels measures each model: over the labeled transactions when analysts gave verdicts, over all (unlabeled legitimate) with fraud labels only', async () => {
    // Scores rise with the card's count: tx-0 < tx-1 < tx-2 < tx-3.
    const label = (id: string, fraud: boolean) => JSON.stringify({ transactionId: id, fraud, reportedAt: '2026-11-25T00:00:00Z', source: fraud ? 'chargeback' : 'analyst' })
    await writeFile(path('verdicts.jsonl'), `${[label('tx-1', false), label('tx-2', true), label('tx-3', false)].join('\n')}\n`)
    const verdicts = await vigil('backtest', '--rules', path('rules.json'), '--model', path('fraud-v2.json'), '--input', path('history.jsonl'), '--labels', path('verdicts.jsonl'), '--out', path('d1.jsonl'), '--json')
    expect(verdicts.stderr).toBe('')
    // Of tx-1, tx-2, tx-3 the fraud (tx-2) outscores one of two legitimate ones; it ranks second.
    expect(JSON.parse(verdicts.stdout).models).toEqual({
      population: 'labeled',
      models: [{ name: 'fraud', version: 2, mode: 'active', measured: 3, frauds: 1, aucRoc: 0.5, averagePrecision: 0.5 }],
    })
    await writeFile(path('chargebacks.jsonl'), `${label('tx-3', true)}\n`)
    const chargebacks = await vigil('backtest', '--rules', path('rules.json'), '--model', path('fraud-v2.json'), '--input', path('history.jsonl'), '--labels', path('chargebacks.jsonl'), '--out', path('d2.jsonl'))
    expect(chargebacks.stdout).toMatch(/model {6}fraud v2 \(active\): AUC 1\.000, average precision 1\.000 over 4 transactions \(all, unlabeled as legitimate\), 1 fraud/)
  })
})
