import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { applyLabel, applyTransaction, applyTransactionInPlace, type EntityKind, type EntityState, type FeatureDefinitionInput } from '../../../functions/core/features/index.ts'
import { deepFreeze, epoch, hour, minute, planOf, second, txnAt } from './fixtures.ts'

// Two rule-set versions over the same entities: B drops a window, adds a lagged one, reads another
// distinct width and stops tracking devices, so a state written under one is applied under the other.
const common: FeatureDefinitionInput[] = [
  { name: 'count_10m', entity: 'card', aggregate: 'count', window: '10m' },
  { name: 'frauds_1h_lag_3h', entity: 'card', aggregate: 'fraud_rate', window: '1h', lag: '3h' },
  { name: 'flagged', entity: 'card', aggregate: 'flagged_before' },
  { name: 'kmh', entity: 'card', aggregate: 'kmh_from_last' },
]
const plans = {
  a: planOf(
    ...common,
    { name: 'max_1h', entity: 'card', aggregate: 'max', field: 'amount', window: '1h' },
    { name: 'avg_90s', entity: 'card', aggregate: 'avg', field: 'amount', window: '90s' },
    { name: 'merchants_90s', entity: 'card', aggregate: 'distinct', field: 'merchant.id', window: '90s' },
    { name: 'devices_10m', entity: 'card', aggregate: 'distinct', field: 'device.id', window: '10m' },
    { name: 'new_device', entity: 'account', aggregate: 'device_first_seen' },
    { name: 'account_count_1h', entity: 'account', aggregate: 'count', window: '1h' },
  ),
  b: planOf(
    ...common,
    { name: 'min_10m_lag_20m', entity: 'card', aggregate: 'min', field: 'amount', window: '10m', lag: '20m' },
    { name: 'merchants_10m', entity: 'card', aggregate: 'distinct', field: 'merchant.id', window: '10m' },
    { name: 'account_frauds_1h', entity: 'account', aggregate: 'fraud_count', window: '1h' },
  ),
}

type Step =
  | { kind: 'event'; advance: number; lateness: number; amount: number; merchant: number; device: number | undefined; located: boolean }
  | { kind: 'label'; of: number; delta: 1 | -1 }
  | { kind: 'plan'; to: keyof typeof plans }

const steps: fc.Arbitrary<Step[]> = fc.array(
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        kind: fc.constant('event' as const),
        // From bursts within a bucket to gaps that empty every window (sets emptied, series trimmed to nothing).
        advance: fc.oneof(fc.integer({ min: 0, max: 20 * second }), fc.integer({ min: 0, max: 30 * minute }), fc.integer({ min: 0, max: 8 * hour })),
        lateness: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 5 * hour }) }),
        amount: fc.integer({ min: 0, max: 100_000 }),
        merchant: fc.integer({ min: 0, max: 40 }),
        device: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
        located: fc.boolean(),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('label' as const), of: fc.nat(), delta: fc.constantFrom(1 as const, -1 as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('plan' as const), to: fc.constantFrom('a' as const, 'b' as const) }) },
  ),
  { minLength: 1, maxLength: 120 },
)

const kinds: readonly EntityKind[] = ['card', 'account']

describe('applyTransactionInPlace', () => {
  it('gives what applyTransaction gives, member for member and byte for byte as stored, after any events, labels and rule-set changes', () => {
    fc.assert(
      fc.property(steps, (script) => {
        let plan = plans.a
        const pure: Partial<Record<EntityKind, EntityState>> = {}
        const owned: Partial<Record<EntityKind, EntityState>> = {}
        const times: number[] = []
        let clock = epoch
        for (const step of script) {
          if (step.kind === 'plan') {
            plan = plans[step.to]
            continue
          }
          if (step.kind === 'label') {
            if (times.length === 0) continue
            const time = times[step.of % times.length]!
            // As MemoryScorer does: a label is applied purely, and the state it returns (sharing
            // the arrays it did not change) is then updated in place again.
            for (const kind of kinds) {
              pure[kind] = applyLabel(plan, kind, pure[kind]!, time, step.delta)
              owned[kind] = applyLabel(plan, kind, owned[kind]!, time, step.delta)
            }
          } else {
            clock += step.advance
            const time = clock - step.lateness
            times.push(time)
            const txn = txnAt(time, {
              amount: step.amount,
              merchant: { id: `merchant-${step.merchant}` },
              accountId: 'account-1',
              ...(step.device === undefined ? {} : { device: { id: `device-${step.device}` } }),
              ...(step.located ? { location: { lat: (step.amount % 180) - 90, lon: (step.merchant * 9) % 360 - 180 } } : {}),
            })
            for (const kind of kinds) {
              // Frozen: the pure function must not touch its input, whatever the in-place one does.
              pure[kind] = applyTransaction(plan, kind, deepFreeze(pure[kind]), txn, time)
              owned[kind] = applyTransactionInPlace(plan, kind, owned[kind], txn, time)
            }
          }
          for (const kind of kinds) {
            expect(owned[kind]).toStrictEqual(pure[kind])
            expect(JSON.stringify(owned[kind])).toBe(JSON.stringify(pure[kind]))
          }
        }
      }),
      { numRuns: 300 },
    )
  })

  it('updates the state it is given and returns it, allocating no new arrays for an entity it has seen', () => {
    const plan = plans.a
    let state: EntityState | undefined
    for (let i = 0; i < 3; i++) state = applyTransactionInPlace(plan, 'card', state, txnAt(epoch + i * second, { location: { lat: 1, lon: 2 } }))
    const before = { state: state!, w: state!.w!, d: state!.d!, series: Object.values(state!.w!), sets: Object.values(state!.d!), l: state!.l! }
    const after = applyTransactionInPlace(plan, 'card', state, txnAt(epoch + 4 * second, { location: { lat: 3, lon: 4 } }))
    expect(after).toBe(before.state)
    expect(after.w).toBe(before.w)
    expect(after.d).toBe(before.d)
    expect(after.l).toBe(before.l)
    expect(Object.values(after.w!)).toEqual(before.series)
    Object.values(after.w!).forEach((series, i) => expect(series).toBe(before.series[i]))
    Object.values(after.d!).forEach((set, i) => expect(set).toBe(before.sets[i]))
    expect(after.l).toEqual([0, 3, 4])
  })
})
