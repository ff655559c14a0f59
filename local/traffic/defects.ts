import type { WireTransaction } from '../../functions/core/transaction.ts'
import { withLuhnDigit } from './population.ts'
import type { Random } from './random.ts'

/** Producer bugs a malformed line can carry; each makes the line fail the wire schema or JSON itself. */
export const defects = [
  'truncated_json',
  'trailing_comma',
  'single_quoted_json',
  'missing_merchant',
  'negative_amount',
  'amount_as_string',
  'amount_in_major_units',
  'luhn_invalid_pan',
  'masked_pan',
  'unknown_currency',
  'timestamp_without_zone',
  'timestamp_as_epoch',
  'unknown_channel',
  'mcc_as_number',
  'missing_transaction_id',
  'alpha3_country',
] as const

export type Defect = (typeof defects)[number]

const weights: Record<Defect, number> = {
  truncated_json: 3,
  trailing_comma: 1,
  single_quoted_json: 1,
  missing_merchant: 2,
  negative_amount: 2,
  amount_as_string: 2,
  amount_in_major_units: 2,
  luhn_invalid_pan: 2,
  masked_pan: 1,
  unknown_currency: 1.5,
  timestamp_without_zone: 1.5,
  timestamp_as_epoch: 1,
  unknown_channel: 1,
  mcc_as_number: 1,
  missing_transaction_id: 1,
  alpha3_country: 1,
}
const defectWeights = defects.map((d) => weights[d])

const alpha3: Record<string, string> = { FR: 'FRA', DE: 'DEU', ES: 'ESP', IT: 'ITA', GB: 'GBR', US: 'USA', NL: 'NLD', IE: 'IRL', JP: 'JPN' }

type Loose = Record<string, unknown>

/** The line a buggy producer would have written for `txn`, and which bug it has. */
export function corrupt(txn: WireTransaction, rng: Random): { defect: Defect; line: string } {
  const defect = rng.weighted(defects, defectWeights)
  return { defect, line: corruptWith(defect, txn, rng) }
}

export function corruptWith(defect: Defect, txn: WireTransaction, rng: Random): string {
  // A tokenized card has no PAN to mangle: a synthetic one (generated, like every PAN here) stands in.
  const pan = 'pan' in txn.card ? txn.card.pan : withLuhnDigit('453201511283036')
  const edited = (change: (copy: Loose) => void): string => {
    const copy: Loose = { ...txn }
    change(copy)
    return JSON.stringify(copy)
  }
  switch (defect) {
    case 'truncated_json': {
      // A write cut short (buffer flushed mid-record).
      const line = JSON.stringify(txn)
      return line.slice(0, rng.int(1, line.length - 2))
    }
    case 'trailing_comma':
      return JSON.stringify(txn).slice(0, -1) + ',}'
    case 'single_quoted_json':
      return JSON.stringify(txn).replaceAll('"', "'")
    case 'missing_merchant':
      return edited((c) => delete c.merchant)
    case 'negative_amount':
      // A refund sent as a negative purchase.
      return edited((c) => (c.amount = -Math.max(1, txn.amount)))
    case 'amount_as_string':
      return edited((c) => (c.amount = rng.chance(0.5) ? String(txn.amount) : (txn.amount / 100).toFixed(2)))
    case 'amount_in_major_units': {
      // Euros instead of cents: a fraction unless it happens to be round, then made one.
      const major = txn.amount / 100
      return edited((c) => (c.amount = Number.isInteger(major) ? major + 0.99 : major))
    }
    case 'luhn_invalid_pan': {
      // A mistyped last digit: every other check digit fails Luhn.
      const last = pan.charCodeAt(pan.length - 1) - 48
      const wrong = (last + rng.int(1, 9)) % 10
      return edited((c) => (c.card = { pan: pan.slice(0, -1) + String(wrong) }))
    }
    case 'masked_pan':
      return edited((c) => (c.card = { pan: `${pan.slice(0, 6)}******${pan.slice(-4)}` }))
    case 'unknown_currency':
      return edited((c) => (c.currency = rng.pick(['EURO', 'eur', 'US$', '€', 'RMB', ''])))
    case 'timestamp_without_zone':
      return edited((c) => (c.occurredAt = txn.occurredAt.slice(0, 23)))
    case 'timestamp_as_epoch':
      return edited((c) => (c.occurredAt = Date.parse(txn.occurredAt)))
    case 'unknown_channel':
      return edited((c) => (c.channel = rng.pick(['online', 'POS', 'contactless', 'ATM'])))
    case 'mcc_as_number':
      return edited((c) => (c.merchant = { ...txn.merchant, mcc: Number(txn.merchant.mcc ?? '5999') }))
    case 'missing_transaction_id':
      return edited((c) => delete c.transactionId)
    case 'alpha3_country': {
      const country = txn.merchant.country ?? 'FR'
      return edited((c) => (c.merchant = { ...txn.merchant, country: alpha3[country] ?? `${country}X` }))
    }
  }
}
