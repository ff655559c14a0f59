import { readFileSync, statSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { sampleOptions } from '../../../examples/sample.ts'
import { generateTraffic } from '../../../local/traffic/index.ts'
import { accepted } from './fixtures.ts'

const file = (name: string) => new URL(`../../../examples/${name}`, import.meta.url)
const linesOf = (name: string) => readFileSync(file(name), 'utf8').split('\n').slice(0, -1)

describe('examples/', () => {
  const transactions = linesOf('transactions.jsonl')
  const labels = linesOf('labels.jsonl').map((line) => JSON.parse(line) as { transactionId: string; fraud: boolean })

  it('holds what examples/generate.ts writes today (else run `npx node examples/generate.ts`)', () => {
    const events = [...generateTraffic(sampleOptions)]
    expect(transactions).toEqual(events.map((e) => e.line))
    expect(labels).toEqual(events.flatMap((e) => (e.kind === 'valid' ? [{ transactionId: e.transaction.transactionId, fraud: e.fraud }] : [])))
  })

  it('labels every accepted transaction once, and covers two days with some of every kind of line', () => {
    const ids = new Set<string>()
    let rejected = 0
    for (const line of transactions) {
      if (accepted(line)) ids.add((JSON.parse(line) as { transactionId: string }).transactionId)
      else rejected++
    }
    expect(new Set(labels.map((l) => l.transactionId))).toEqual(ids)
    expect(labels).toHaveLength(ids.size)
    expect(rejected).toBeGreaterThan(0)
    expect(transactions.length - ids.size - rejected).toBeGreaterThan(0)
    expect(labels.some((l) => l.fraud)).toBe(true)
    expect(statSync(file('transactions.jsonl')).size + statSync(file('labels.jsonl')).size).toBeLessThan(2_000_000)
  })
})
