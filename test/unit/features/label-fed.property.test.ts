import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { applyLabel, applyTransaction, featureDefinitionSchema, readFeatures, type EntityState, type FeatureDefinitionInput } from '../../../functions/core/features/index.ts'
import { bucketsPerWindow } from '../../../functions/core/features/window.ts'
import { deepFreeze, epoch, hour, minute, planOf, txnAt } from './fixtures.ts'
import { bucketIndex, type RawEvent } from './reference.ts'

// A 10m window lagged by nothing, by less than a bucket, by a few buckets and by its full nine windows.
const windowMs = 10 * minute
const lags = { l0: 0, l45s: 45_000, l25m: 25 * minute, l90m: 90 * minute } as const
const lagText = { l0: undefined, l45s: '45s', l25m: '25m', l90m: '90m' } as const
const plan = planOf(
  ...Object.keys(lags).flatMap((lag): FeatureDefinitionInput[] => {
    const l = lagText[lag as keyof typeof lags]
    const common = { entity: 'card' as const, window: '10m', ...(l === undefined ? {} : { lag: l }) }
    return [
      { name: `count_${lag}`, aggregate: 'count', ...common },
      { name: `frauds_${lag}`, aggregate: 'fraud_count', ...common },
      { name: `rate_${lag}`, aggregate: 'fraud_rate', ...common },
    ]
  }),
  { name: 'flagged', entity: 'card', aggregate: 'flagged_before' },
)
const keep = bucketsPerWindow + Math.ceil(lags.l90m / (windowMs / bucketsPerWindow))

type Step = { kind: 'event'; advance: number; lateness: number } | { kind: 'label'; of: number; fraud: boolean }

const steps = fc.array(
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('event' as const),
        advance: fc.oneof(fc.integer({ min: 0, max: 90_000 }), fc.integer({ min: 0, max: 40 * minute })),
        lateness: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 * hour }) }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('label' as const), of: fc.nat(), fraud: fc.boolean() }) },
  ),
  { minLength: 1, maxLength: 80 },
)

/**
 * Replays events and labels; before each event, checks its label-fed features against a brute
 * force over the raw events: those whose bucket the (lagged) window reads, with their label as
 * known at that moment.
 */
function replay(script: readonly Step[]) {
  let state: EntityState | undefined
  let clock = epoch
  const seen: RawEvent[] = []
  const fraud: boolean[] = []
  for (const step of script) {
    if (step.kind === 'label') {
      if (seen.length === 0) continue
      const i = step.of % seen.length
      // Only a change of "is fraud" moves the counts (core/labels/ resolves duplicates and flips).
      const was = fraud[i] === true
      fraud[i] = step.fraud
      if (was !== step.fraud) state = applyLabel(plan, 'card', deepFreeze(state!), seen[i]!.time, step.fraud ? 1 : -1)
      continue
    }
    clock += step.advance
    const time = clock - step.lateness
    const features = readFeatures(plan, { card: state }, txnAt(time))
    const newest = seen.length === 0 ? time : Math.max(...seen.map((event) => event.time))
    for (const [name, lagMs] of Object.entries(lags)) {
      const last = bucketIndex(time - lagMs, windowMs)
      const first = Math.max(last - bucketsPerWindow + 1, bucketIndex(newest, windowMs) - keep + 1)
      const read = seen.flatMap((event, i) => {
        const index = bucketIndex(event.time, windowMs)
        return index >= first && index <= last ? [i] : []
      })
      const frauds = read.filter((i) => fraud[i] === true).length
      expect(features[`count_${name}`]).toBe(read.length)
      expect(features[`frauds_${name}`]).toBe(frauds)
      expect(features[`rate_${name}`]).toBe(read.length === 0 ? 0 : frauds / read.length)
    }
    // flagged_before counts every confirmed fraud the entity ever had, whatever its age.
    expect(features.flagged).toBe(fraud.some((f) => f))
    state = applyTransaction(plan, 'card', state === undefined ? undefined : deepFreeze(state), txnAt(time))
    seen.push({ time, amount: 1_000, merchant: 'm' })
  }
}

describe('label-fed windows against a brute force over the raw events and labels', () => {
  it('fraud_count, fraud_rate and count read, with any lag, exactly the labelled events of the buckets of (t − lag − W, t − lag]', () => {
    fc.assert(fc.property(steps, (script) => replay(script)), { numRuns: 300 })
  })
})

describe('label-fed feature definitions', () => {
  it('refuses a lag beyond nine windows, and a lag on distinct', () => {
    expect(featureDefinitionSchema.safeParse({ name: 'x', entity: 'merchant', aggregate: 'fraud_rate', window: '1d', lag: '9d' }).success).toBe(true)
    const tooFar = featureDefinitionSchema.safeParse({ name: 'x', entity: 'merchant', aggregate: 'fraud_rate', window: '1d', lag: '10d' })
    expect(tooFar.error?.issues[0]).toMatchObject({ path: ['lag'], message: 'must be at most 9 times the window' })
    const distinct = featureDefinitionSchema.safeParse({ name: 'x', entity: 'card', aggregate: 'distinct', field: 'merchant.id', window: '1h', lag: '1h' })
    expect(distinct.error?.issues[0]?.path).toEqual(['lag'])
  })

  it('a lagged window reaches back its width plus its lag, which bounds event age and retention', () => {
    expect(planOf({ name: 'r', entity: 'merchant', aggregate: 'fraud_rate', window: '28d', lag: '7d' }).largestWindowMs).toBe(35 * 86_400_000)
    expect(planOf({ name: 'r', entity: 'merchant', aggregate: 'fraud_rate', window: '28d', lag: '7d' }).labelFed).toBe(true)
    expect(planOf({ name: 'c', entity: 'merchant', aggregate: 'count', window: '28d' }).labelFed).toBe(false)
  })

  it('a label leaves a state without label-fed features as it is (the same object: no write)', () => {
    const unlabelled = planOf({ name: 'c', entity: 'card', aggregate: 'count', window: '1h' })
    const state = applyTransaction(unlabelled, 'card', undefined, txnAt(epoch))
    expect(applyLabel(unlabelled, 'card', state, epoch, 1)).toBe(state)
  })
})
