import type { Actor } from './actor.ts'
import type { AuditEvent, Case, CaseStatus } from './case.ts'

/** Case times are UTC ISO strings; the clock is always a parameter (epoch ms). */
export const isoAt = (now: number): string => new Date(now).toISOString()

export interface Change {
  actor: Actor
  action: AuditEvent['action']
  to: CaseStatus
  note?: string
}

/**
 * The only way a transition produces a case: a copy with `fields` set, one audit event appended
 * and the version bumped. Earlier events are shared, never rewritten, so the trail only grows.
 */
export function withChange(c: Case, now: number, change: Change, fields: Partial<Case> = {}): Case {
  const event: AuditEvent = { at: isoAt(now), actor: change.actor, action: change.action, from: c.status, to: change.to }
  if (change.note !== undefined) event.note = change.note
  return { ...c, ...fields, status: change.to, version: c.version + 1, audit: [...c.audit, event] }
}
