import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { validateRules as run } from '../../cli/commands/validate-rules.ts'

const root = new URL('../../', import.meta.url).pathname

/** The command in process (the whole CLI would load the local runtime): its exit code and what it wrote. */
async function validateRules(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = []
  const err: string[] = []
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0)
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0)
  const code = await run(args.map((arg) => (arg.startsWith('rules/') ? join(root, arg) : arg)))
  vi.restoreAllMocks()
  return { code, stdout: out.join(''), stderr: err.join('') }
}

afterEach(() => vi.restoreAllMocks())

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-validate-'))
})

const file = async (name: string, set: unknown) => {
  const path = join(dir, name)
  await writeFile(path, JSON.stringify(set))
  return path
}

const rule = (id: string, when: string, mode = 'active') => ({ id, description: id, score: 10, mode, when })

describe('vigil validate-rules', () => {
  it('measures the default rule set on worst-case transactions and states its cost against the budget', async () => {
    const { code, stdout } = await validateRules('rules/default.json')
    expect(code).toBe(0)
    expect(stdout).toMatch(/valid rule set version 1: 18 rules \(1 shadow\), 15 features, 5 lists; worst case [\d.]+ ms a transaction \(budget 2 ms\)/)
  })

  it('refuses a set over the budget it is given, naming the slowest rule', async () => {
    const { code, stderr } = await validateRules('rules/default.json', '--budget-ms', '0.000001')
    expect(code).toBe(1)
    expect(stderr).toMatch(/rule set over its budget\n {2}rule [a-z0-9-]+: rules\[\d+\]\.when: the rule set costs .* over the budget of 0\.000001 ms; its slowest rule, [a-z0-9-]+, costs/)
  })

  it('reports every problem of every rule at once: nesting, a bad pattern, a type error, an unknown name, a bad threshold', async () => {
    const path = await file('broken.json', {
      version: 2,
      thresholds: { review: 95, block: 90 },
      lists: { ids: Array.from({ length: 300 }, (_, i) => `m-${i}`) },
      rules: [
        rule('triple-exists', 'lists.ids.exists(a, lists.ids.exists(b, lists.ids.exists(c, a + b + c == txn.merchant.id)))'),
        rule('lookbehind', "txn.merchant.id.matches('(?<=x)y')", 'shadow'),
        rule('string-plus-int', 'txn.merchant.id + 1 == "x"'),
        rule('typo', 'txn.amout > 10'),
        rule('fine', 'txn.amount > 10 * 2.5'),
      ],
    })
    const { code, stderr } = await validateRules(path)
    expect(code).toBe(1)
    const lines = stderr.trim().split('\n').slice(1)
    expect(lines.map((line) => /^ {2}(rule [a-z-]+: )?(\S+):/.exec(line)?.slice(1, 3).join(''))).toEqual([
      'thresholds.review',
      'rule triple-exists: rules[0].when',
      'rule triple-exists: rules[0].when',
      'rule lookbehind: rules[1].when',
      'rule string-plus-int: rules[2].when',
      'rule typo: rules[3].when',
    ])
    expect(lines.slice(1).every((line) => /\(line 1, column \d+\)$/.test(line))).toBe(true)
  })

  it('accepts int and double mixed as a rule author writes them (txn.amount > 10 * features.x)', async () => {
    const path = await file('numbers.json', {
      version: 3,
      thresholds: { review: 50, block: 90 },
      features: [{ name: 'x', entity: 'card', aggregate: 'avg', field: 'amount', window: '30d' }],
      rules: [rule('spike', 'has(features.x) && txn.amount > 10 * features.x')],
    })
    expect(await validateRules(path)).toMatchObject({ code: 0 })
  })
})
