import * as z from 'zod'

/**
 * Why a command was refused. The API maps codes to HTTP statuses (403 for `forbidden`,
 * `not_assignee` and `supervisor_only`, 400 for `invalid_input`, 409 for the rest).
 */
export const caseErrorCodes = [
  'illegal_transition', // the command does not apply in the case's status
  'not_assignee', // someone else holds the case, and the actor is not a supervisor
  'already_claimed', // the case is in review by someone
  'case_closed', // closed cases only take block-list updates
  'forbidden', // the actor's role may not do this (the system never claims or decides)
  'supervisor_only', // the case escalated: only a supervisor may claim or decide it
  'sla_not_due', // escalate or expire before the deadline
  'too_many_notes', // the case is full: it must fit one storage item
  'invalid_input', // a malformed input, with its issues
] as const

export const caseErrorSchema = z.strictObject({
  code: z.enum(caseErrorCodes),
  message: z.string(),
  issues: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
})
export type CaseError = z.infer<typeof caseErrorSchema>
export type CaseErrorCode = CaseError['code']
