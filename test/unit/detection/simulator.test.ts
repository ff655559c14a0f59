import { describe, expect, it } from 'vitest'
import { publishedDataset } from '../../../bench/detection/published.ts'
import {
  expectedTransactionSpread,
  expectedTransactionsGivenProfiles,
  handbookConfig,
  keptTimeShare,
  scenarios,
  simulate,
  type SimulatorConfig,
} from '../../../bench/detection/simulator.ts'

/** Small enough to run in a second, dense enough that most customers have a few terminals (≈ 4.7) and some none. */
const small: SimulatorConfig = { customers: 300, terminals: 600, days: 40, startDate: '2018-04-01', radius: 5, seed: 11 }
const data = simulate(small)
const txns = data.transactions

describe('handbook simulator', () => {
  it('is deterministic in its seed', () => {
    const again = simulate(small).transactions
    expect(again.count).toBe(txns.count)
    expect(again.amountCents).toEqual(txns.amountCents)
    expect(again.fraud).toEqual(txns.fraud)
    expect(simulate({ ...small, seed: 12 }).transactions.amountCents).not.toEqual(txns.amountCents)
  })

  it('draws customer profiles in the handbook ranges, std half the mean', () => {
    const c = data.customers
    for (let i = 0; i < small.customers; i++) {
      expect(c.meanAmount[i]).toBeGreaterThanOrEqual(5)
      expect(c.meanAmount[i]).toBeLessThan(100)
      expect(c.stdAmount[i]).toBe(c.meanAmount[i]! / 2)
      expect(c.meanTxPerDay[i]).toBeLessThan(4)
    }
    expect(c.terminals.some((list) => list.length === 0)).toBe(true)
  })

  it('sorts transactions by time inside their day, at terminals within the customer’s radius', () => {
    for (let i = 0; i < txns.count; i++) {
      if (i > 0) expect(txns.seconds[i]).toBeGreaterThanOrEqual(txns.seconds[i - 1]!)
      const inDay = txns.seconds[i]! - txns.day[i]! * 86_400
      expect(inDay > 0 && inDay < 86_400).toBe(true)
      const c = txns.customer[i]!
      const t = txns.terminal[i]!
      expect(Math.hypot(data.customers.x[c]! - data.terminals.x[t]!, data.customers.y[c]! - data.terminals.y[t]!)).toBeLessThan(small.radius)
    }
  })

  it('gives the Poisson count its profiles imply, within four standard deviations', () => {
    const mean = expectedTransactionsGivenProfiles(small, data.customers)
    expect(Math.abs(txns.count - mean)).toBeLessThan(4 * Math.sqrt(mean))
  })

  it('keeps the share of N(noon, 20,000 s) times that fall inside the day', () => {
    expect(keptTimeShare()).toBeCloseTo(0.9692, 3)
  })

  it('labels scenario 1 exactly the amounts over 220 that no later scenario relabelled', () => {
    for (let i = 0; i < txns.count; i++) {
      if (txns.fraud[i] === 0) expect(txns.amountCents[i]).toBeLessThanOrEqual(scenarios.amountThresholdCents)
      if (txns.scenario[i] === 1) expect(txns.amountCents[i]).toBeGreaterThan(scenarios.amountThresholdCents)
    }
    expect(data.fraudsByScenario[1]).toBeGreaterThan(0)
  })

  it('makes every transaction at a compromised terminal fraudulent for 28 days from the draw, and only those scenario 2', () => {
    const compromisedAt = (t: number, day: number) =>
      data.compromised.terminals.some((drawn, d) => drawn.includes(t) && day >= d && day < d + scenarios.terminalCompromiseDays)
    let inCompromise = 0
    for (let i = 0; i < txns.count; i++) {
      const hit = compromisedAt(txns.terminal[i]!, txns.day[i]!)
      if (hit) inCompromise++
      if (hit) expect(txns.fraud[i]).toBe(1)
      if (txns.scenario[i] === 2) expect(hit).toBe(true)
    }
    expect(inCompromise).toBeGreaterThan(0)
    // Every day but the last draws 2 distinct terminals.
    expect(data.compromised.terminals).toHaveLength(small.days - 1)
    for (const drawn of data.compromised.terminals) expect(new Set(drawn).size).toBe(2)
  })

  it('multiplies a third of a compromised customer’s next 14 days of transactions by 5', () => {
    let drawnThirds = 0
    for (const [d, drawn] of data.compromised.customers.entries()) {
      let n = 0
      for (let i = 0; i < txns.count; i++) if (drawn.includes(txns.customer[i]!) && txns.day[i]! >= d && txns.day[i]! < d + scenarios.customerCompromiseDays) n++
      drawnThirds += Math.floor(n / 3)
    }
    let scenario3 = 0
    for (let i = 0; i < txns.count; i++) {
      if (txns.scenario[i] !== 3) continue
      scenario3++
      expect(txns.amountCents[i]! % scenarios.amountMultiplier).toBe(0)
      const c = txns.customer[i]!
      const day = txns.day[i]!
      expect(data.compromised.customers.some((drawn, d) => drawn.includes(c) && day >= d && day < d + scenarios.customerCompromiseDays)).toBe(true)
    }
    // Overlapping draws can pick one transaction twice, so the labelled count is at most the sum of thirds.
    expect(scenario3).toBeLessThanOrEqual(drawnThirds)
    expect(scenario3).toBeGreaterThan(0.9 * drawnThirds)
  })

  it('counts each scenario’s frauds as the handbook prints them (net of those already fraudulent)', () => {
    let frauds = 0
    for (let i = 0; i < txns.count; i++) frauds += txns.fraud[i]!
    expect(data.frauds).toBe(frauds)
    expect(data.fraudsByScenario[1] + data.fraudsByScenario[2] + data.fraudsByScenario[3]).toBe(frauds)
  })

  it('puts the published transaction count within three standard deviations of the ported process', () => {
    // The full run (npm run bench -- detection) compares an actual draw; this checks the model of its spread.
    const { mean, sd } = expectedTransactionSpread(handbookConfig)
    expect(Math.abs(publishedDataset.transactions - mean)).toBeLessThan(3 * sd)
  })
})
