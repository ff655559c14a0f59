import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  applyTransaction,
  readFeatures,
  type EntityState,
  type FeatureDefinitionInput,
  type FeatureValues,
} from '../../../functions/core/features/index.ts'
import { hash32 } from '../../../functions/core/features/hash.ts'
import { bucketsPerWindow } from '../../../functions/core/features/window.ts'
import { epoch, hour, minute, planOf, second, txnAt } from './fixtures.ts'
import {
  distinctByLatest,
  eventsIn,
  exactAvg,
  exactCount,
  exactDistinct,
  exactMax,
  exactMin,
  exactSum,
  promisedEvents,
  type RawEvent,
} from './reference.ts'

// Odd widths on purpose: 7s has 700 ms buckets, and distinct over 90s/10m/1h shares a 3 s quantum.
const windows = { '7s': 7 * second, '90s': 90 * second, '10m': 10 * minute, '1h': hour } as const
const numeric = ['count', 'sum', 'avg', 'min', 'max'] as const
const plan = planOf(
  ...Object.keys(windows).flatMap((window): FeatureDefinitionInput[] => [
    ...numeric.map((aggregate): FeatureDefinitionInput =>
      aggregate === 'count'
        ? { name: `count_${window}`, entity: 'card', aggregate, window }
        : { name: `${aggregate}_${window}`, entity: 'card', aggregate, field: 'amount', window },
    ),
    { name: `distinct_${window}`, entity: 'card', aggregate: 'distinct', field: 'merchant.id', window },
  ]),
)

const merchants = Array.from({ length: 12 }, (_, i) => `merchant-${i}`)

const step = fc.record({
  advance: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 2 * second }) },
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 5 * minute }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 * hour }) },
  ),
  lateness: fc.oneof(
    { weight: 6, arbitrary: fc.constant(0) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 10 * minute }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 * hour }) },
  ),
  amount: fc.integer({ min: 0, max: 1_000_000 }),
  merchant: fc.constantFrom(...merchants),
})

/** Random event sequences: a clock moving forward, each event possibly late (out of order) by up to 3 h. */
const eventSequences = fc.array(step, { minLength: 1, maxLength: 60 }).map((steps) => {
  let clock = epoch
  return steps.map(({ advance, lateness, amount, merchant }): RawEvent => {
    clock += advance
    return { time: clock - lateness, amount, merchant }
  })
})

/** Replays events through the engine, handing each one's features (read before applying it) to `check`. */
function replay(events: readonly RawEvent[], check: (features: FeatureValues, seen: readonly RawEvent[], event: RawEvent) => void) {
  let state: EntityState | undefined
  const seen: RawEvent[] = []
  for (const event of events) {
    const txn = txnAt(event.time, { amount: event.amount, merchant: { id: event.merchant } })
    check(readFeatures(plan, { card: state }, txn), seen, event)
    state = applyTransaction(plan, 'card', state, txn)
    seen.push(event)
  }
}

const newestOf = (events: readonly RawEvent[]): number => Math.max(...events.map((event) => event.time))

describe('bucketed windows against a brute force over the raw events', () => {
  it('has no hash collision among the test merchants, so distinct is exact below the cap', () => {
    expect(new Set(merchants.map(hash32)).size).toBe(merchants.length)
  })

  it('every aggregate equals the exact aggregate over the events whose bucket the window reads', () => {
    fc.assert(
      fc.property(eventSequences, (events) => {
        replay(events, (features, seen, { time }) => {
          for (const [window, windowMs] of Object.entries(windows)) {
            const newest = seen.length === 0 ? time : newestOf(seen)
            const promised = promisedEvents(seen, windowMs, newest, time)
            expect(features[`count_${window}`]).toBe(exactCount(promised))
            expect(features[`sum_${window}`]).toBe(exactSum(promised))
            expect(features[`avg_${window}`]).toBe(exactAvg(promised))
            expect(features[`min_${window}`]).toBe(exactMin(promised))
            expect(features[`max_${window}`]).toBe(exactMax(promised))
            expect(features[`distinct_${window}`]).toBe(distinctByLatest(seen, windowMs, newest, time))
          }
        })
      }),
      { numRuns: 150 },
    )
  })

  it('in time order, count, sum and distinct lie between the exact values over (t − W + b, t] and (t − W, t], min and max likewise', () => {
    const inOrder = eventSequences.map((events) => [...events].sort((a, b) => a.time - b.time))
    fc.assert(
      fc.property(inOrder, (events) => {
        replay(events, (features, seen, { time }) => {
          for (const [window, windowMs] of Object.entries(windows)) {
            const inner = eventsIn(seen, time - windowMs + windowMs / bucketsPerWindow, time)
            const outer = eventsIn(seen, time - windowMs, time)
            for (const [name, exact] of [
              ['count', exactCount],
              ['sum', exactSum],
              ['distinct', exactDistinct],
            ] as const) {
              expect(features[`${name}_${window}`]).toBeGreaterThanOrEqual(exact(inner))
              expect(features[`${name}_${window}`]).toBeLessThanOrEqual(exact(outer))
            }
            if (inner.length > 0) {
              expect(features[`min_${window}`]).toBeGreaterThanOrEqual(exactMin(outer)!)
              expect(features[`min_${window}`]).toBeLessThanOrEqual(exactMin(inner)!)
              expect(features[`max_${window}`]).toBeGreaterThanOrEqual(exactMax(inner)!)
              expect(features[`max_${window}`]).toBeLessThanOrEqual(exactMax(outer)!)
            }
            if (outer.length === 0) expect(features).not.toHaveProperty(`avg_${window}`)
          }
        })
      }),
      { numRuns: 150 },
    )
  })

  it('out of order, count lies between the exact counts over (N − W + b, t] and (t − W, end of the bucket of t)', () => {
    fc.assert(
      fc.property(eventSequences, (events) => {
        replay(events, (features, seen, { time }) => {
          if (seen.length === 0 || time >= newestOf(seen)) return
          const newest = newestOf(seen)
          for (const [window, windowMs] of Object.entries(windows)) {
            const bucketMs = windowMs / bucketsPerWindow
            const endOfBucket = (Math.floor(time / bucketMs) + 1) * bucketMs
            const inner = eventsIn(seen, newest - windowMs + bucketMs, time)
            const outer = seen.filter((event) => event.time > time - windowMs && event.time < endOfBucket)
            expect(features[`count_${window}`]).toBeGreaterThanOrEqual(inner.length)
            expect(features[`count_${window}`]).toBeLessThanOrEqual(outer.length)
          }
        })
      }),
      { numRuns: 150 },
    )
  })
})
