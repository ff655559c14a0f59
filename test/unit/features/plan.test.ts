import { describe, expect, it } from 'vitest'
import { applyTransaction, entityKeys, planFeatures, readFeatures, type EntityState } from '../../../functions/core/features/index.ts'
import { epoch, minute, planOf, txnAt } from './fixtures.ts'

const located = { lat: 48.8566, lon: 2.3522 }
const fullTxn = (time: number) =>
  txnAt(time, {
    accountId: 'account-1',
    device: { id: 'device-1', ip: '203.0.113.7' },
    merchant: { id: 'merchant-1', mcc: '5411', country: 'FR' },
    location: located,
  })

describe('entityKeys', () => {
  it('keys each entity by its field: card token, account id, device id, device ip, merchant id', () => {
    expect(entityKeys(fullTxn(epoch))).toEqual({
      card: 'card-token-0000000001',
      account: 'account-1',
      device: 'device-1',
      ip: '203.0.113.7',
      merchant: 'merchant-1',
    })
  })

  it('leaves out the entities a transaction lacks', () => {
    expect(entityKeys(txnAt(epoch))).toEqual({ card: 'card-token-0000000001', merchant: 'merchant-1' })
    expect(entityKeys(txnAt(epoch, { device: { ip: '203.0.113.7' } }))).toEqual({
      card: 'card-token-0000000001',
      ip: '203.0.113.7',
      merchant: 'merchant-1',
    })
  })
})

describe('planFeatures', () => {
  it('tracks only the entity kinds that have a feature', () => {
    const plan = planOf(
      { name: 'ip_count_1h', entity: 'ip', aggregate: 'count', window: '1h' },
      { name: 'new_device', entity: 'account', aggregate: 'device_first_seen' },
    )
    expect(plan.entities).toEqual(['account', 'ip'])
  })

  it('maintains only what the declared features need', () => {
    const countOnly = planOf({ name: 'count_1h', entity: 'card', aggregate: 'count', window: '1h' })
    const state = applyTransaction(countOnly, 'card', undefined, fullTxn(epoch))
    expect(state).toEqual({ t: epoch, w: { '1h:c': [1] } })
    expect(readFeatures(countOnly, { card: state }, fullTxn(epoch + minute))).toEqual({ count_1h: 1 })
  })

  it('keeps one series per window, shared by all its aggregates', () => {
    const plan = planOf(
      { name: 'count_1h', entity: 'card', aggregate: 'count', window: '1h' },
      { name: 'sum_1h', entity: 'card', aggregate: 'sum', field: 'amount', window: '60m' },
      { name: 'avg_1h', entity: 'card', aggregate: 'avg', field: 'amount', window: '3600s' },
    )
    const state = applyTransaction(plan, 'card', undefined, fullTxn(epoch))
    expect(state.w).toEqual({ '1h:cs': [1, 1_000] })
  })

  it('rejects two features with one name', () => {
    const count = { name: 'n', entity: 'card', aggregate: 'count', window: 3_600_000 } as const
    expect(() => planFeatures([count, count])).toThrow(/declared twice/)
  })
})

describe('readFeatures', () => {
  const plan = planOf(
    { name: 'card_count_1h', entity: 'card', aggregate: 'count', window: '1h' },
    { name: 'card_sum_1h', entity: 'card', aggregate: 'sum', field: 'amount', window: '1h' },
    { name: 'card_avg_1h', entity: 'card', aggregate: 'avg', field: 'amount', window: '1h' },
    { name: 'card_min_1h', entity: 'card', aggregate: 'min', field: 'amount', window: '1h' },
    { name: 'card_max_1h', entity: 'card', aggregate: 'max', field: 'amount', window: '1h' },
    { name: 'device_count_1h', entity: 'device', aggregate: 'count', window: '1h' },
  )

  it('gives 0 for count and sum of an empty window and leaves avg, min and max absent', () => {
    expect(readFeatures(plan, {}, fullTxn(epoch))).toEqual({ card_count_1h: 0, card_sum_1h: 0, device_count_1h: 0 })
  })

  it('describes history without the transaction being scored', () => {
    const state = applyTransaction(plan, 'card', undefined, txnAt(epoch, { amount: 300 }))
    expect(readFeatures(plan, { card: state }, txnAt(epoch + minute, { amount: 9_999 }))).toMatchObject({
      card_count_1h: 1,
      card_sum_1h: 300,
      card_avg_1h: 300,
      card_min_1h: 300,
      card_max_1h: 300,
    })
  })

  it('reads an entity the transaction lacks as an empty history, even with a state at hand', () => {
    const device = applyTransaction(plan, 'device', undefined, fullTxn(epoch))
    expect(readFeatures(plan, { device }, fullTxn(epoch + minute))).toHaveProperty('device_count_1h', 1)
    expect(readFeatures(plan, { device }, txnAt(epoch + minute))).toHaveProperty('device_count_1h', 0)
  })
})

describe('a new rule-set version', () => {
  const before = planOf(
    { name: 'count_1h', entity: 'card', aggregate: 'count', window: '1h' },
    { name: 'count_24h', entity: 'card', aggregate: 'count', window: '24h' },
    { name: 'merchants_24h', entity: 'card', aggregate: 'distinct', field: 'merchant.id', window: '24h' },
  )
  const after = planOf(
    { name: 'count_1h', entity: 'card', aggregate: 'count', window: '1h' },
    { name: 'count_24h', entity: 'card', aggregate: 'count', window: '24h' },
    { name: 'sum_24h', entity: 'card', aggregate: 'sum', field: 'amount', window: '24h' },
  )
  let state: EntityState | undefined
  for (let i = 0; i < 3; i++) state = applyTransaction(before, 'card', state, fullTxn(epoch + i * minute))

  it('keeps the history of unchanged windows and restarts a window whose aggregates changed', () => {
    expect(readFeatures(after, { card: state }, fullTxn(epoch + 10 * minute))).toEqual({ count_1h: 3, count_24h: 0, sum_24h: 0 })
  })

  it('drops the data of features it no longer declares on the next apply', () => {
    const next = applyTransaction(after, 'card', state, fullTxn(epoch + 10 * minute))
    expect(Object.keys(next.w ?? {})).toEqual(['1h:c', '1d:cs'])
    expect(next).not.toHaveProperty('d')
  })
})
