import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  applyTransaction,
  entityStateSchema,
  readFeatures,
  type EntityKind,
  type EntityState,
  type FeatureDefinitionInput,
  type FeatureValues,
} from '../../../functions/core/features/index.ts'
import type { Transaction } from '../../../functions/core/transaction.ts'
import { day, deepFreeze, epoch, hour, minute, planOf, txnAt } from './fixtures.ts'

const everyWindow = ['10m', '1h', '24h', '7d', '30d'] as const

/** Every aggregate over every window, plus the card and account built-ins. */
const busyPlan = planOf(
  ...everyWindow.flatMap((window): FeatureDefinitionInput[] => [
    { name: `count_${window}`, entity: 'card', aggregate: 'count', window },
    ...(['sum', 'avg', 'min', 'max'] as const).map(
      (aggregate): FeatureDefinitionInput => ({ name: `${aggregate}_${window}`, entity: 'card', aggregate, field: 'amount', window }),
    ),
    { name: `merchants_${window}`, entity: 'card', aggregate: 'distinct', field: 'merchant.id', window },
  ]),
  { name: 'secs', entity: 'card', aggregate: 'seconds_since_last' },
  { name: 'km', entity: 'card', aggregate: 'km_from_last' },
  { name: 'kmh', entity: 'card', aggregate: 'kmh_from_last' },
  { name: 'new_device', entity: 'account', aggregate: 'device_first_seen' },
  { name: 'account_sum_24h', entity: 'account', aggregate: 'sum', field: 'amount', window: '24h' },
)
const kinds: EntityKind[] = ['card', 'account']

const transactions = fc
  .array(
    fc.record({
      advance: fc.integer({ min: 0, max: 6 * hour }),
      lateness: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40 * day })),
      amount: fc.integer({ min: 0, max: 5_000_000 }),
      merchant: fc.integer({ min: 0, max: 40 }),
      device: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
      location: fc.option(fc.record({ lat: fc.double({ min: -90, max: 90, noNaN: true }), lon: fc.double({ min: -180, max: 180, noNaN: true }) }), {
        nil: undefined,
      }),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((steps) => {
    let clock = epoch
    return steps.map(({ advance, lateness, amount, merchant, device, location }) => {
      clock += advance
      return txnAt(clock - lateness, {
        amount,
        accountId: 'account-1',
        merchant: { id: `merchant-${merchant}` },
        ...(device === undefined ? {} : { device: { id: `device-${device}` } }),
        ...(location === undefined ? {} : { location }),
      })
    })
  })

type States = Partial<Record<EntityKind, EntityState>>

/** Scores and applies each transaction in turn; `store` is what a state goes through between transactions. */
function replay(txns: readonly Transaction[], store: (state: EntityState) => EntityState = (state) => state) {
  let states: States = {}
  const features: FeatureValues[] = []
  const history: States[] = []
  for (const txn of txns) {
    features.push(readFeatures(busyPlan, states, txn))
    const next: States = {}
    for (const kind of kinds) next[kind] = store(applyTransaction(busyPlan, kind, states[kind], txn))
    states = next
    history.push(states)
  }
  return { features, history }
}

describe('entity state', () => {
  it('is never modified by applying or reading a transaction', () => {
    fc.assert(
      fc.property(transactions, transactions, (earlier, later) => {
        const { history } = replay(earlier)
        const states = deepFreeze(history.at(-1)!)
        const before = JSON.stringify(states)
        for (const txn of later.map(deepFreeze)) {
          readFeatures(busyPlan, states, txn)
          for (const kind of kinds) applyTransaction(busyPlan, kind, states[kind], txn)
        }
        expect(JSON.stringify(states)).toBe(before)
      }),
      { numRuns: 100 },
    )
  })

  it('is deterministic: the same transactions give the same states and features', () => {
    fc.assert(
      fc.property(transactions, (txns) => {
        expect(JSON.stringify(replay(txns))).toBe(JSON.stringify(replay(txns)))
      }),
      { numRuns: 100 },
    )
  })

  it('survives a JSON round trip (validated on load) between any two transactions without changing a result', () => {
    const throughJson = (state: EntityState) => entityStateSchema.parse(JSON.parse(JSON.stringify(state)))
    fc.assert(
      fc.property(transactions, (txns) => {
        const direct = replay(txns)
        const stored = replay(txns, throughJson)
        expect(stored.features).toEqual(direct.features)
        // As JSON: storage cannot tell −0 from 0 in a coordinate, and neither can any feature.
        expect(JSON.stringify(stored.history)).toBe(JSON.stringify(direct.history))
      }),
      { numRuns: 100 },
    )
  })

  it('rejects a malformed stored state', () => {
    const valid = { t: epoch, w: { '1h:cs': [2, 300, 0, 0, 1, 50] }, d: { 'merchant.id/6m': [12345, 3] } }
    expect(entityStateSchema.safeParse(valid).success).toBe(true)
    for (const invalid of [
      { ...valid, t: 'yesterday' },
      { ...valid, w: { '1h:cs': [2, 300, 0] } },
      { ...valid, w: { '1h:cs': [1.5, 300] } },
      { ...valid, w: { hourly: [1] } },
      { ...valid, d: { 'merchant.id/6m': [12345] } },
      { ...valid, l: [0, 91, 0] },
      { ...valid, extra: 1 },
    ]) {
      expect(entityStateSchema.safeParse(invalid).success).toBe(false)
    }
  })
})

describe('state size', () => {
  /** The largest JSON size the card's state reaches over 40 days of transactions `gap` apart on average. */
  function largestCardState(plan: typeof busyPlan, gap: number): number {
    let seed = 42
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
    let state: EntityState | undefined
    let largest = 0
    for (let time = epoch; time < epoch + 40 * day; time += Math.floor(random() * 2 * gap)) {
      const txn = txnAt(time, {
        amount: Math.floor(random() * 1_000_000),
        merchant: { id: `merchant-${Math.floor(random() * 500)}` },
        location: { lat: 48.8566 + random(), lon: 2.3522 + random() },
      })
      state = applyTransaction(plan, 'card', state, txn)
      largest = Math.max(largest, JSON.stringify(state).length)
    }
    return largest
  }

  it('stays under 2 KB for a card paying every 2 minutes with every aggregate over 10m, 1h, 24h, 7d and 30d', () => {
    expect(largestCardState(busyPlan, 2 * minute)).toBeLessThan(2_048)
  })

  it('stays under 1 KB for a typical card under the default rule set’s card features', () => {
    const typical = planOf(
      { name: 'card_count_10m', entity: 'card', aggregate: 'count', window: '10m' },
      { name: 'card_count_1h', entity: 'card', aggregate: 'count', window: '1h' },
      { name: 'card_distinct_merchants_10m', entity: 'card', aggregate: 'distinct', field: 'merchant.id', window: '10m' },
      { name: 'card_max_amount_10m', entity: 'card', aggregate: 'max', field: 'amount', window: '10m' },
      { name: 'card_count_30d', entity: 'card', aggregate: 'count', window: '30d' },
      { name: 'card_avg_amount_30d', entity: 'card', aggregate: 'avg', field: 'amount', window: '30d' },
      { name: 'card_km_from_last', entity: 'card', aggregate: 'km_from_last' },
      { name: 'card_kmh_from_last', entity: 'card', aggregate: 'kmh_from_last' },
    )
    expect(largestCardState(typical, 4 * hour)).toBeLessThan(1_024)
  })
})
