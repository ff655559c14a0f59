import * as z from 'zod'
import { ruleActions, ruleModes } from './rules/rule-set.ts'

/** A small fixed vocabulary shared by the scorer, the case workflow and the API. */
export const outcomes = ['approve', 'review', 'block'] as const
export const outcomeSchema = z.enum(outcomes)
export type Outcome = z.infer<typeof outcomeSchema>

/** One rule's part in a decision: fired (its condition held) or errored (it could not be evaluated). */
export const ruleHitSchema = z.object({
  id: z.string(),
  mode: z.enum(ruleModes),
  status: z.enum(['fired', 'errored']),
  score: z.number(),
  action: z.enum(ruleActions).optional(),
  values: z.record(z.string(), z.unknown()).describe('What the rule read: "features.<name>" and "txn.<path>" values'),
  error: z.string().optional(),
})
export type RuleHit = z.infer<typeof ruleHitSchema>

export const decisionSchema = z.object({
  transactionId: z.string(),
  outcome: outcomeSchema,
  score: z.number(),
  ruleSetVersion: z.int().positive(),
  rules: z.array(ruleHitSchema),
  decidedAt: z.iso.datetime({ offset: true }),
})
export type Decision = z.infer<typeof decisionSchema>

export interface Thresholds {
  review: number
  block: number
}

const severity: Record<Outcome, number> = { approve: 0, review: 1, block: 2 }

/**
 * An active `allow` wins outright (a trusted-entity override). Otherwise the most severe of the
 * fired actions and the score's threshold outcome applies, so `block` beats `review`, and a
 * `review` action never caps a score that has reached the block threshold. Shadow and errored
 * rules are reported but never move the outcome or the score.
 */
export function decideOutcome(hits: readonly RuleHit[], thresholds: Thresholds): { outcome: Outcome; score: number } {
  let score = 0
  let outcome: Outcome = 'approve'
  let allowed = false
  for (const hit of hits) {
    if (hit.mode !== 'active' || hit.status !== 'fired') continue
    score += hit.score
    if (hit.action === 'allow') allowed = true
    else if (hit.action && severity[hit.action] > severity[outcome]) outcome = hit.action
  }
  if (allowed) return { outcome: 'approve', score }
  const byScore: Outcome = score >= thresholds.block ? 'block' : score >= thresholds.review ? 'review' : 'approve'
  return { outcome: severity[byScore] > severity[outcome] ? byScore : outcome, score }
}
