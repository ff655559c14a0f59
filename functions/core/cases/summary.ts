import * as z from 'zod'
import { caseDecisionSchema, caseSchema, caseTransactionSchema, type Case } from './case.ts'

/** What a list of cases shows per row: enough to sort and pick one, without notes, rules or audit. */
export const caseSummarySchema = caseSchema
  .pick({
    caseId: true,
    transactionId: true,
    status: true,
    outcome: true,
    priority: true,
    assignee: true,
    entity: true,
    blocked: true,
    openedAt: true,
    slaDueAt: true,
    escalatedAt: true,
    closedAt: true,
    version: true,
  })
  .extend({
    decisionOutcome: caseDecisionSchema.shape.outcome,
    score: caseDecisionSchema.shape.score,
    amount: caseTransactionSchema.shape.amount,
    currency: caseTransactionSchema.shape.currency,
  })
export type CaseSummary = z.infer<typeof caseSummarySchema>

export function summarize(c: Case): CaseSummary {
  const { notes: _notes, audit: _audit, decision, transaction, ...fields } = c
  return { ...fields, decisionOutcome: decision.outcome, score: decision.score, amount: transaction.amount, currency: transaction.currency }
}
