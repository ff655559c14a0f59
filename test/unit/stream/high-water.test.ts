import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { foldEntity, type EntityItem, type StreamTransaction } from '../../../functions/core/stream/batch.ts'
import { formatMark, liveMarks, markLifetimeMs, parseMark } from '../../../functions/core/stream/high-water.ts'
import { parseTransaction } from '../../../functions/core/transaction.ts'
import { compiled, defaultRuleSet, history } from '../../support/scenario.ts'
import { testKey } from '../../support/transactions.ts'

const rules = compiled(defaultRuleSet())
const hour = 3_600_000
const day = 24 * hour
/** What the event source mapping guarantees (Lambda's cap on MaximumRecordAgeInSeconds): no older record is handed over. */
const maxRecordAgeMs = 7 * day
const start = Date.parse('2026-11-24T12:00:00.000Z')

const txn = (() => {
  const parsed = parseTransaction(history('2026-11-24T10:00:00Z', [{ at: 0, amount: 100 }])[0]!, testKey)
  if (!parsed.ok) throw new Error('bad fixture')
  return parsed.value
})()
const record = (shard: number, seq: number): StreamTransaction => ({
  position: { shardId: `shardId-${String(shard).padStart(12, '0')}`, sequenceNumber: String(1000 + seq), subSequenceNumber: 0 },
  txn,
})

describe('high-water marks', () => {
  it('drop a shard’s mark once no record at or below it can be handed over again, so a closed shard does not stay on the item', () => {
    const first = foldEntity(rules, 'card', undefined, [record(0, 1)], start)!.item
    const later = foldEntity(rules, 'card', first, [record(1, 1)], start + markLifetimeMs + 1)!.item
    expect(Object.keys(later.highWater)).toEqual(['shardId-000000000001'])
  })

  it('keep a mark as long as a redelivery below it is possible', () => {
    const first = foldEntity(rules, 'card', undefined, [record(0, 1)], start)!.item
    const later = foldEntity(rules, 'card', first, [record(1, 1)], start + markLifetimeMs)!.item
    expect(Object.keys(later.highWater).sort()).toEqual(['shardId-000000000000', 'shardId-000000000001'])
    expect(foldEntity(rules, 'card', later, [record(0, 1)], start + markLifetimeMs)).toBeUndefined()
  })

  it('give a mark stored without a time the time of the write, so it ages out from there', () => {
    const legacy = { 'shardId-000000000000': '1001:0' }
    expect(liveMarks(legacy, start)).toEqual({ 'shardId-000000000000': formatMark({ sequenceNumber: '1001', subSequenceNumber: 0 }, start) })
    expect(parseMark('1001:3')).toEqual({ position: { sequenceNumber: '1001', subSequenceNumber: 3 }, markedAt: undefined })
  })

  it('outlive the longest record age the event source mapping allows', () => {
    expect(markLifetimeMs).toBeGreaterThanOrEqual(maxRecordAgeMs + day)
  })

  /**
   * A model of what one entity sees: shards open and close over weeks; each delivers its records in
   * order, and any record still within the maximum record age may be handed over again (a retry, a
   * bisected batch, a second consumer). The clock steps forward by up to three days at a time, and
   * containers' clocks may disagree by up to an hour. Each record must be counted exactly once, and
   * marks are pruned along the way.
   */
  it('property: with pruning, every record is counted exactly once under any redelivery the stream allows', () => {
    type Step = { kind: 'advance'; ms: number } | { kind: 'deliver'; shard: number } | { kind: 'redeliver'; shard: number; back: number } | { kind: 'close'; shard: number }
    const step: fc.Arbitrary<Step> = fc.oneof(
      { arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(0, hour, day / 2, day, 2 * day, 3 * day) }), weight: 2 },
      { arbitrary: fc.record({ kind: fc.constant('deliver' as const), shard: fc.nat(2) }), weight: 3 },
      { arbitrary: fc.record({ kind: fc.constant('redeliver' as const), shard: fc.nat(2), back: fc.nat(4) }), weight: 3 },
      { arbitrary: fc.record({ kind: fc.constant('close' as const), shard: fc.nat(2) }), weight: 1 },
    )
    fc.assert(
      fc.property(fc.array(step, { minLength: 10, maxLength: 60, size: 'max' }), fc.integer({ min: -hour, max: hour }), (steps, skew) => {
        let now = start
        let item: EntityItem | undefined
        let nextShard = 3
        /** Open shard per slot, and per shard its records' arrival times in order. */
        const slots = [0, 1, 2]
        const arrivals = new Map<number, number[]>()
        const counted = new Map<string, number>()
        const apply = (shard: number, seq: number, clock: number) => {
          const write = foldEntity(rules, 'card', item, [record(shard, seq)], clock)
          if (!write) return
          item = write.item
          const id = `${shard}/${seq}`
          counted.set(id, (counted.get(id) ?? 0) + 1)
        }
        steps.forEach((s, i) => {
          // Every other batch runs in a container whose clock is off by `skew`.
          const clock = now + (i % 2 === 0 ? 0 : skew)
          if (s.kind === 'advance') now += s.ms
          else if (s.kind === 'close') slots[s.shard] = nextShard++
          else {
            const shard = slots[s.shard]!
            const times = arrivals.get(shard) ?? []
            if (s.kind === 'deliver') {
              times.push(now)
              arrivals.set(shard, times)
              apply(shard, times.length - 1, clock)
            } else {
              const seq = times.length - 1 - s.back
              if (seq >= 0 && now - times[seq]! <= maxRecordAgeMs) apply(shard, seq, clock)
            }
          }
        })
        const delivered = [...arrivals].flatMap(([shard, times]) => times.map((_, seq) => `${shard}/${seq}`))
        expect([...counted.keys()].sort()).toEqual(delivered.sort())
        expect([...counted.values()].every((n) => n === 1)).toBe(true)
      }),
      { numRuns: 500 },
    )
  })
})
