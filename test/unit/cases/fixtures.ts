import {
  claim,
  decide,
  escalate,
  expire,
  openCase,
  type Actor,
  type Case,
  type CaseDecision,
  type CaseError,
  type OpenCaseInput,
} from '../../../functions/core/cases/index.ts'
import { defaultSlaTable } from '../../../functions/core/cases/index.ts'
import type { Result } from '../../../functions/core/result.ts'
import { parseTransaction, type Transaction } from '../../../functions/core/transaction.ts'
import { testKey, wireExample } from '../../support/transactions.ts'

export const second = 1_000
export const minute = 60 * second
export const hour = 60 * minute
export const t0 = Date.parse('2026-11-24T10:15:31.000Z')

export const alice: Actor = { username: 'alice', role: 'analyst' }
export const bob: Actor = { username: 'bob', role: 'analyst' }
export const sue: Actor = { username: 'sue', role: 'supervisor' }
export const robot: Actor = { username: 'vigil', role: 'system' }

export const sla = defaultSlaTable

export function transaction(overrides: Parameters<typeof wireExample>[0] = {}): Transaction {
  const parsed = parseTransaction(wireExample(overrides), testKey)
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error))
  return parsed.value
}

/** A review decision (score 60) with one fired rule, one shadow hit and one errored rule. */
export function decision(overrides: Partial<CaseDecision> = {}): CaseDecision {
  return {
    transactionId: 'tx-000123',
    outcome: 'review',
    score: 60,
    ruleSetVersion: 1,
    rules: [
      { id: 'spend-spike', mode: 'active', status: 'fired', score: 60, values: { 'txn.amount': 1250, 'features.card_avg_amount_30d': 80 } },
      { id: 'ip-many-cards', mode: 'shadow', status: 'fired', score: 40, values: { 'features.ip_distinct_cards_1h': 6 } },
      { id: 'impossible-travel', mode: 'active', status: 'errored', score: 0, values: {}, error: 'no such key: location' },
    ],
    decidedAt: '2026-11-24T10:15:30.900Z',
    ...overrides,
  }
}

export const input = (overrides: Partial<OpenCaseInput> = {}): OpenCaseInput => ({
  caseId: 'case-tx-000123-abc',
  decision: decision(),
  transaction: transaction(),
  ...overrides,
})

export function unwrap(result: Result<Case, CaseError>): Case {
  if (!result.ok) throw new Error(`expected a case, got ${result.error.code}: ${result.error.message}`)
  return result.value
}

export function codeOf(result: Result<Case, CaseError>): string {
  if (result.ok) throw new Error(`expected a refusal, got a ${result.value.status} case`)
  return result.error.code
}

/** A review case for 12.50 EUR with score 60: priority low, due 24 h after t0. */
export const opened = (): Case => unwrap(openCase(input(), t0, sla))
export const inReview = (): Case => unwrap(claim(opened(), alice, t0 + minute))
/** Escalated at the first deadline with nobody having claimed it. */
export const escalatedUnclaimed = (): Case => unwrap(escalate(opened(), t0 + 24 * hour, sla))
/** Claimed by alice, who did not decide before the first deadline. */
export const escalatedFromReview = (): Case => unwrap(escalate(inReview(), t0 + 24 * hour, sla))
/** Claimed by alice, escalated at the first deadline, then taken over by sue (a supervisor). */
export const reclaimed = (): Case => unwrap(claim(escalatedFromReview(), sue, t0 + 25 * hour))
export const closedFraud = (): Case => unwrap(decide(inReview(), alice, { outcome: 'fraud', reason: 'cardholder denies it' }, t0 + hour))
export const closedExpired = (): Case => unwrap(expire(escalatedUnclaimed(), t0 + 24 * hour + 4 * hour))
