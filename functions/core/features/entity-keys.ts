import type { Transaction } from '../transaction.ts'
import { entityKinds, type EntityKind } from './definition.ts'

/** Where each entity kind's key lives in a transaction; undefined when the transaction lacks it. */
export const entityKeyOf: Readonly<Record<EntityKind, (txn: Transaction) => string | undefined>> = {
  card: (txn) => txn.card.token,
  account: (txn) => txn.accountId,
  device: (txn) => txn.device?.id,
  ip: (txn) => txn.device?.ip,
  merchant: (txn) => txn.merchant.id,
}

/** The key of every entity the transaction belongs to, i.e. whose state it reads and updates. */
export function entityKeys(txn: Transaction): Partial<Record<EntityKind, string>> {
  const keys: Partial<Record<EntityKind, string>> = {}
  for (const kind of entityKinds) {
    const key = entityKeyOf[kind](txn)
    if (key !== undefined) keys[kind] = key
  }
  return keys
}
