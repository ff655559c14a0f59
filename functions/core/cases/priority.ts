import * as z from 'zod'
import type { Decision } from '../decision.ts'

/** Lowest first, so a priority's index orders it. */
export const priorities = ['low', 'medium', 'high', 'critical'] as const
export const prioritySchema = z.enum(priorities)
export type Priority = z.infer<typeof prioritySchema>

/**
 * The lowest score and the lowest amount (in major units of the transaction's currency) at which
 * each priority starts; a case takes the higher of the two.
 * - Score: with the default thresholds (review 50, block 90), 70 is a review well past its
 *   threshold, 90 is block-level evidence, and 150 is block-level evidence from more than one rule.
 * - Amount: exposure by orders of magnitude: 100, 1,000 and 10,000.
 * - A block decision is at least `high`: a customer's card stays blocked until someone looks.
 * Amounts are not converted between currencies: in a currency with a small major unit (JPY, KRW)
 * the same exposure ranks higher. Pass an amount converted to a reference currency, and no
 * currency, where that matters.
 */
export const priorityThresholds = {
  score: { medium: 70, high: 90, critical: 150 },
  amount: { medium: 100, high: 1_000, critical: 10_000 },
} as const

const rank = (priority: Priority): number => priorities.indexOf(priority)
const higher = (a: Priority, b: Priority): Priority => (rank(a) >= rank(b) ? a : b)

function band(value: number, starts: { medium: number; high: number; critical: number }): Priority {
  if (value >= starts.critical) return 'critical'
  if (value >= starts.high) return 'high'
  if (value >= starts.medium) return 'medium'
  return 'low'
}

/** Decimal places of a currency's minor unit (JPY 0, EUR 2, BHD 3); 2 when none is given. */
function minorUnitDigits(currency: string | undefined): number {
  if (currency === undefined) return 2
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2
}

/** The priority of a case for `decision` on `amount` minor units of `currency` (an ISO 4217 code, as the transaction schema checks). */
export function priorityOf(decision: Pick<Decision, 'outcome' | 'score'>, amount: number, currency?: string): Priority {
  const byScore = band(decision.score, priorityThresholds.score)
  const byAmount = band(amount / 10 ** minorUnitDigits(currency), priorityThresholds.amount)
  const floor: Priority = decision.outcome === 'block' ? 'high' : 'low'
  return higher(higher(byScore, byAmount), floor)
}

const oneUp: Record<Priority, Priority> = { low: 'medium', medium: 'high', high: 'critical', critical: 'critical' }

/** One step up on escalation; `critical` is the top and stays. */
export function raisePriority(priority: Priority): Priority {
  return oneUp[priority]
}
