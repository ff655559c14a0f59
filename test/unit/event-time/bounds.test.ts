import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { acceptEventTime, defaultEventTime, eventTimeBounds, rangeAround } from '../../../functions/core/event-time.ts'
import { planFeatures, trustedAt, type FeatureDefinition } from '../../../functions/core/features/index.ts'
import { parseTransaction, type Transaction } from '../../../functions/core/transaction.ts'
import { compiled, defaultRuleSet } from '../../support/scenario.ts'
import { testKey, wireExample } from '../../support/transactions.ts'

const day = 86_400_000
const arrival = Date.parse('2026-11-24T12:00:00Z')
const bounds = eventTimeBounds(compiled(defaultRuleSet()).plan, defaultEventTime)
const range = rangeAround(arrival, bounds, "the record's arrival")

function txnAt(occurredAt: string): Transaction {
  const parsed = parseTransaction(wireExample({ occurredAt }), testKey)
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error))
  return parsed.value
}

describe('event-time bounds (core/event-time.ts)', () => {
  it('under the default rules: a minute ahead of arrival, 35 days (the largest window: 28 days lagged 7) behind', () => {
    expect(bounds).toEqual({ maxAheadMs: 60_000, maxAgeMs: 35 * day })
  })

  it('a configured maximum age applies only below the largest window; without windows it is the only bound', () => {
    const windows: FeatureDefinition[] = [{ name: 'c', entity: 'card', aggregate: 'count', window: 7 * day }]
    expect(eventTimeBounds(planFeatures(windows), { maxAheadMs: 0, maxAgeMs: day }).maxAgeMs).toBe(day)
    expect(eventTimeBounds(planFeatures(windows), { maxAheadMs: 0, maxAgeMs: 90 * day }).maxAgeMs).toBe(7 * day)
    expect(eventTimeBounds(planFeatures([]), { maxAheadMs: 0 }).maxAgeMs).toBe(Infinity)
    expect(eventTimeBounds(planFeatures([]), { maxAheadMs: 0, maxAgeMs: day }).maxAgeMs).toBe(day)
  })

  it('accepts the bounds themselves and refuses a millisecond beyond, naming the bound and never the value', () => {
    expect(acceptEventTime(txnAt('2026-11-24T12:01:00.000Z'), range).ok).toBe(true)
    expect(acceptEventTime(txnAt('2026-10-20T12:00:00.000Z'), range).ok).toBe(true)
    expect(acceptEventTime(txnAt('2026-11-24T12:01:00.001Z'), range)).toEqual({
      ok: false,
      error: { code: 'event_time_skew', issues: [{ path: 'occurredAt', message: "must not be after 2026-11-24T12:01:00.000Z: the record's arrival plus the allowed skew" }] },
    })
    expect(acceptEventTime(txnAt('2026-10-20T11:59:59.999Z'), range)).toEqual({
      ok: false,
      error: { code: 'event_time_skew', issues: [{ path: 'occurredAt', message: "must not be before 2026-10-20T12:00:00.000Z: the record's arrival minus the maximum age" }] },
    })
    const far = acceptEventTime(txnAt('9999-12-31T23:59:59Z'), range)
    expect(JSON.stringify(far)).not.toContain('9999')
  })

  it('reads the offset: 23:30 at -12:00 is the next day in UTC, beyond a midday arrival', () => {
    expect(acceptEventTime(txnAt('2026-11-24T11:00:00+14:00'), range).ok).toBe(true)
    expect(acceptEventTime(txnAt('2026-11-24T23:30:00-12:00'), range).ok).toBe(false)
  })

  it('property: accepted exactly when arrival − max age ≤ event time ≤ arrival + skew', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (date) => {
        const time = date.getTime()
        expect(acceptEventTime(txnAt(date.toISOString()), range).ok).toBe(time >= arrival - 35 * day && time <= arrival + 60_000)
      }),
    )
  })
})

describe('zone offsets of occurredAt (what localHour() reads)', () => {
  it.each(['+14:00', '-12:00', '+05:45', '-09:30', 'Z'])('accepts %s, an offset some place uses', (zone) => {
    expect(parseTransaction(wireExample({ occurredAt: `2026-11-24T03:15:30${zone}` }), testKey).ok).toBe(true)
  })

  it.each(['+14:01', '+15:00', '+23:00', '-12:01', '-13:00', '-23:59'])('refuses %s, which no place uses, at occurredAt', (zone) => {
    expect(parseTransaction(wireExample({ occurredAt: `2026-11-24T03:15:30${zone}` }), testKey)).toMatchObject({
      ok: false,
      error: { code: 'invalid_transaction', issues: [{ path: 'occurredAt', message: 'must have a zone offset from -12:00 to +14:00, the offsets of real places' }] },
    })
  })
})

describe('trustedAt: a stored state anchored in the future', () => {
  const clock = arrival
  it('is dropped for a fresh state at the clock, since every real event would be late to it', () => {
    expect(trustedAt({ t: Date.parse('9999-12-31T23:59:59Z'), w: { '10m:c': [3] } }, clock, 60_000)).toEqual({ t: clock })
  })
  it('is kept as it is within the allowed skew', () => {
    const state = { t: clock + 60_000, w: { '10m:c': [3] } }
    expect(trustedAt(state, clock, 60_000)).toBe(state)
  })
})
