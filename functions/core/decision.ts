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

/** One model's part in a decision: its score and why, whether it acted (active) or was only recorded (shadow). */
export const modelResultSchema = z.object({
  name: z.string(),
  version: z.int().positive(),
  mode: z.enum(ruleModes),
  score: z.number().min(0).max(1).describe('Probability of fraud'),
  weight: z.number().optional().describe('What the score was multiplied by and added to the decision score (active models only)'),
  top: z
    .array(z.object({ feature: z.string(), value: z.number().optional(), contribution: z.number().describe('Change in log-odds') }))
    .describe('The inputs that moved the score most, largest first: per-path contributions for trees, weight × value for logistic'),
})
export type ModelResult = z.infer<typeof modelResultSchema>

export const decisionSchema = z.object({
  transactionId: z.string(),
  outcome: outcomeSchema,
  score: z.number(),
  ruleSetVersion: z.int().positive(),
  rules: z.array(ruleHitSchema),
  models: z.array(modelResultSchema).optional(),
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
 * rules are reported but never move the outcome or the score; an active model with a weight adds
 * weight × its score.
 */
export function decideOutcome(hits: readonly RuleHit[], thresholds: Thresholds, models: readonly ModelResult[] = []): { outcome: Outcome; score: number } {
  let score = 0
  for (const model of models) if (model.mode === 'active' && model.weight !== undefined) score += model.weight * model.score
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
