import * as z from 'zod'
import { fromZodError } from '../issues.ts'
import { err, ok, type Result } from '../result.ts'
import { systemActor } from './actor.ts'
import { isoAt } from './audit.ts'
import { caseDecisionSchema, caseSchema, caseTransactionSchema, type Case } from './case.ts'
import type { CaseError } from './errors.ts'
import { priorityOf } from './priority.ts'
import { slaDueAt, type SlaTable } from './sla.ts'

/** What the workflow opens a case from: the scorer's decision and the (tokenized) transaction. */
export const openCaseInputSchema = z
  .strictObject({
    caseId: caseSchema.shape.caseId.describe('Derived from the transaction id by the caller'),
    decision: caseDecisionSchema,
    transaction: caseTransactionSchema,
  })
  .refine((input) => input.decision.transactionId === input.transaction.transactionId, {
    message: 'must be the decision of this transaction',
    path: ['decision', 'transactionId'],
  })
export type OpenCaseInput = z.input<typeof openCaseInputSchema>

/**
 * A new case, `open`, with its priority and first deadline. Only the fired rules of the decision
 * are kept: they are the explanation an analyst reads; the rest is in the decision table.
 */
export function openCase(input: OpenCaseInput, now: number, slaTable: SlaTable): Result<Case, CaseError> {
  const parsed = openCaseInputSchema.safeParse(input)
  if (!parsed.success) return err({ code: 'invalid_input', message: 'cannot open a case from this input', issues: fromZodError(parsed.error) })
  const { caseId, decision, transaction } = parsed.data
  const priority = priorityOf(decision, transaction.amount, transaction.currency)
  const at = isoAt(now)
  return ok({
    caseId,
    transactionId: transaction.transactionId,
    status: 'open',
    priority,
    entity: transaction.card.token,
    transaction,
    decision: { ...decision, rules: decision.rules.filter((hit) => hit.status === 'fired') },
    blocked: false,
    notes: [],
    openedAt: at,
    slaDueAt: isoAt(slaDueAt(priority, now, slaTable)),
    version: 1,
    audit: [{ at, actor: systemActor, action: 'opened', from: null, to: 'open', note: `${decision.outcome} decision, score ${decision.score}, priority ${priority}` }],
  })
}
