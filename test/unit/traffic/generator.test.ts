import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseTransaction } from '../../../functions/core/transaction.ts'
import { testKey } from '../../support/transactions.ts'
import { cities, createPopulation, distanceKm, generateTraffic, type MalformedEvent, type TrafficEvent } from '../../../local/traffic/index.ts'
import { accepted, collect, localHour, start, timeOf } from './fixtures.ts'

const shares = { fraudShare: 0.04, malformedShare: 0.02, duplicateShare: 0.015, outOfOrderShare: 0.03 }
const events = collect({ count: 60_000, ...shares })
const valid = events.filter((e) => e.kind === 'valid')
const ofKind = (kind: TrafficEvent['kind']) => events.filter((e) => e.kind === kind)

describe('generateTraffic', () => {
  it('yields exactly `count` events', () => {
    expect(events).toHaveLength(60_000)
    expect(collect({ count: 0 })).toHaveLength(0)
    expect(collect({ count: 1 })).toHaveLength(1)
  })

  it('is deterministic: the same seed gives the same lines, another seed other lines', () => {
    const lines = (seed: number) => [...generateTraffic({ seed, start, cards: 500, count: 3_000, ...shares })].map((e) => e.line)
    expect(lines(42)).toEqual(lines(42))
    const other = lines(43)
    expect(other).not.toEqual(lines(42))
    const first = new Set(lines(42))
    expect(other.filter((line) => first.has(line))).toHaveLength(0)
  })

  it('writes valid lines the pipeline parses, each line being the JSON of its transaction', () => {
    for (const e of valid) {
      expect(e.line).toBe(JSON.stringify(e.transaction))
      const parsed = parseTransaction(JSON.parse(e.line), testKey)
      expect(parsed.ok, e.line).toBe(true)
    }
  })

  it('writes malformed lines the pipeline rejects, with every kind of producer bug', () => {
    const malformed = events.filter((e): e is MalformedEvent => e.kind === 'malformed')
    for (const e of malformed) {
      expect(accepted(e.line), `${e.defect}: ${e.line}`).toBe(false)
      expect(e.transaction).toBeUndefined()
      expect(e.fraud).toBe(false)
    }
    expect(new Set(malformed.map((e) => e.defect)).size).toBeGreaterThanOrEqual(14)
  })

  it('repeats an earlier valid line verbatim as a duplicate, with its label', () => {
    const seen = new Map<string, TrafficEvent>()
    let duplicates = 0
    for (const e of events) {
      if (e.kind === 'valid') seen.set(e.line, e)
      if (e.kind === 'duplicate') {
        duplicates++
        const original = seen.get(e.line)
        expect(original, e.line).toBeDefined()
        expect(e.transaction).toEqual(original!.transaction)
        expect(e.fraud).toBe(original!.fraud)
      }
    }
    expect(duplicates).toBeGreaterThan(0)
  })

  it('gives every transaction a unique id of the form tx-<seed>-<n>', () => {
    const ids = valid.map((e) => e.transaction!.transactionId)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) expect(id).toMatch(/^tx-42-\d+$/)
  })

  it('respects the requested shares within a tolerance', () => {
    const n = events.length
    const within = (actual: number, expected: number, tolerance = 0.2) => {
      expect(actual).toBeGreaterThan(expected * (1 - tolerance))
      expect(actual).toBeLessThan(expected * (1 + tolerance))
    }
    within(ofKind('malformed').length / n, shares.malformedShare)
    within(ofKind('duplicate').length / n, shares.duplicateShare)
    within(valid.filter((e) => e.fraud).length / valid.length, shares.fraudShare, 0.25)
    // Only episodes carry fraud, and all their events do.
    for (const e of valid) expect(e.fraud).toBe(e.scenario !== undefined)
  })

  it('emits in event-time order but for the configured share of late arrivals, a few seconds to minutes late', () => {
    let latest = -Infinity
    let late = 0
    for (const e of valid) {
      const t = timeOf(e.transaction!)
      if (t < latest) {
        late++
        expect(latest - t).toBeLessThan(15 * 60_000)
        expect(e.fraud).toBe(false)
      }
      latest = Math.max(latest, t)
    }
    expect(late / valid.length).toBeGreaterThan(shares.outOfOrderShare * 0.8)
    expect(late / valid.length).toBeLessThan(shares.outOfOrderShare * 1.2)

    const ordered = collect({ count: 20_000, outOfOrderShare: 0, fraudShare: 0.05 }).filter((e) => e.kind === 'valid')
    for (let i = 1; i < ordered.length; i++) expect(timeOf(ordered[i]!.transaction!)).toBeGreaterThanOrEqual(timeOf(ordered[i - 1]!.transaction!))
  })

  it('spaces events at about ratePerSecond and stops at durationMs', () => {
    const hour = 3_600_000
    const rated = collect({ count: 20_000, ratePerSecond: 5, outOfOrderShare: 0 })
    const span = timeOf(rated.findLast((e) => e.transaction !== undefined)!.transaction!) - start.getTime()
    // 20,000 events at 5/s: about 4,000 s, give or take the daily rhythm.
    expect(span / 1000).toBeGreaterThan(2_000)
    expect(span / 1000).toBeLessThan(8_000)

    const day = [...generateTraffic({ seed: 1, start, cards: 500, durationMs: 24 * hour, ratePerSecond: 0.1 })]
    expect(day.length).toBeGreaterThan(8_640 * 0.8)
    expect(day.length).toBeLessThan(8_640 * 1.2)
    for (const e of day) if (e.transaction) expect(timeOf(e.transaction)).toBeLessThan(start.getTime() + 24 * hour)
  })

  it('follows a daily rhythm in local time: far more by day than at night', () => {
    const byHour = new Array<number>(24).fill(0)
    for (const e of valid) if (!e.fraud) byHour[localHour(e.transaction!)]!++
    const day = byHour.slice(10, 20).reduce((a, b) => a + b, 0) / 10
    const night = byHour.slice(1, 5).reduce((a, b) => a + b, 0) / 4
    expect(day / night).toBeGreaterThan(8)
  })

  it("writes card-present times in the zone of the shop's city", () => {
    const offsets = new Map(cities.map((c) => [c.name, c.utcOffsetMinutes]))
    for (const e of valid.slice(0, 5_000)) {
      const txn = e.transaction!
      if (txn.channel !== 'card_present') continue
      const nearest = [...cities].sort((a, b) => distanceKm(a.lat, a.lon, txn.location!.lat, txn.location!.lon) - distanceKm(b.lat, b.lon, txn.location!.lat, txn.location!.lon))[0]!
      const minutes = offsets.get(nearest.name)!
      const suffix = txn.occurredAt.slice(23)
      const written = suffix === 'Z' ? 0 : (suffix.startsWith('-') ? -1 : 1) * (Number(suffix.slice(1, 3)) * 60 + Number(suffix.slice(4, 6)))
      expect(written).toBe(minutes)
      expect(txn.occurredAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$/)
    }
  })

  it('mixes channels like card traffic: mostly in shops, then online, ATMs, a little mail order', () => {
    const channels = new Map<string, number>()
    for (const e of valid) if (!e.fraud) channels.set(e.transaction!.channel, (channels.get(e.transaction!.channel) ?? 0) + 1)
    const share = (c: string) => (channels.get(c) ?? 0) / valid.length
    expect(share('card_present')).toBeGreaterThan(0.5)
    expect(share('ecommerce')).toBeGreaterThan(0.2)
    expect(share('atm')).toBeGreaterThan(0.03)
    expect(share('moto')).toBeGreaterThan(0)
  })

  it('takes a population built beforehand, with the same result as building it', () => {
    const population = createPopulation({ seed: 42, cards: 500 })
    const a = [...generateTraffic({ seed: 42, start, count: 2_000, population })].map((e) => e.line)
    const b = [...generateTraffic({ seed: 42, start, count: 2_000, cards: 500 })].map((e) => e.line)
    expect(a).toEqual(b)
  })

  it('refuses options that make no sense, when called', () => {
    const take = (options: Parameters<typeof generateTraffic>[0]) => () => generateTraffic(options)
    expect(take({ seed: 1.5, start, count: 1, cards: 10 })).toThrow(RangeError)
    expect(take({ seed: 1, start: new Date('nope'), count: 1, cards: 10 })).toThrow(RangeError)
    expect(take({ seed: 1, start, count: 1, cards: 10, fraudShare: 1 })).toThrow(RangeError)
    expect(take({ seed: 1, start, count: 1, cards: 10, malformedShare: 0.6, duplicateShare: 0.5 })).toThrow(RangeError)
    expect(take({ seed: 1, start, count: 1, cards: 10, ratePerSecond: 0 })).toThrow(RangeError)
    expect(take({ seed: 1, start, count: 1, cards: 10, scenarioWeights: { card_testing: -1 } })).toThrow(RangeError)
  })

  it('keeps its promises for any seed and any mix of shares (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 3, max: 300 }),
        fc.double({ min: 0, max: 0.3, noNaN: true }),
        fc.double({ min: 0, max: 0.2, noNaN: true }),
        fc.double({ min: 0, max: 0.2, noNaN: true }),
        (seed, cards, fraudShare, malformedShare, duplicateShare) => {
          const ids = new Set<string>()
          const validLines = new Set<string>()
          for (const e of generateTraffic({ seed, start, cards, count: 400, fraudShare, malformedShare, duplicateShare, outOfOrderShare: 0.05 })) {
            if (e.kind === 'malformed') expect(accepted(e.line)).toBe(false)
            else expect(accepted(e.line)).toBe(true)
            if (e.kind === 'valid') {
              expect(ids.has(e.transaction.transactionId)).toBe(false)
              ids.add(e.transaction.transactionId)
              validLines.add(e.line)
            }
            if (e.kind === 'duplicate') expect(validLines.has(e.line)).toBe(true)
          }
        },
      ),
      { numRuns: 40 },
    )
  })
})
