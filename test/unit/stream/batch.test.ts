import { describe, expect, it } from 'vitest'
import { MemoryScorer } from '../../../functions/core/memory-scorer.ts'
import type { EntityKey } from '../../../functions/core/scoring.ts'
import { decideBatch, entityWrites, foldEntity, type BatchInput, type EntityItem, type StreamTransaction } from '../../../functions/core/stream/batch.ts'
import { formatMark } from '../../../functions/core/stream/high-water.ts'
import { parseTransaction, type WireTransaction } from '../../../functions/core/transaction.ts'
import { compiled, defaultRuleSet, history } from '../../support/scenario.ts'
import { testKey } from '../../support/transactions.ts'

const rules = compiled(defaultRuleSet())
const decidedAt = '2026-11-24T12:00:00.000Z'
const markedAt = Date.parse(decidedAt)

const parsed = (wire: WireTransaction) => {
  const result = parseTransaction(wire, testKey)
  if (!result.ok) throw new Error('bad fixture')
  return result.value
}

const at = (seq: number, wire: WireTransaction, shardId = 'shardId-000000000000'): StreamTransaction => ({
  position: { shardId, sequenceNumber: String(1000 + seq), subSequenceNumber: 0 },
  txn: parsed(wire),
})

const burst = history('2026-11-24T10:00:00Z', [0, 1, 2, 3].map((m) => ({ at: m, amount: 100, merchant: { id: `m-${m}` } })))
const input = (records: StreamTransaction[], over: Partial<BatchInput> = {}): BatchInput => ({
  ruleSet: rules,
  records,
  decisions: new Map(),
  entities: new Map(),
  decidedAt,
  ...over,
})

/** What the pure core decides on the same transactions, once each, in order. */
const groundTruth = (wires: WireTransaction[]) => {
  const scorer = new MemoryScorer(rules)
  return wires.map((w) => scorer.score(parsed(w), decidedAt))
}

describe('decideBatch', () => {
  it('decides new records in order, each seeing the ones before it, like the pure core', () => {
    const records = burst.map((w, i) => at(i, w))
    const fates = decideBatch(input(records))
    expect(fates.map((f) => f.kind)).toEqual(['decide', 'decide', 'decide', 'decide'])
    expect(fates.map((f) => (f.kind === 'duplicate' ? undefined : f.decision))).toEqual(groundTruth(burst))
  })

  it('treats a repeated transaction id in the batch as a duplicate of its first record', () => {
    const records = [at(0, burst[0]!), at(1, burst[1]!), at(2, burst[1]!), at(3, burst[2]!), at(4, burst[3]!)]
    const fates = decideBatch(input(records))
    expect(fates[2]).toEqual({ kind: 'duplicate', of: records[1]!.position })
    expect(fates.filter((f) => f.kind === 'decide').map((f) => (f as { decision: unknown }).decision)).toEqual(groundTruth(burst))
  })

  it('skips a transaction decided from another record (a producer retry) and recognizes its own earlier decision', () => {
    const [first] = decideBatch(input([at(0, burst[0]!)]))
    if (first?.kind !== 'decide') throw new Error('expected a new decision')
    const stored = { decision: first.decision, source: at(0, burst[0]!).position }
    const retry = decideBatch(input([at(7, burst[0]!)], { decisions: new Map([['tx-0', stored]]) }))
    const redelivery = decideBatch(input([at(0, burst[0]!)], { decisions: new Map([['tx-0', stored]]) }))
    expect(retry[0]).toEqual({ kind: 'duplicate', of: stored.source })
    expect(redelivery[0]).toEqual({ kind: 'decided', decision: stored.decision })
  })
})

describe('entityWrites', () => {
  it('writes each entity once per batch, however many of its records the batch holds', () => {
    const records = burst.map((w, i) => at(i, w))
    const writes = entityWrites(input(records), decideBatch(input(records)))
    const cards = writes.filter((w) => w.kind === 'card')
    expect(cards).toHaveLength(1)
    expect(cards[0]).toMatchObject({ expectedVersion: undefined, firstRecord: 0, item: { version: 1, highWater: { 'shardId-000000000000': `1003:0@${markedAt}` } } })
  })

  it('counts only the prefix it is asked for, so a failed batch commits what precedes the failure', () => {
    const records = burst.map((w, i) => at(i, w))
    const writes = entityWrites(input(records), decideBatch(input(records)), 2)
    expect(writes.find((w) => w.kind === 'card')?.item.highWater['shardId-000000000000']).toBe(`1001:0@${markedAt}`)
  })

  it('does not count duplicates, nor records the stored high-water mark already covers', () => {
    const records = burst.map((w, i) => at(i, w))
    const all = entityWrites(input(records), decideBatch(input(records)))
    const card = all.find((w) => w.kind === 'card')!
    // The same batch again, after the card was written: nothing left to count for the card.
    const stored = new Map<EntityKey, EntityItem>([[card.key, card.item]])
    const again = input(records, { entities: stored })
    expect(entityWrites(again, decideBatch(again)).find((w) => w.kind === 'card')).toBeUndefined()
    const withDuplicate = [...records, at(9, burst[0]!)]
    expect(entityWrites(input(withDuplicate), decideBatch(input(withDuplicate))).find((w) => w.kind === 'card')?.records).toHaveLength(4)
  })
})

describe('foldEntity', () => {
  it('recomputes a write on a fresher item, skipping what another consumer already counted', () => {
    const records = burst.map((w, i) => at(i, w))
    const firstTwo = foldEntity(rules, 'card', undefined, records.slice(0, 2), markedAt)!
    const rest = foldEntity(rules, 'card', firstTwo.item, records, markedAt)!
    const inOneGo = foldEntity(rules, 'card', undefined, records, markedAt)!
    expect(rest.expectedVersion).toBe(1)
    expect(rest.item.state).toEqual(inOneGo.item.state)
    expect(rest.item.highWater).toEqual({ 'shardId-000000000000': formatMark(records[3]!.position, markedAt) })
    expect(foldEntity(rules, 'card', inOneGo.item, records, markedAt)).toBeUndefined()
  })
})
