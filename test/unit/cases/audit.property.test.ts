import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  addNote,
  caseErrorCodes,
  caseSchema,
  claim,
  decide,
  escalate,
  expire,
  labelOf,
  markBlocked,
  markUnblocked,
  openCase,
  type Actor,
  type AuditEvent,
  type Case,
  type CaseError,
} from '../../../functions/core/cases/index.ts'
import type { Result } from '../../../functions/core/result.ts'
import { alice, bob, decision, hour, input, minute, robot, sla, sue, t0, transaction, unwrap } from './fixtures.ts'

const actor = fc.constantFrom<Actor>(alice, bob, sue, robot)
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', '   ', 'card 4111 1111 1111 1111', 'x'.repeat(2001)))

type Command =
  | { kind: 'claim'; actor: Actor }
  | { kind: 'note'; actor: Actor; text: string }
  | { kind: 'decide'; actor: Actor; outcome: 'fraud' | 'legitimate' | 'expired'; reason: string }
  | { kind: 'escalate' | 'expire' | 'block' | 'unblock' }

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('claim' as const), actor }),
  fc.record({ kind: fc.constant('note' as const), actor, text }),
  fc.record({ kind: fc.constant('decide' as const), actor, outcome: fc.constantFrom('fraud' as const, 'legitimate' as const, 'expired' as const), reason: text }),
  fc.record({ kind: fc.constantFrom('escalate' as const, 'expire' as const, 'block' as const, 'unblock' as const) }),
)

// Mostly small steps, sometimes past a deadline (15 min for critical up to 24 h for low).
const advance = fc.oneof(fc.integer({ min: 0, max: 10 * minute }), fc.integer({ min: 0, max: 30 * hour }))

const startingCase = fc
  .record({ outcome: fc.constantFrom('review' as const, 'block' as const), score: fc.integer({ min: 0, max: 250 }), amount: fc.integer({ min: 0, max: 5_000_000 }) })
  .map(({ outcome, score, amount }) => unwrap(openCase(input({ decision: decision({ outcome, score }), transaction: transaction({ amount }) }), t0, sla)))

function run(c: Case, cmd: Command, now: number): Result<Case, CaseError> {
  switch (cmd.kind) {
    case 'claim':
      return claim(c, cmd.actor, now)
    case 'note':
      return addNote(c, cmd.actor, cmd.text, now)
    case 'decide':
      return decide(c, cmd.actor, { outcome: cmd.outcome as 'fraud', reason: cmd.reason }, now)
    case 'escalate':
      return escalate(c, now, sla)
    case 'expire':
      return expire(c, now)
    case 'block':
      return markBlocked(c, now)
    case 'unblock':
      return markUnblocked(c, now)
  }
}

/** Frozen deeply, so a transition that wrote into its input would throw, not pass unnoticed. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

const count = (audit: AuditEvent[], action: AuditEvent['action']) => audit.filter((e) => e.action === action).length

function expectInvariants(c: Case): void {
  expect(caseSchema.parse(c)).toEqual(c)
  expect(c.version).toBe(c.audit.length)
  expect(c.audit.at(-1)?.to).toBe(c.status)
  const closed = c.status === 'closed'
  expect(c.outcome !== undefined).toBe(closed)
  expect(c.closedAt !== undefined).toBe(closed)
  if (c.status === 'in_review') expect(c.assignee).toBeDefined()
  expect(c.escalatedAt !== undefined).toBe(count(c.audit, 'escalated') === 1)
  expect(c.blocked).toBe(count(c.audit, 'blocked') > count(c.audit, 'unblocked'))
  expect(c.notes.length).toBe(count(c.audit, 'noted'))
  expect(labelOf(c) !== undefined).toBe(c.outcome === 'fraud' || c.outcome === 'legitimate')
  // Escalated cases are the supervisors': nobody else claims or decides one after its escalation.
  const escalation = c.audit.findIndex((e) => e.action === 'escalated')
  if (escalation >= 0) {
    for (const e of c.audit.slice(escalation)) if (e.action === 'claimed' || e.action === 'decided') expect(e.actor.role).toBe('supervisor')
  }
}

describe('the audit trail', () => {
  it('only grows: an accepted command appends exactly one event and keeps every earlier one; a refused one changes nothing', () => {
    const accepted = new Set<string>()
    const refused = new Set<string>()
    fc.assert(
      fc.property(startingCase, fc.array(fc.record({ advance, command }), { maxLength: 40 }), (start, steps) => {
        let c = deepFreeze(start)
        let now = t0
        expectInvariants(c)
        for (const { advance, command } of steps) {
          now += advance
          const before = structuredClone(c)
          const result = run(c, command, now)
          expect(c).toEqual(before)
          if (!result.ok) {
            expect(caseErrorCodes).toContain(result.error.code)
            refused.add(result.error.code)
            continue
          }
          const next = result.value
          expect(next.audit).toHaveLength(c.audit.length + 1)
          expect(next.audit.slice(0, -1)).toEqual(before.audit)
          expect(next.notes.slice(0, c.notes.length)).toEqual(before.notes)
          expect(next.audit.at(-1)).toMatchObject({ at: new Date(now).toISOString(), from: c.status, to: next.status })
          expect(next.version).toBe(c.version + 1)
          expectInvariants(next)
          accepted.add(next.audit.at(-1)?.action ?? '')
          c = deepFreeze(next)
        }
      }),
      { numRuns: 300 },
    )
    // The sequences did reach every transition and every refusal, or the property proved little.
    expect([...accepted].sort()).toEqual(['blocked', 'claimed', 'decided', 'escalated', 'expired', 'noted', 'unblocked'])
    expect([...refused].sort()).toEqual([...caseErrorCodes].filter((code) => code !== 'too_many_notes').sort())
  })
})
