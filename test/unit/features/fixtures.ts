import { z } from 'zod'
import { featureDefinitionSchema, planFeatures, type FeatureDefinitionInput, type FeaturePlan } from '../../../functions/core/features/index.ts'
import type { Transaction } from '../../../functions/core/transaction.ts'

export const epoch = Date.parse('2026-03-01T00:00:00Z')
export const second = 1_000
export const minute = 60_000
export const hour = 3_600_000
export const day = 86_400_000

let sequence = 0

/** A valid transaction at `time` (epoch ms), anything else from `patch`. */
export function txnAt(time: number, patch: Partial<Transaction> = {}): Transaction {
  sequence++
  return {
    transactionId: `txn-${sequence}`,
    occurredAt: new Date(time).toISOString(),
    amount: 1_000,
    currency: 'EUR',
    merchant: { id: 'merchant-1' },
    channel: 'ecommerce',
    card: { token: 'card-token-0000000001' },
    ...patch,
  }
}

/** Freezes a value and everything it holds, so a mutation anywhere throws. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const member of Object.values(value)) deepFreeze(member)
  }
  return value
}

/** A plan from definitions as a rule set would write them. */
export const planOf = (...inputs: FeatureDefinitionInput[]): FeaturePlan => planFeatures(z.array(featureDefinitionSchema).parse(inputs))
