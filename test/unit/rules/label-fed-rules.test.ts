import { describe, expect, it } from 'vitest'
import type { Decision } from '../../../functions/core/decision.ts'
import { MemoryScorer } from '../../../functions/core/memory-scorer.ts'
import { parseTransaction, type WireTransaction } from '../../../functions/core/transaction.ts'
import { compiled, defaultRuleSet, firedIds } from '../../support/scenario.ts'
import { testKey, wireExample, withLuhnDigit } from '../../support/transactions.ts'

const rules = compiled(defaultRuleSet())
const hour = 3_600_000
const day = 24 * hour
const t0 = Date.parse('2026-10-01T00:00:00Z')

/** A transaction at `at` ms after t0, and optionally its fraud label `labelAfter` ms after it. */
interface Step {
  at: number
  txn?: Partial<WireTransaction>
  labelAfter?: number
}

const cardOf = (n: number) => ({ pan: withLuhnDigit(`400000${String(n).padStart(9, '0')}`) })

/**
 * Scores the steps in time order with labels fed at their reportedAt, as the stream applies them:
 * a label is never seen before it is known. Returns the decision of each transaction.
 */
function run(steps: Step[]): Decision[] {
  const scorer = new MemoryScorer(rules, { labels: true })
  type Event = { time: number; order: number; apply: () => void }
  const events: Event[] = []
  const decisions: Decision[] = []
  steps.forEach((step, i) => {
    const wire = wireExample({ transactionId: `tx-${i}`, occurredAt: new Date(t0 + step.at).toISOString(), ...step.txn })
    events.push({
      time: t0 + step.at,
      order: 1,
      apply: () => {
        const parsed = parseTransaction(wire, testKey)
        if (!parsed.ok) throw new Error(JSON.stringify(parsed.error))
        decisions[i] = scorer.score(parsed.value, parsed.value.occurredAt)
      },
    })
    if (step.labelAfter !== undefined) {
      const reportedAt = new Date(t0 + step.at + step.labelAfter).toISOString()
      events.push({ time: t0 + step.at + step.labelAfter, order: 0, apply: () => scorer.label({ transactionId: `tx-${i}`, fraud: true, reportedAt, source: 'chargeback' }) })
    }
  })
  // Labels known at a transaction's time count for it (order 0 first at equal times).
  events.sort((a, b) => a.time - b.time || a.order - b.order)
  for (const e of events) e.apply()
  return decisions
}

const lastFired = (steps: Step[]) => firedIds(run(steps).at(-1))

/** Ordinary traffic at a merchant: `perDay` transactions a day from distinct cards, from day `from` for `days` days. */
function merchantTraffic(merchant: string, from: number, days: number, perDay: number, fraud: (d: number, k: number) => boolean, labelAfter = 7 * day): Step[] {
  const steps: Step[] = []
  for (let d = 0; d < days; d++) {
    for (let k = 0; k < perDay; k++) {
      const at = (from + d) * day + (9 + k) * hour
      steps.push({ at, txn: { merchant: { id: merchant }, card: cardOf(1000 + d * 10 + k), device: { id: `dev-${d}-${k}` } }, ...(fraud(d, k) ? { labelAfter } : {}) })
    }
  }
  return steps
}

const shopper = (at: number, merchant: string): Step => ({ at, txn: { merchant: { id: merchant }, card: cardOf(7), device: { id: 'dev-shopper' } } })

describe('label-fed default rules', () => {
  describe('merchant-fraud-week', () => {
    // Days 0–6 at m-bad, then a purchase on day 15: its lagged week is about days 1–8 (the window's buckets are 16.8 h).
    it('fires at a merchant where a third or more of the latest labelled week was confirmed fraud', () => {
      expect(lastFired([...merchantTraffic('m-bad', 0, 7, 3, (_, k) => k < 2), shopper(15 * day, 'm-bad')])).toContain('merchant-fraud-week')
    })
    it('stays quiet at a merchant with the same traffic and no fraud, and before the labels are known', () => {
      expect(lastFired([...merchantTraffic('m-good', 0, 7, 3, () => false), shopper(15 * day, 'm-good')])).not.toContain('merchant-fraud-week')
      // The same frauds, reported a month later: on day 15 nothing is known yet.
      expect(lastFired([...merchantTraffic('m-bad', 0, 7, 3, (_, k) => k < 2, 30 * day), shopper(15 * day, 'm-bad')])).not.toContain('merchant-fraud-week')
      // One in ten: a fraud now and then, not a compromised merchant.
      expect(lastFired([...merchantTraffic('m-ok', 0, 7, 10, (_, k) => k === 0), shopper(15 * day, 'm-ok')])).not.toContain('merchant-fraud-week')
    })
  })

  describe('merchant-fraud-day', () => {
    // One day of traffic, 7 days and a few hours before the purchase: the latest labelled day.
    it('fires when half the merchant’s transactions on its latest labelled day were confirmed fraud', () => {
      expect(lastFired([...merchantTraffic('m-bad', 0, 1, 2, (_, k) => k === 0), shopper(7 * day + 14 * hour, 'm-bad')])).toContain('merchant-fraud-day')
    })
    it('stays quiet when fewer than half were, and at a merchant with no labels', () => {
      expect(lastFired([...merchantTraffic('m-bad', 0, 1, 4, (_, k) => k === 0), shopper(7 * day + 14 * hour, 'm-bad')])).not.toContain('merchant-fraud-day')
      expect(lastFired([...merchantTraffic('m-good', 0, 1, 2, () => false), shopper(7 * day + 14 * hour, 'm-good')])).not.toContain('merchant-fraud-day')
    })
  })

  describe('merchant-fraud-month', () => {
    // Ten quiet days of 10 transactions, one fraud on three of them: a rate too low for the week and day rules.
    const month = (frauds: number) => merchantTraffic('m-leak', 0, 10, 10, (d, k) => k === 0 && d < frauds * 3 && d % 3 === 0)
    it('fires on three confirmed frauds at the merchant in its latest labelled four weeks', () => {
      const fired = lastFired([...month(3), shopper(20 * day, 'm-leak')])
      expect(fired).toContain('merchant-fraud-month')
      expect(fired).not.toContain('merchant-fraud-week')
    })
    it('stays quiet on two', () => {
      expect(lastFired([...month(2), shopper(20 * day, 'm-leak')])).not.toContain('merchant-fraud-month')
    })
  })

  describe('device-confirmed-fraud', () => {
    const fraudFrom = (device: string, labelled: boolean): Step => ({ at: 0, txn: { card: cardOf(1), device: { id: device } }, ...(labelled ? { labelAfter: 2 * day } : {}) })
    const later = (device: string): Step => ({ at: 5 * day, txn: { card: cardOf(2), device: { id: device } } })
    it('fires on another card from a device with a confirmed fraud in the last 30 days', () => {
      expect(lastFired([fraudFrom('dev-stolen', true), later('dev-stolen')])).toContain('device-confirmed-fraud')
    })
    it('stays quiet for a device without one, and once the fraud is over 30 days old', () => {
      expect(lastFired([fraudFrom('dev-ok', false), later('dev-ok')])).not.toContain('device-confirmed-fraud')
      expect(lastFired([fraudFrom('dev-stolen', true), { at: 40 * day, txn: { card: cardOf(2), device: { id: 'dev-stolen' } } }])).not.toContain('device-confirmed-fraud')
    })
  })

  describe('card-flagged-before', () => {
    it('fires on a card with a confirmed fraud', () => {
      expect(lastFired([{ at: 0, txn: { card: cardOf(3) }, labelAfter: day }, { at: 3 * day, txn: { card: cardOf(3) } }])).toContain('card-flagged-before')
    })
    it('stays quiet on a card whose transactions were never reported, and on another card', () => {
      expect(lastFired([{ at: 0, txn: { card: cardOf(3) } }, { at: 3 * day, txn: { card: cardOf(3) } }])).not.toContain('card-flagged-before')
      expect(lastFired([{ at: 0, txn: { card: cardOf(3) }, labelAfter: day }, { at: 3 * day, txn: { card: cardOf(4) } }])).not.toContain('card-flagged-before')
    })
  })
})

describe('spend-jump', () => {
  const usual: Step[] = Array.from({ length: 10 }, (_, i) => ({ at: i * day, txn: { amount: 2000 } }))
  it('fires on three and a half times the card’s 30-day average, without reaching review alone', () => {
    const decision = run([...usual, { at: 10 * day, txn: { amount: 7000 } }]).at(-1)
    expect(firedIds(decision)).toContain('spend-jump')
    expect(firedIds(decision)).not.toContain('spend-spike')
    expect(decision?.outcome).toBe('approve')
  })
  it('stays quiet on two and a half times the average, and on a card without history', () => {
    expect(lastFired([...usual, { at: 10 * day, txn: { amount: 5000 } }])).not.toContain('spend-jump')
    expect(lastFired([{ at: 0, txn: { amount: 2000 } }, { at: day, txn: { amount: 9000 } }])).not.toContain('spend-jump')
  })
})
