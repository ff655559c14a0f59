import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runVigil } from '../support/cli.ts'
import { history } from '../support/scenario.ts'


const testEnv = { ...process.env, VIGIL_TOKENIZATION_KEY: 'cli-test-tokenization-key' }

async function vigil(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return vigilWith(testEnv, ...args)
}

const vigilWith = runVigil

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-cli-'))
})

describe('vigil validate-rules', () => {
  it('accepts the default rule set and says what is in it', async () => {
    const { code, stdout } = await vigil('validate-rules', 'rules/default.json')
    expect(code).toBe(0)
    expect(stdout).toMatch(/valid rule set version 1: 18 rules \(1 shadow\), 15 features, 5 lists/)
  })

  it('rejects a broken rule with its id, line and column, and exits 1', async () => {
    const file = join(dir, 'broken.json')
    await writeFile(file, JSON.stringify({ version: 2, thresholds: { review: 1, block: 2 }, rules: [{ id: 'oops', description: 'd', score: 1, when: 'txn.amount >' }] }))
    const { code, stderr } = await vigil('validate-rules', file)
    expect(code).toBe(1)
    expect(stderr).toMatch(/rule oops: rules\[0\]\.when: .*\(line 1, column \d+\)/)
  })
})

describe('vigil backtest', () => {
  it('decides the valid lines, rejects the rest with line numbers, reports per-rule precision, and writes no PAN', async () => {
    const txns = history('2026-11-24T10:00:00Z', [0, 1, 2, 3].map((at) => ({ at, amount: 100, merchant: { id: `m-${at}` } })))
    const input = join(dir, 'history.jsonl')
    const labels = join(dir, 'labels.jsonl')
    const out = join(dir, 'decisions.jsonl')
    await writeFile(input, [...txns.slice(0, 2).map((t) => JSON.stringify(t)), '{"transactionId": "tx-x", "card": {"pan": "4111111111111111"}', ...txns.slice(2).map((t) => JSON.stringify(t))].join('\n'))
    await writeFile(labels, txns.map((t, i) => JSON.stringify({ transactionId: t.transactionId, fraud: i >= 2 })).join('\n'))

    const { code, stdout } = await vigil('backtest', '--rules', 'rules/default.json', '--input', input, '--labels', labels, '--out', out)
    expect(code).toBe(0)
    expect(stdout).toMatch(/5 lines: 4 decided, 1 invalid, 0 duplicates/)
    expect(stdout).toMatch(/card-testing\s+active\s+1\s+25\.0%\s+0\s+100\.0%\s+50\.0%/)

    const decisions = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l))
    expect(decisions.map((d) => [d.transactionId, d.outcome])).toEqual([['tx-0', 'approve'], ['tx-1', 'approve'], ['tx-2', 'approve'], ['tx-3', 'block']])
    const rejects = (await readFile(join(dir, 'decisions.rejects.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l))
    expect(rejects).toEqual([{ line: 3, code: 'invalid_json', issues: [{ path: '', message: 'is not valid JSON' }] }])
    for (const file of [out, join(dir, 'decisions.rejects.jsonl')]) expect(await readFile(file, 'utf8')).not.toContain('4111111111111111')
    expect(stdout).not.toContain('4111111111111111')
  })

  it('--labels with --label-delay feeds label-fed features from the time each label is dated, and says how many labels it fed', async () => {
    const day = 1440
    const txns = history('2026-10-01T00:00:00Z', [0, 2, 4, 6].map((d, i) => ({ at: d * day, merchant: { id: 'm-1' }, device: { id: `dev-${i}`, ip: `198.51.100.${i}` } })))
    const rules = join(dir, 'label-fed.json')
    await writeFile(
      rules,
      JSON.stringify({
        version: 1,
        thresholds: { review: 50, block: 90 },
        features: [{ name: 'merchant_frauds_30d', entity: 'merchant', aggregate: 'fraud_count', window: '30d' }],
        rules: [{ id: 'merchant-fraud', description: 'Fraud confirmed at this merchant', when: 'features.merchant_frauds_30d >= 1', score: 60 }],
      }),
    )
    const input = join(dir, 'merchant-history.jsonl')
    const labels = join(dir, 'undated-labels.jsonl')
    const out = join(dir, 'merchant-decisions.jsonl')
    await writeFile(input, txns.map((t) => JSON.stringify(t)).join('\n'))
    await writeFile(labels, JSON.stringify({ transactionId: 'tx-0', fraud: true }))

    const { code, stdout } = await vigil('backtest', '--rules', rules, '--input', input, '--labels', labels, '--label-delay', '3d', '--out', out)
    expect(code).toBe(0)
    expect(stdout).toMatch(/fed +1 labels into features at their reportedAt: 1 accepted, 0 duplicate, 0 superseded, 0 unmatched/)
    expect(stdout).toMatch(/labels +1 labeled \(unknown 1\)/)
    const decisions = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l))
    expect(decisions.map((d) => d.outcome)).toEqual(['approve', 'approve', 'review', 'review'])
    expect((await vigil('backtest', '--rules', rules, '--input', input, '--label-delay', '3d', '--out', out)).stderr).toMatch(/--label-delay needs --labels/)

    // The same replay as a point-in-time feature table: the label counts from its time on, and is each row's target.
    const table = join(dir, 'features.csv')
    const exported = await vigil('features', '--rules', rules, '--input', input, '--labels', labels, '--label-delay', '3d', '--out', table)
    expect(exported.code, exported.stderr).toBe(0)
    expect(exported.stdout).toMatch(/4 rows × 1 features and 5 transaction inputs/)
    // The transaction inputs a model may read besides: amount, local hour, weekend (Saturday the 3rd), night, card present.
    expect((await readFile(table, 'utf8')).trim().split('\n')).toEqual([
      'transactionId,occurredAt,merchant_frauds_30d,txn_amount,txn_local_hour,txn_weekend,txn_night,txn_card_present,fraud',
      'tx-0,2026-10-01T00:00:00.000Z,0,1250,0,0,1,0,1',
      'tx-1,2026-10-03T00:00:00.000Z,0,1250,0,1,1,0,',
      'tx-2,2026-10-05T00:00:00.000Z,1,1250,0,0,1,0,',
      'tx-3,2026-10-07T00:00:00.000Z,1,1250,0,0,1,0,',
    ])
  })

  it('prints the summary as JSON with --json', async () => {
    const out = join(dir, 'sample.jsonl')
    const { code, stdout } = await vigil('backtest', '--rules', 'rules/default.json', '--input', 'examples/transactions.jsonl', '--out', out, '--json')
    expect(code).toBe(0)
    const summary = JSON.parse(stdout)
    expect(summary.lines).toBe(5000)
    expect(summary.decisions + summary.rejected + summary.duplicates).toBe(5000)
  })

  it('refuses card numbers under the public development key unless told to accept it', async () => {
    const { VIGIL_TOKENIZATION_KEY: _key, ...withoutKey } = testEnv
    const out = join(dir, 'development.jsonl')
    const refused = await vigilWith(withoutKey, 'backtest', '--rules', 'rules/default.json', '--input', 'examples/transactions.jsonl', '--out', out)
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/line 1: a card number .*public development key[\s\S]*--allow-development-key/)

    const allowed = await vigilWith(withoutKey, 'backtest', '--rules', 'rules/default.json', '--input', 'examples/transactions.jsonl', '--out', out, '--allow-development-key', '--json')
    expect(allowed.code).toBe(0)
    expect(allowed.stderr).toMatch(/public development key/)
    expect(JSON.parse(allowed.stdout).lines).toBe(5000)
    expect((await readFile(out, 'utf8')).split('\n', 1)[0]).not.toMatch(/\d{12,}/)
  })

  it('takes tokens under any key, live or retired, without a key of its own', async () => {
    const { VIGIL_TOKENIZATION_KEY: _key, ...withoutKey } = testEnv
    const input = join(dir, 'tokens.jsonl')
    const token = (keyId: string) => `${keyId}_${'A'.repeat(43)}`
    await writeFile(input, ['k1', 'k7'].map((keyId, i) => JSON.stringify({ ...history('2026-11-24T10:00:00Z', [{ at: i }])[0], transactionId: `tx-${keyId}`, card: { token: token(keyId) } })).join('\n'))
    const { code, stdout } = await vigilWith(withoutKey, 'backtest', '--rules', 'rules/default.json', '--input', input, '--out', join(dir, 'tokens-out.jsonl'), '--json')
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({ lines: 2, decisions: 2, rejected: 0 })
  })

  it('refuses missing arguments with usage and exit 2, and an invalid rule set with exit 1', async () => {
    const missing = await vigil('backtest', '--rules', 'rules/default.json')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/needs --rules, --input and --out[\s\S]*vigil backtest --rules FILE/)
    const broken = join(dir, 'not-rules.json')
    await writeFile(broken, '{"version": 0}')
    expect((await vigil('backtest', '--rules', broken, '--input', 'examples/transactions.jsonl', '--out', join(dir, 'x.jsonl'))).code).toBe(1)
  })
})

describe('vigil', () => {
  it('lists its commands, and exits 2 on an unknown one', async () => {
    expect((await vigil('help')).stdout).toMatch(/vigil backtest[\s\S]*vigil validate-rules/)
    expect((await vigil('frobnicate')).code).toBe(2)
  })
})
