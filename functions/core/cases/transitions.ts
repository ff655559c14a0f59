import * as z from 'zod'
import { fromZodError } from '../issues.ts'
import { err, ok, type Result } from '../result.ts'
import { systemActor, type Actor } from './actor.ts'
import { isoAt, withChange } from './audit.ts'
import type { Case } from './case.ts'
import type { CaseError, CaseErrorCode } from './errors.ts'
import { freeTextSchema } from './free-text.ts'
import { raisePriority } from './priority.ts'
import { slaDueAt, type SlaTable } from './sla.ts'

/** An analyst's or supervisor's verdict; `expired` is the workflow's, never a person's. */
export const decideCommandSchema = z.strictObject({
  outcome: z.enum(['fraud', 'legitimate']),
  reason: freeTextSchema,
})
export type DecideCommand = z.input<typeof decideCommandSchema>

/** A case must fit one DynamoDB item (400 KB): 50 notes of at most 2,000 characters stay far below. */
export const maxNotes = 50

type Transition = Result<Case, CaseError>

const refuse = (code: CaseErrorCode, message: string): Transition => err({ code, message })
const closed = (c: Case): Transition => refuse('case_closed', `case ${c.caseId} is closed (${c.outcome})`)
const notYetDue = (c: Case, now: number) => now < Date.parse(c.slaDueAt)

/**
 * Escalated cases are the supervisors': once a case has escalated (whatever its status since), only
 * a supervisor may claim or decide it. Otherwise an analyst, its former holder included, could
 * give the verdict the workflow waits for from a supervisor. Anyone may still add a note.
 */
const supervisorsOnly = (c: Case, actor: Actor, what: 'claim' | 'decide'): Transition | undefined =>
  c.escalatedAt !== undefined && actor.role !== 'supervisor'
    ? refuse('supervisor_only', `case ${c.caseId} was escalated at ${c.escalatedAt}: only a supervisor may ${what} it`)
    : undefined

/**
 * Open or escalated → in_review, held by `actor`. The deadline does not move: the SLA runs to a
 * verdict, not to a claim. An escalated case keeps its raised priority and the supervisor deadline,
 * and only a supervisor may claim it.
 */
export function claim(c: Case, actor: Actor, now: number): Transition {
  if (c.status === 'closed') return closed(c)
  if (actor.role === 'system') return refuse('forbidden', 'the system cannot claim a case')
  const escalated = supervisorsOnly(c, actor, 'claim')
  if (escalated) return escalated
  if (c.status === 'in_review') return refuse('already_claimed', `case ${c.caseId} is in review by ${c.assignee}`)
  const takeover = c.assignee !== undefined && c.assignee !== actor.username ? `taken over from ${c.assignee}` : undefined
  return ok(withChange(c, now, { actor, action: 'claimed', to: 'in_review', note: takeover }, { assignee: actor.username }))
}

/** Anyone may add a note while the case is not closed; notes, like the audit, are only appended. */
export function addNote(c: Case, actor: Actor, text: string, now: number): Transition {
  if (c.status === 'closed') return closed(c)
  const parsed = freeTextSchema.safeParse(text)
  if (!parsed.success) return err({ code: 'invalid_input', message: 'invalid note', issues: fromZodError(parsed.error).map((i) => ({ ...i, path: 'text' })) })
  if (c.notes.length >= maxNotes) return refuse('too_many_notes', `case ${c.caseId} holds the maximum of ${maxNotes} notes`)
  const note = { at: isoAt(now), author: actor.username, text: parsed.data }
  return ok(withChange(c, now, { actor, action: 'noted', to: c.status }, { notes: [...c.notes, note] }))
}

/**
 * In review or escalated → closed with the verdict. The assignee decides; a supervisor may decide
 * any case, including an escalated one nobody claimed. An escalated case only a supervisor decides,
 * even if an analyst held it before its deadline. An open case must be claimed first, so every
 * verdict has a holder when it is given.
 */
export function decide(c: Case, actor: Actor, command: DecideCommand, now: number): Transition {
  if (c.status === 'closed') return closed(c)
  if (actor.role === 'system') return refuse('forbidden', 'the system cannot decide a case')
  const escalated = supervisorsOnly(c, actor, 'decide')
  if (escalated) return escalated
  const parsed = decideCommandSchema.safeParse(command)
  if (!parsed.success) return err({ code: 'invalid_input', message: 'invalid decision', issues: fromZodError(parsed.error) })
  if (c.status === 'open') return refuse('illegal_transition', `case ${c.caseId} is open: claim it before deciding`)
  if (actor.role !== 'supervisor' && actor.username !== c.assignee) {
    return refuse('not_assignee', `case ${c.caseId} is held by ${c.assignee ?? 'nobody'}; only they or a supervisor can decide it`)
  }
  const { outcome, reason } = parsed.data
  return ok(withChange(c, now, { actor, action: 'decided', to: 'closed', note: reason }, { outcome, closedAt: isoAt(now) }))
}

/**
 * The first deadline ran out (open or in review) → escalated: priority one step up and a new
 * deadline, for the supervisors, from now. A case escalates once; its next deadline is final.
 */
export function escalate(c: Case, now: number, slaTable: SlaTable): Transition {
  if (c.status === 'closed') return closed(c)
  if (c.escalatedAt !== undefined) return refuse('illegal_transition', `case ${c.caseId} was escalated at ${c.escalatedAt}; at its deadline it expires`)
  if (notYetDue(c, now)) return refuse('sla_not_due', `case ${c.caseId} is due at ${c.slaDueAt}`)
  const priority = raisePriority(c.priority)
  const note = `deadline ${c.slaDueAt} passed; priority ${c.priority} → ${priority}`
  return ok(
    withChange(c, now, { actor: systemActor, action: 'escalated', to: 'escalated', note }, { priority, slaDueAt: isoAt(slaDueAt(priority, now, slaTable)), escalatedAt: isoAt(now) }),
  )
}

/**
 * The supervisors' deadline ran out with no verdict → closed, `expired`. That includes an
 * escalated case someone claimed but did not decide: the workflow waits no longer.
 */
export function expire(c: Case, now: number): Transition {
  if (c.status === 'closed') return closed(c)
  if (c.escalatedAt === undefined) return refuse('illegal_transition', `case ${c.caseId} was never escalated; at its deadline it escalates`)
  if (notYetDue(c, now)) return refuse('sla_not_due', `case ${c.caseId} is due at ${c.slaDueAt}`)
  return ok(withChange(c, now, { actor: systemActor, action: 'expired', to: 'closed' }, { outcome: 'expired', closedAt: isoAt(now) }))
}

/**
 * The card went on (or came off) the block list. Allowed in any status, closed included: the
 * workflow unblocks a card after a `legitimate` verdict has closed the case.
 */
export function markBlocked(c: Case, now: number): Transition {
  if (c.blocked) return refuse('illegal_transition', `the card of case ${c.caseId} is already blocked`)
  return ok(withChange(c, now, { actor: systemActor, action: 'blocked', to: c.status }, { blocked: true }))
}

export function markUnblocked(c: Case, now: number): Transition {
  if (!c.blocked) return refuse('illegal_transition', `the card of case ${c.caseId} is not blocked`)
  return ok(withChange(c, now, { actor: systemActor, action: 'unblocked', to: c.status }, { blocked: false }))
}
