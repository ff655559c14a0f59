import { describe, expect, it } from 'vitest'
import type { WireTransaction } from '../../../functions/core/transaction.ts'
import { createPopulation, distanceKm, riskyMccs, scenarioNames, type ScenarioName, type ValidEvent } from '../../../local/traffic/index.ts'
import { collect, localHour, panOf, timeOf } from './fixtures.ts'

const minute = 60_000
const hour = 60 * minute
const cards = 2_000
const population = createPopulation({ seed: 42, cards })
const holderByPan = new Map(population.cardholders.map((h) => [h.pan, h]))
const events = collect({ count: 80_000, cards, fraudShare: 0.05 })
const valid = events.filter((e): e is ValidEvent => e.kind === 'valid')
const lastTime = Math.max(...valid.map((e) => timeOf(e.transaction)))

/** Episodes by number, in emission order; only those that started 6 h before the end (all their events are out). */
const episodes = new Map<number, ValidEvent[]>()
for (const e of valid) if (e.episode !== undefined) episodes.set(e.episode, [...(episodes.get(e.episode) ?? []), e])
const complete = (scenario: ScenarioName) =>
  [...episodes.values()].filter((list) => list[0]!.scenario === scenario && timeOf(list[0]!.transaction) < lastTime - 6 * hour)

/** Valid transactions of a card that happened before `time` (the history a feature reads). */
const historyOf = (pan: string, time: number): WireTransaction[] =>
  valid.filter((e) => panOf(e.transaction) === pan && timeOf(e.transaction) < time).map((e) => e.transaction)

const km = (a: WireTransaction, b: WireTransaction) => distanceKm(a.location!.lat, a.location!.lon, b.location!.lat, b.location!.lon)

describe('fraud episodes', () => {
  it('injects every scenario, labels all their events fraud and nothing else', () => {
    for (const scenario of scenarioNames) expect(complete(scenario).length, scenario).toBeGreaterThanOrEqual(10)
    for (const list of episodes.values()) {
      expect(new Set(list.map((e) => e.scenario)).size).toBe(1)
      for (const e of list) expect(e.fraud).toBe(true)
    }
  })

  it('card_testing: 4–8 online probes of at most 2.00 at distinct merchants within minutes, from one device', () => {
    for (const list of complete('card_testing')) {
      const txns = list.map((e) => e.transaction)
      expect(txns.length).toBeGreaterThanOrEqual(4)
      expect(txns.length).toBeLessThanOrEqual(8)
      expect(new Set(txns.map(panOf)).size).toBe(1)
      expect(new Set(txns.map((t) => t.merchant.id)).size).toBe(txns.length)
      expect(new Set(txns.map((t) => t.device?.id)).size).toBe(1)
      for (const t of txns) {
        expect(t.amount).toBeGreaterThanOrEqual(1)
        expect(t.amount).toBeLessThanOrEqual(200)
        expect(t.channel).toBe('ecommerce')
      }
      const times = txns.map(timeOf)
      expect(Math.max(...times) - Math.min(...times)).toBeLessThan(10 * minute)
      // What the card-testing rule reads at the fourth probe: ≥ 3 distinct merchants, all small, in 10 min.
      const before = historyOf(panOf(txns[0]!), times[3]!).filter((t) => timeOf(t) > times[3]! - 10 * minute)
      expect(new Set(before.map((t) => t.merchant.id)).size).toBeGreaterThanOrEqual(3)
    }
  })

  it('account_takeover: a device and IP the account never used, 500.00 or more on the first transaction', () => {
    for (const list of complete('account_takeover')) {
      const first = list[0]!.transaction
      expect(first.amount).toBeGreaterThanOrEqual(50_000)
      expect(first.channel).toBe('ecommerce')
      const earlier = valid.filter((e) => e.transaction.accountId === first.accountId && timeOf(e.transaction) < timeOf(first))
      expect(earlier.some((e) => e.transaction.device?.id === first.device!.id)).toBe(false)
      expect(earlier.some((e) => e.transaction.device?.ip === first.device!.ip)).toBe(false)
      for (const e of list) expect(e.transaction.device).toEqual(first.device)
    }
  })

  it('impossible_travel: at home, then 40–90 minutes later in a city over 900 km/h away', () => {
    for (const list of complete('impossible_travel')) {
      const [home, away] = list.map((e) => e.transaction)
      expect(away).toBeDefined()
      const holder = holderByPan.get(panOf(home!))!
      expect(distanceKm(population.cities[holder.city]!.lat, population.cities[holder.city]!.lon, home!.location!.lat, home!.location!.lon)).toBeLessThan(20)
      const hours = (timeOf(away!) - timeOf(home!)) / hour
      expect(hours).toBeGreaterThanOrEqual(40 / 60)
      expect(hours).toBeLessThanOrEqual(1.5)
      expect(km(home!, away!)).toBeGreaterThan(100)
      expect(km(home!, away!) / hours).toBeGreaterThan(900)
      for (const t of [home!, away!]) expect(t.channel).toBe('card_present')
    }
  })

  it('spend_spike: a card with history spends over 15 times its typical amount and 10 times its average', () => {
    for (const list of complete('spend_spike')) {
      const spike = list[0]!.transaction
      const holder = holderByPan.get(panOf(spike))!
      expect(spike.amount).toBeGreaterThan(15 * holder.typicalAmount)
      const history = historyOf(holder.pan, timeOf(spike))
      expect(history.length).toBeGreaterThanOrEqual(5)
      const average = history.reduce((sum, t) => sum + t.amount, 0) / history.length
      expect(spike.amount).toBeGreaterThan(10 * average)
    }
  })

  it('compromised_merchant: three or more cards at one shop within an hour, then those cards spent elsewhere', () => {
    for (const list of complete('compromised_merchant')) {
      const txns = list.map((e) => e.transaction)
      const shop = txns[0]!.merchant.id
      const setup = txns.filter((t) => t.merchant.id === shop)
      const victims = new Set(setup.map(panOf))
      expect(victims.size).toBeGreaterThanOrEqual(3)
      const setupTimes = setup.map(timeOf)
      expect(Math.max(...setupTimes) - Math.min(...setupTimes)).toBeLessThan(hour)
      const fraud = txns.filter((t) => t.merchant.id !== shop)
      expect(new Set(fraud.map(panOf))).toEqual(victims)
      for (const t of fraud) {
        expect(timeOf(t)).toBeGreaterThan(Math.max(...setupTimes))
        expect(t.channel).toBe('ecommerce')
      }
    }
  })

  it('risky_mcc_night: gambling, quasi-cash, transfers or top-ups between 01:00 and 05:00 local time', () => {
    for (const list of complete('risky_mcc_night')) {
      for (const { transaction } of list) {
        expect(riskyMccs).toContain(transaction.merchant.mcc)
        expect(localHour(transaction)).toBeGreaterThanOrEqual(1)
        expect(localHour(transaction)).toBeLessThan(5)
      }
    }
  })
})
