import { describe, expect, it } from 'vitest'
import { applyTransaction, readFeatures, type EntityState } from '../../../functions/core/features/index.ts'
import type { Transaction } from '../../../functions/core/transaction.ts'
import { epoch, hour, minute, planOf, txnAt } from './fixtures.ts'

const plan = planOf(
  { name: 'count_1h', entity: 'card', aggregate: 'count', window: '1h' },
  { name: 'sum_1h', entity: 'card', aggregate: 'sum', field: 'amount', window: '1h' },
)
// 1h windows have 6-minute buckets; start on a bucket boundary so the examples read plainly.
const start = Math.ceil(epoch / (6 * minute)) * 6 * minute

function replay(txns: readonly Transaction[]): EntityState | undefined {
  let state: EntityState | undefined
  for (const txn of txns) state = applyTransaction(plan, 'card', state, txn)
  return state
}

describe('a bucketed window', () => {
  it('slides by whole buckets: an event counts until its bucket is more than 9 buckets old', () => {
    const state = replay([txnAt(start, { amount: 500 })])
    expect(readFeatures(plan, { card: state }, txnAt(start + hour - 1))).toMatchObject({ count_1h: 1, sum_1h: 500 })
    expect(readFeatures(plan, { card: state }, txnAt(start + hour))).toMatchObject({ count_1h: 0, sum_1h: 0 })
  })

  it('covers at least W − b: an event 54 minutes old still counts, wherever in its bucket the window ends', () => {
    const state = replay([txnAt(start + 5 * minute)])
    expect(readFeatures(plan, { card: state }, txnAt(start + 59 * minute)).count_1h).toBe(1)
  })

  it('files an out-of-order event in its own bucket', () => {
    const state = replay([txnAt(start + 50 * minute, { amount: 1 }), txnAt(start + 2 * minute, { amount: 10 })])
    expect(readFeatures(plan, { card: state }, txnAt(start + 55 * minute)).sum_1h).toBe(11)
    expect(readFeatures(plan, { card: state }, txnAt(start + hour + 10 * minute)).sum_1h).toBe(1)
  })

  it('drops an event too late for any window, and prunes expired buckets', () => {
    const state = replay([txnAt(start + 2 * hour), txnAt(start)])
    expect(state?.w).toEqual({ '1h:cs': [1, 1_000] })
    const later = replay([txnAt(start), txnAt(start + 3 * hour)])
    expect(later?.w).toEqual({ '1h:cs': [1, 1_000] })
  })

  it('reads an out-of-order transaction’s window up to its own bucket only', () => {
    const state = replay([txnAt(start + minute, { amount: 1 }), txnAt(start + 30 * minute, { amount: 10 })])
    expect(readFeatures(plan, { card: state }, txnAt(start + 10 * minute)).sum_1h).toBe(1)
  })
})
