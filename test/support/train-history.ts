import type { HistoricalLabel } from '../../functions/core/labels/label.ts'
import type { RuleSetInput } from '../../functions/core/rules/rule-set.ts'
import type { WireTransaction } from '../../functions/core/transaction.ts'
import { Random } from '../../local/traffic/random.ts'
import { withLuhnDigit } from './transactions.ts'

const dayMs = 86_400_000
export const historyStart = Date.parse('2026-03-02T00:00:00Z')

/**
 * A small history with a signal a model can learn, in event-time order: cards buy at merchants;
 * a few merchants are compromised for a stretch (every purchase there is fraud, and its cards are
 * then used fraudulently elsewhere with large amounts). Each fraud is reported `delayDays` later as
 * a chargeback; some legitimate transactions are confirmed legitimate.
 */
export function trainingHistory(options: { days: number; perDay: number; seed: number; delayDays?: number }): { lines: string[]; labels: HistoricalLabel[]; frauds: number } {
  const rng = new Random(options.seed, 3)
  const delay = (options.delayDays ?? 2) * dayMs
  const cards = Array.from({ length: 200 }, (_, c) => withLuhnDigit(`411111${String(c).padStart(9, '0')}`))
  const merchants = 60
  const compromised = new Map<number, { from: number; to: number }>()
  for (let m = 0; m < 12; m++) {
    const from = rng.int(0, options.days - 3)
    compromised.set(m * 5, { from, to: from + rng.int(3, 6) })
  }
  const stolen = new Map<number, number>() // card → day it was stolen
  const events: Array<{ t: number; txn: WireTransaction; fraud: boolean }> = []
  for (let day = 0; day < options.days; day++) {
    for (let k = 0; k < options.perDay; k++) {
      const t = historyStart + day * dayMs + Math.floor(rng.next() * dayMs)
      const card = rng.int(0, cards.length - 1)
      const merchant = rng.int(0, merchants - 1)
      const window = compromised.get(merchant)
      const atCompromised = window !== undefined && day >= window.from && day < window.to
      const stolenSince = stolen.get(card)
      const misuse = stolenSince !== undefined && day > stolenSince && day <= stolenSince + 7 && rng.chance(0.5)
      if (atCompromised && !stolen.has(card)) stolen.set(card, day)
      const fraud = atCompromised || misuse
      const amount = misuse ? rng.int(30_000, 90_000) : rng.int(500, 12_000)
      events.push({
        t,
        fraud,
        txn: {
          transactionId: `tr-${day}-${k}`,
          occurredAt: new Date(t).toISOString(),
          amount,
          currency: 'EUR',
          card: { pan: cards[card]! },
          accountId: `acc-${card}`,
          merchant: { id: `m-${merchant}`, mcc: '5999', country: 'FR' },
          channel: 'ecommerce',
        },
      })
    }
  }
  events.sort((a, b) => a.t - b.t)
  const labels: HistoricalLabel[] = []
  for (const e of events) {
    const reportedAt = new Date(e.t + delay).toISOString()
    if (e.fraud) labels.push({ transactionId: e.txn.transactionId, fraud: true, reportedAt, source: 'chargeback' })
    else if (rng.chance(0.05)) labels.push({ transactionId: e.txn.transactionId, fraud: false, reportedAt, source: 'analyst' })
  }
  return { lines: events.map((e) => JSON.stringify(e.txn)), labels, frauds: events.filter((e) => e.fraud).length }
}

/** A rule set with windowed and label-fed features for the history above. */
export const trainingRuleSet: RuleSetInput = {
  version: 1,
  thresholds: { review: 50, block: 90 },
  features: [
    { name: 'card_count_1d', entity: 'card', aggregate: 'count', window: '1d' },
    { name: 'card_avg_amount_7d', entity: 'card', aggregate: 'avg', field: 'amount', window: '7d' },
    { name: 'merchant_fraud_count_7d', entity: 'merchant', aggregate: 'fraud_count', window: '7d' },
    { name: 'card_flagged_before', entity: 'card', aggregate: 'flagged_before' },
  ],
  rules: [{ id: 'big', description: 'A large amount', when: 'txn.amount > 20000', score: 30 }],
}
