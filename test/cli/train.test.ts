import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { compileModel } from '../../functions/core/models/model-file.ts'
import { runVigil } from '../support/cli.ts'
import { trainingHistory, trainingRuleSet } from '../support/train-history.ts'

const env = { ...process.env, VIGIL_TOKENIZATION_KEY: 'cli-train-tokenization-key' }
const vigil = (...args: string[]) => runVigil(env, ...args)
let dir: string
const path = (name: string) => join(dir, name)

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-train-'))
  const history = trainingHistory({ days: 24, perDay: 60, seed: 21 })
  await writeFile(path('history.jsonl'), `${history.lines.join('\n')}\n`)
  await writeFile(path('labels.jsonl'), `${history.labels.map((l) => JSON.stringify(l)).join('\n')}\n`)
  await writeFile(path('rules.json'), JSON.stringify(trainingRuleSet))
})

// 2026-03-02 + 24 days; the last 3 days' frauds are reported after the history ends.
const range = ['--from', '2026-03-04', '--to', '2026-03-24']
const train = (out: string, ...more: string[]) => vigil('train', '--rules', path('rules.json'), '--input', path('history.jsonl'), '--labels', path('labels.jsonl'), ...range, '--out', path(out), '--trees', '60', ...more)

describe('vigil train', () => {
  it('trains on the replayed range, prints validation figures and the rule-set snippet, and writes a model the rule set can run', async () => {
    const trained = await train('fraud.json', '--version', '3')
    expect(trained.code, trained.stderr).toBe(0)
    expect(trained.stdout).toMatch(/fraud\.json: model fraud version 3, 60 trees over 9 inputs \(sha256:[0-9a-f]{64}\)/)
    expect(trained.stdout).toMatch(/trained on [\d,]+ transactions of \[2026-03-04T00:00:00.000Z, 2026-03-24T00:00:00.000Z\), [\d,]+ fraud by the labels known at 2026-03-25/)
    expect(trained.stdout).toMatch(/validation, the last 4 days .*\n +AUC ROC 0\.\d{3} +average precision 0\.\d{3} +CP@100 0\.\d{3} \(ceiling 0\.\d{3}\)/)
    expect(trained.stdout).toContain('"models": [{"name":"fraud","version":3,"mode":"shadow"}]')
    const auc = Number(/AUC ROC (0\.\d+)/.exec(trained.stdout)![1])
    expect(auc).toBeGreaterThan(0.75)

    const file = JSON.parse(await readFile(path('fraud.json'), 'utf8'))
    expect(file).toMatchObject({
      name: 'fraud',
      version: 3,
      features: ['card_count_1d', 'card_avg_amount_7d', 'merchant_fraud_count_7d', 'card_flagged_before', 'txn_amount', 'txn_local_hour', 'txn_weekend', 'txn_night', 'txn_card_present'],
      training: { from: '2026-03-04T00:00:00.000Z', to: '2026-03-24T00:00:00.000Z' },
      model: { kind: 'trees' },
    })
    expect(file.source).toMatch(/^vigil train trees \(60 trees/)
    expect(file.metrics.validationAucRoc).toBeCloseTo(auc, 3)
    expect(compileModel(file).ok).toBe(true)

    // The printed snippet, pasted into the rule set, loads with the model.
    const rule = JSON.parse(/and a rule that reads it:\n +(\{.*\})/.exec(trained.stdout)![1]!)
    const withModel = { ...trainingRuleSet, models: [{ name: 'fraud', version: 3, mode: 'shadow' }], rules: [...trainingRuleSet.rules, rule] }
    await writeFile(path('rules-with-model.json'), JSON.stringify(withModel))
    const validated = await vigil('validate-rules', path('rules-with-model.json'), '--model', path('fraud.json'))
    expect(validated.code, validated.stderr).toBe(0)
  })

  it('writes the same file, byte for byte, from the same inputs and seed; another seed, another model', async () => {
    expect((await train('a.json', '--seed', '5')).code).toBe(0)
    expect((await train('b.json', '--seed', '5')).code).toBe(0)
    expect((await train('c.json', '--seed', '6')).code).toBe(0)
    const [a, b, c] = await Promise.all(['a.json', 'b.json', 'c.json'].map((f) => readFile(path(f), 'utf8')))
    expect(b).toBe(a)
    expect(c).not.toBe(a)
  })

  it('trains a logistic regression with --kind logistic, and refuses bad usage', async () => {
    const logistic = await train('logistic.json', '--kind', 'logistic')
    expect(logistic.code, logistic.stderr).toBe(0)
    const file = JSON.parse(await readFile(path('logistic.json'), 'utf8'))
    expect(file.model.kind).toBe('logistic')
    expect(file.model.weights).toHaveLength(9)

    const backwards = await vigil('train', '--rules', path('rules.json'), '--input', path('history.jsonl'), '--labels', path('labels.jsonl'), '--from', '2026-03-20', '--to', '2026-03-04', '--out', path('x.json'))
    expect([backwards.code, backwards.stderr]).toEqual([2, expect.stringContaining('--from must be before --to')])
    const unknown = await train('x.json', '--inputs', 'txn_amount,card_count_7d')
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining('unknown: card_count_7d')])
    const early = await train('x.json', '--as-of', '2026-03-10')
    expect([early.code, early.stderr]).toEqual([2, expect.stringContaining('--as-of must not be before --to')])
  })
})
