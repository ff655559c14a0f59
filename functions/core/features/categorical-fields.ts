import type { Transaction } from '../transaction.ts'
import type { CategoricalField } from './definition.ts'

/** Reads a categorical field; undefined when the transaction lacks it, so it adds no value. */
export const categoricalValueOf: Readonly<Record<CategoricalField, (txn: Transaction) => string | undefined>> = {
  'merchant.id': (txn) => txn.merchant.id,
  'merchant.mcc': (txn) => txn.merchant.mcc,
  'merchant.country': (txn) => txn.merchant.country,
  'device.id': (txn) => txn.device?.id,
  'device.ip': (txn) => txn.device?.ip,
  accountId: (txn) => txn.accountId,
  'card.token': (txn) => txn.card.token,
  channel: (txn) => txn.channel,
  currency: (txn) => txn.currency,
}
