import * as z from 'zod'
import { decisionSchema } from '../decision.ts'
import { tokenizedCardSchema, transactionSchema } from '../transaction.ts'
import { actorSchema, usernameSchema } from './actor.ts'
import { freeTextSchema } from './free-text.ts'
import { prioritySchema } from './priority.ts'

export const caseStatuses = ['open', 'in_review', 'escalated', 'closed'] as const
export const caseStatusSchema = z.enum(caseStatuses)
export type CaseStatus = z.infer<typeof caseStatusSchema>

/** `expired`: nobody decided before the supervisor's deadline; it labels nothing. */
export const caseOutcomeSchema = z.enum(['fraud', 'legitimate', 'expired'])
export type CaseOutcome = z.infer<typeof caseOutcomeSchema>

const timestamp = z.iso.datetime({ offset: true })

/**
 * The transaction as the scorer kept it, strict at the top and in `card`: a `pan` field is an
 * error, not silently dropped, so a producer or adapter bug surfaces instead of hiding.
 */
export const caseTransactionSchema = z.strictObject(transactionSchema.shape)

/** The scorer's decision that opened the case; only review and block decisions open one. */
export const caseDecisionSchema = decisionSchema.extend({ outcome: z.enum(['review', 'block']) })
export type CaseDecision = z.infer<typeof caseDecisionSchema>

export const noteSchema = z.strictObject({ at: timestamp, author: usernameSchema, text: freeTextSchema })
export type Note = z.infer<typeof noteSchema>

export const auditActions = ['opened', 'claimed', 'noted', 'decided', 'escalated', 'expired', 'blocked', 'unblocked'] as const

/**
 * One change to a case. `from` is null only for `opened`; actions that keep the status (notes,
 * blocking) have `from` = `to`. A note's text is in `notes`, not repeated here, to keep the item small.
 */
export const auditEventSchema = z.strictObject({
  at: timestamp,
  actor: actorSchema,
  action: z.enum(auditActions),
  from: caseStatusSchema.nullable(),
  to: caseStatusSchema,
  note: freeTextSchema.optional(),
})
export type AuditEvent = z.infer<typeof auditEventSchema>

/** A case as stored and served in full. `version` counts the changes: it equals `audit.length`. */
export const caseSchema = z.strictObject({
  caseId: z.string().min(1).max(128),
  transactionId: transactionSchema.shape.transactionId,
  status: caseStatusSchema,
  outcome: caseOutcomeSchema.optional(),
  priority: prioritySchema,
  assignee: usernameSchema.optional(),
  entity: tokenizedCardSchema.shape.token.describe('The card token; never a PAN'),
  transaction: caseTransactionSchema,
  decision: caseDecisionSchema,
  blocked: z.boolean().describe('Whether the card is on the block list because of this case'),
  notes: z.array(noteSchema),
  openedAt: timestamp,
  slaDueAt: timestamp,
  escalatedAt: timestamp.optional(),
  closedAt: timestamp.optional(),
  version: z.int().positive(),
  audit: z.array(auditEventSchema).min(1),
})
export type Case = z.infer<typeof caseSchema>
