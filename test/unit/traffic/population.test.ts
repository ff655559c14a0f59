import { describe, expect, it } from 'vitest'
import { luhnValid } from '../../../functions/core/pan.ts'
import { cities, distanceKm } from '../../../local/traffic/cities.ts'
import { createPopulation, riskyMccs, withLuhnDigit } from '../../../local/traffic/population.ts'
import { withLuhnDigit as referenceLuhnDigit } from '../../support/transactions.ts'

const population = createPopulation({ seed: 7, cards: 2_000 })

describe('createPopulation', () => {
  it('gives every cardholder a unique, Luhn-valid 16-digit card under a Visa- or Mastercard-like BIN', () => {
    expect(population.cardholders).toHaveLength(2_000)
    const pans = population.cardholders.map((h) => h.pan)
    expect(new Set(pans).size).toBe(pans.length)
    for (const pan of pans) {
      expect(pan).toMatch(/^(4\d{5}|5[1-5]\d{4})\d{10}$/)
      expect(luhnValid(pan)).toBe(true)
    }
  })

  it('computes the Luhn check digit like the test support does', () => {
    for (const body of ['411111111111111', '555555555555444', '453201511283036', '12345']) {
      expect(withLuhnDigit(body)).toBe(referenceLuhnDigit(body))
    }
  })

  it('gives cardholders an account, one or two devices on IPv4, a home city, a typical spend and favourites', () => {
    const accounts = new Set<string>()
    for (const h of population.cardholders) {
      accounts.add(h.accountId)
      expect(h.devices.length).toBeGreaterThanOrEqual(1)
      expect(h.devices.length).toBeLessThanOrEqual(2)
      for (const d of h.devices) {
        expect(d.id).toMatch(/^dev-[0-9a-f]{10}$/)
        expect(d.ip).toMatch(/^10\.\d{1,3}\.\d{1,3}\.\d{1,3}$/)
      }
      expect(cities[h.city]).toBeDefined()
      expect(population.byCity[h.city]).toContain(h.index)
      expect(h.typicalAmount).toBeGreaterThanOrEqual(100)
      expect(h.favouriteLocal.length).toBeGreaterThan(0)
      for (const m of h.favouriteLocal) {
        expect(population.merchants[m]!.city).toBe(h.city)
        expect(population.merchants[m]!.risky).toBe(false)
      }
      for (const m of h.favouriteOnline) expect(population.merchants[m]!.kind).toBe('online')
    }
    expect(accounts.size).toBe(2_000)
  })

  it('spreads people over ~20 real cities by weight, all cities inhabited at this size', () => {
    expect(cities.length).toBeGreaterThanOrEqual(20)
    expect(population.byCity.every((holders) => holders.length > 0)).toBe(true)
    const paris = cities.findIndex((c) => c.name === 'Paris')
    const helsinki = cities.findIndex((c) => c.name === 'Helsinki')
    expect(population.byCity[paris]!.length).toBeGreaterThan(population.byCity[helsinki]!.length)
    // Sanity of the coordinates: Paris–New York is about 5,840 km.
    const ny = cities.find((c) => c.name === 'New York')!
    expect(distanceKm(cities[paris]!.lat, cities[paris]!.lon, ny.lat, ny.lon)).toBeGreaterThan(5_700)
    expect(distanceKm(cities[paris]!.lat, cities[paris]!.lon, ny.lat, ny.lon)).toBeLessThan(6_000)
  })

  it('has mostly everyday merchants, shops located near their city, a few risky ones, and online shops without a location', () => {
    const { merchants } = population
    const ids = new Set(merchants.map((m) => m.id))
    expect(ids.size).toBe(merchants.length)
    for (const m of merchants) {
      expect(m.mcc).toMatch(/^\d{4}$/)
      expect(m.country).toMatch(/^[A-Z]{2}$/)
      if (m.kind === 'online') expect(m.location).toBeUndefined()
      else {
        const city = cities[m.city!]!
        expect(m.country).toBe(city.country)
        expect(distanceKm(city.lat, city.lon, m.location!.lat, m.location!.lon)).toBeLessThan(20)
      }
    }
    const risky = merchants.filter((m) => (riskyMccs as readonly string[]).includes(m.mcc))
    expect(risky.length).toBeGreaterThan(0)
    expect(risky.length / merchants.length).toBeLessThan(0.1)
    for (const mcc of ['5411', '5812', '5999', '5541', '4111', '5732', '6011']) expect(merchants.some((m) => m.mcc === mcc)).toBe(true)
    expect(population.online.smallTicket.length).toBeGreaterThanOrEqual(8)
    expect(population.online.highValue.length).toBeGreaterThan(0)
    expect(population.online.risky.length).toBeGreaterThan(0)
  })

  it('is a function of the seed', () => {
    const again = createPopulation({ seed: 7, cards: 2_000 })
    expect(again.cardholders.map((h) => h.pan)).toEqual(population.cardholders.map((h) => h.pan))
    expect(again.merchants.map((m) => m.wire)).toEqual(population.merchants.map((m) => m.wire))
    const other = createPopulation({ seed: 8, cards: 2_000 })
    expect(other.cardholders.map((h) => h.pan)).not.toEqual(population.cardholders.map((h) => h.pan))
  })

  it('refuses a population without cards', () => {
    expect(() => createPopulation({ seed: 1, cards: 0 })).toThrow(RangeError)
    expect(() => createPopulation({ seed: 1, cards: 1.5 })).toThrow(RangeError)
  })
})
