import { describe, expect, it } from 'vitest'
import { applyTransaction, readFeatures, type EntityState } from '../../../functions/core/features/index.ts'
import type { Transaction } from '../../../functions/core/transaction.ts'
import { epoch, hour, minute, planOf, second, txnAt } from './fixtures.ts'

const plan = planOf(
  { name: 'merchants_10m', entity: 'card', aggregate: 'distinct', field: 'merchant.id', window: '10m' },
  { name: 'merchants_1h', entity: 'card', aggregate: 'distinct', field: 'merchant.id', window: '1h' },
  { name: 'countries_1h', entity: 'card', aggregate: 'distinct', field: 'merchant.country', window: '1h' },
)

const atMerchant = (time: number, id: string, country?: string) => txnAt(time, { merchant: country === undefined ? { id } : { id, country } })

function replay(txns: readonly Transaction[]): EntityState | undefined {
  let state: EntityState | undefined
  for (const txn of txns) state = applyTransaction(plan, 'card', state, txn)
  return state
}

describe('distinct', () => {
  it('counts each value once, however often it recurs', () => {
    const state = replay([atMerchant(epoch, 'a'), atMerchant(epoch + second, 'b'), atMerchant(epoch + 2 * second, 'a')])
    expect(readFeatures(plan, { card: state }, atMerchant(epoch + 3 * second, 'c'))).toMatchObject({ merchants_10m: 2, merchants_1h: 2 })
  })

  it('does not count a transaction that lacks the field', () => {
    const state = replay([atMerchant(epoch, 'a', 'FR'), atMerchant(epoch + second, 'b')])
    expect(readFeatures(plan, { card: state }, atMerchant(epoch + 2 * second, 'c')).countries_1h).toBe(1)
  })

  it('is 0 for an entity with no history', () => {
    expect(readFeatures(plan, {}, atMerchant(epoch, 'a'))).toEqual({ merchants_10m: 0, merchants_1h: 0, countries_1h: 0 })
  })

  it('saturates at the cap of 32 values, keeping the most recent ones and no more', () => {
    const state = replay(Array.from({ length: 50 }, (_, i) => atMerchant(epoch + i * second, `merchant-${i}`)))
    expect(readFeatures(plan, { card: state }, atMerchant(epoch + hour / 2, 'x')).merchants_1h).toBe(32)
    expect(state?.d?.['merchant.id/1m']).toHaveLength(64)
    const again = replay([
      ...Array.from({ length: 50 }, (_, i) => atMerchant(epoch + i * second, `merchant-${i}`)),
      atMerchant(epoch + minute, 'merchant-49'),
    ])
    expect(readFeatures(plan, { card: again }, atMerchant(epoch + minute + 1, 'x')).merchants_1h).toBe(32)
  })

  it('keeps a value until its bucket leaves the window, then forgets it', () => {
    // One 1h window alone: 6-minute buckets; `a` is at the very start of a bucket.
    const hourOnly = planOf({ name: 'merchants_1h', entity: 'card', aggregate: 'distinct', field: 'merchant.id', window: '1h' })
    const start = Math.ceil(epoch / (6 * minute)) * 6 * minute
    let state = applyTransaction(hourOnly, 'card', undefined, atMerchant(start, 'a'))
    const endOfTenthBucket = start + hour - 1
    state = applyTransaction(hourOnly, 'card', state, atMerchant(endOfTenthBucket, 'b'))
    expect(readFeatures(hourOnly, { card: state }, atMerchant(endOfTenthBucket, 'c')).merchants_1h).toBe(2)
    state = applyTransaction(hourOnly, 'card', state, atMerchant(start + hour, 'b'))
    expect(readFeatures(hourOnly, { card: state }, atMerchant(start + hour, 'c')).merchants_1h).toBe(1)
    expect(state.d?.['merchant.id/6m']).toHaveLength(2)
  })
})
