import type { FeatureValues } from '../features/definition.ts'
import type { Transaction } from '../transaction.ts'

/**
 * What a model may read besides the rule set's features: values of the transaction itself, which
 * no windowed feature holds and every fraud model wants (the handbook's TX_AMOUNT,
 * TX_DURING_WEEKEND, TX_DURING_NIGHT). Times are read in the zone the producer wrote `occurredAt`
 * in, as CEL's `localHour` reads them: a purchase at 3 a.m. is at night where the cardholder is.
 */
export const transactionInputs = {
  /** In minor units, as the transaction has it. */
  txn_amount: (txn: Transaction) => txn.amount,
  txn_local_hour: (txn: Transaction) => localHour(txn.occurredAt),
  /** 1 on Saturday and Sunday. */
  txn_weekend: (txn: Transaction) => (isoWeekday(txn.occurredAt) >= 6 ? 1 : 0),
  /** 1 from midnight to 6 a.m. inclusive (the handbook's TX_DURING_NIGHT: hour ≤ 6). */
  txn_night: (txn: Transaction) => (localHour(txn.occurredAt) <= 6 ? 1 : 0),
  txn_card_present: (txn: Transaction) => (txn.channel === 'card_present' ? 1 : 0),
} as const satisfies Record<string, (txn: Transaction) => number>

export type TransactionInput = keyof typeof transactionInputs
export const transactionInputNames = Object.keys(transactionInputs) as TransactionInput[]

export const isTransactionInput = (name: string): name is TransactionInput => Object.hasOwn(transactionInputs, name)

// occurredAt is validated ISO 8601 with the producer's offset: its date and hour digits are local.
const localHour = (iso: string) => Number(iso.slice(11, 13))
function isoWeekday(iso: string): number {
  const day = new Date(Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10)))).getUTCDay()
  return day === 0 ? 7 : day
}

/** Reads one model input for a transaction: a feature (a bool as 1 or 0; absent is missing) or a transaction input. */
export type InputReader = (txn: Transaction, features: FeatureValues) => number | undefined

export function inputReader(name: string): InputReader {
  if (isTransactionInput(name)) return transactionInputs[name]
  return (_txn, features) => {
    const value = features[name]
    return typeof value === 'boolean' ? (value ? 1 : 0) : value
  }
}
