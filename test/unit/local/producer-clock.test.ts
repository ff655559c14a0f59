import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { eventClock } from '../../../local/producer.ts'

const week = 7 * 86_400_000
const started = Date.parse('2026-12-03T18:00:00Z')

describe("the demo producer's event clock", () => {
  it('starts a week behind and runs 60 times faster, a minute a second', () => {
    expect(eventClock(started, 60, started)).toBe(started - week)
    expect(eventClock(started, 60, started + 1_000)).toBe(started - week + 60_000)
  })

  it('never runs ahead of the wall clock, however long the demo runs (the scorer refuses event times after arrival)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * 86_400_000 }), fc.integer({ min: 1, max: 3600 }), (elapsed, speed) => {
        const now = started + elapsed
        const t = eventClock(started, speed, now)
        expect(t).toBeLessThanOrEqual(now)
        expect(eventClock(started, speed, now + 1_000)).toBeGreaterThanOrEqual(t)
      }),
    )
    // Three hours in at 60×, the uncapped clock would be twelve hours ahead.
    expect(eventClock(started, 60, started + 3 * 3_600_000)).toBe(started + 3 * 3_600_000)
  })
})
