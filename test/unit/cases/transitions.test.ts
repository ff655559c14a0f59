import { describe, expect, it } from 'vitest'
import {
  addNote,
  claim,
  decide,
  escalate,
  expire,
  markBlocked,
  markUnblocked,
  maxNotes,
  openCase,
  type Case,
} from '../../../functions/core/cases/index.ts'
import {
  alice,
  bob,
  closedExpired,
  closedFraud,
  codeOf,
  decision,
  escalatedFromReview,
  escalatedUnclaimed,
  hour,
  input,
  inReview,
  minute,
  opened,
  reclaimed,
  robot,
  second,
  sla,
  sue,
  t0,
  transaction,
  unwrap,
} from './fixtures.ts'

const iso = (ms: number) => new Date(ms).toISOString()
const last = (c: Case) => c.audit.at(-1)

describe('openCase', () => {
  it('opens a case with its priority, first deadline, card token and the fired rules only', () => {
    const c = opened()
    expect(c).toMatchObject({
      caseId: 'case-tx-000123-abc',
      transactionId: 'tx-000123',
      status: 'open',
      priority: 'low',
      entity: transaction().card.token,
      blocked: false,
      notes: [],
      openedAt: iso(t0),
      slaDueAt: iso(t0 + 24 * hour),
      version: 1,
    })
    expect(c.assignee).toBeUndefined()
    expect(c.decision.rules.map((r) => r.id)).toEqual(['spend-spike', 'ip-many-cards'])
    expect(c.decision.rules[0]?.values).toEqual({ 'txn.amount': 1250, 'features.card_avg_amount_30d': 80 })
    expect(c.audit).toEqual([{ at: iso(t0), actor: robot, action: 'opened', from: null, to: 'open', note: 'review decision, score 60, priority low' }])
  })

  it('takes its deadline from the SLA table for the priority', () => {
    const c = unwrap(openCase(input({ decision: decision({ outcome: 'block', score: 90 }) }), t0, sla))
    expect(c.priority).toBe('high')
    expect(c.slaDueAt).toBe(iso(t0 + hour))
    const custom = unwrap(openCase(input({ decision: decision({ outcome: 'block', score: 90 }) }), t0, { ...sla, high: 120 }))
    expect(custom.slaDueAt).toBe(iso(t0 + 120_000))
  })

  it.each([
    ['an approve decision', { decision: decision({ outcome: 'approve' as never }) }, 'decision.outcome'],
    ['the decision of another transaction', { decision: decision({ transactionId: 'tx-other' }) }, 'decision.transactionId'],
    ['a transaction with a PAN', { transaction: { ...transaction(), card: { pan: '4111111111111111' } } as never }, 'transaction.card'],
    ['an empty case id', { caseId: '' }, 'caseId'],
  ])('refuses %s with invalid_input', (_name, overrides, path) => {
    const result = openCase(input(overrides), t0, sla)
    expect(codeOf(result)).toBe('invalid_input')
    expect(!result.ok && result.error.issues?.map((i) => i.path)).toContain(path)
    expect(JSON.stringify(result)).not.toContain('4111111111111111')
  })
})

describe('claim', () => {
  it('open → in_review, held by the claimer', () => {
    const c = unwrap(claim(opened(), alice, t0 + minute))
    expect(c).toMatchObject({ status: 'in_review', assignee: 'alice', priority: 'low', version: 2 })
    expect(last(c)).toEqual({ at: iso(t0 + minute), actor: alice, action: 'claimed', from: 'open', to: 'in_review' })
  })

  it('escalated → in_review by a supervisor keeps the raised priority and the supervisor deadline', () => {
    const escalated = escalatedUnclaimed()
    const c = unwrap(claim(escalated, sue, t0 + 25 * hour))
    expect(c).toMatchObject({ status: 'in_review', assignee: 'sue', priority: 'medium', slaDueAt: escalated.slaDueAt, escalatedAt: escalated.escalatedAt })
  })

  it('an escalated case claimed by someone else records the takeover', () => {
    const c = unwrap(claim(escalatedFromReview(), sue, t0 + 25 * hour))
    expect(c.assignee).toBe('sue')
    expect(last(c)).toMatchObject({ action: 'claimed', from: 'escalated', to: 'in_review', note: 'taken over from alice' })
  })

  it.each([
    ['already_claimed', 'a case in review, by someone else', () => claim(inReview(), bob, t0 + hour)],
    ['already_claimed', 'a case in review, by its assignee', () => claim(inReview(), alice, t0 + hour)],
    ['case_closed', 'a closed case', () => claim(closedFraud(), bob, t0 + 2 * hour)],
    ['forbidden', 'by the system', () => claim(opened(), robot, t0 + minute)],
    ['supervisor_only', 'an escalated case, by an analyst', () => claim(escalatedUnclaimed(), bob, t0 + 25 * hour)],
    ['supervisor_only', 'an escalated case, by the analyst who held it before its deadline', () => claim(escalatedFromReview(), alice, t0 + 25 * hour)],
  ])('refuses with %s: %s', (code, _name, run) => {
    expect(codeOf(run())).toBe(code)
  })
})

describe('addNote', () => {
  it.each([
    ['open', opened],
    ['in_review', inReview],
    ['escalated', escalatedUnclaimed],
  ])('appends a note to a %s case without changing its status', (status, make) => {
    const before = make()
    const c = unwrap(addNote(before, bob, '  called the cardholder, no answer  ', t0 + 30 * hour))
    expect(c.status).toBe(status)
    expect(c.notes).toEqual([{ at: iso(t0 + 30 * hour), author: 'bob', text: 'called the cardholder, no answer' }])
    expect(last(c)).toEqual({ at: iso(t0 + 30 * hour), actor: bob, action: 'noted', from: status, to: status })
  })

  it.each([
    ['case_closed', 'on a closed case', () => addNote(closedFraud(), alice, 'late thought', t0 + 2 * hour)],
    ['invalid_input', 'an empty note', () => addNote(opened(), alice, '   ', t0)],
    ['invalid_input', 'a note over 2,000 characters', () => addNote(opened(), alice, 'x'.repeat(2001), t0)],
    ['invalid_input', 'a note holding a PAN', () => addNote(opened(), alice, 'card is 4111 1111 1111 1111', t0)],
  ])('refuses with %s: %s', (code, _name, run) => {
    const result = run()
    expect(codeOf(result)).toBe(code)
    expect(JSON.stringify(result)).not.toContain('4111')
  })

  it(`refuses a note beyond ${maxNotes} with too_many_notes`, () => {
    let c = opened()
    for (let i = 0; i < maxNotes; i++) c = unwrap(addNote(c, alice, `note ${i}`, t0 + i))
    expect(codeOf(addNote(c, alice, 'one more', t0 + hour))).toBe('too_many_notes')
  })
})

describe('decide', () => {
  const fraud = { outcome: 'fraud', reason: 'cardholder denies it' } as const
  const legit = { outcome: 'legitimate', reason: 'cardholder confirmed' } as const

  it('the assignee closes a case in review with the verdict and the reason', () => {
    const c = unwrap(decide(inReview(), alice, fraud, t0 + hour))
    expect(c).toMatchObject({ status: 'closed', outcome: 'fraud', closedAt: iso(t0 + hour), assignee: 'alice' })
    expect(last(c)).toEqual({ at: iso(t0 + hour), actor: alice, action: 'decided', from: 'in_review', to: 'closed', note: 'cardholder denies it' })
  })

  it.each([
    ['a supervisor, on a case someone else holds', inReview, sue, 'in_review'],
    ['a supervisor, on an escalated case nobody claimed', escalatedUnclaimed, sue, 'escalated'],
    ['the supervisor who took an escalated case over', reclaimed, sue, 'in_review'],
  ] as const)('%s', (_name, make, actor, from) => {
    const c = unwrap(decide(make(), actor, legit, t0 + 26 * hour))
    expect(c).toMatchObject({ status: 'closed', outcome: 'legitimate' })
    expect(last(c)).toMatchObject({ actor, action: 'decided', from, to: 'closed' })
  })

  it.each([
    ['illegal_transition', 'an open case, even by a supervisor', () => decide(opened(), sue, fraud, t0 + minute)],
    ['not_assignee', 'another analyst, in review', () => decide(inReview(), bob, fraud, t0 + hour)],
    ['supervisor_only', 'an analyst, on an escalated case nobody claimed', () => decide(escalatedUnclaimed(), alice, fraud, t0 + 25 * hour)],
    ['supervisor_only', 'its assignee, once the case escalated', () => decide(escalatedFromReview(), alice, fraud, t0 + 25 * hour)],
    ['supervisor_only', 'the former assignee after a supervisor took it over', () => decide(reclaimed(), alice, fraud, t0 + 26 * hour)],
    ['case_closed', 'a closed case', () => decide(closedFraud(), sue, legit, t0 + 2 * hour)],
    ['case_closed', 'an expired case', () => decide(closedExpired(), sue, legit, t0 + 30 * hour)],
    ['forbidden', 'by the system', () => decide(inReview(), robot, fraud, t0 + hour)],
    ['invalid_input', '"expired" as a verdict', () => decide(inReview(), alice, { outcome: 'expired' as never, reason: 'x' }, t0 + hour)],
    ['invalid_input', 'no reason', () => decide(inReview(), alice, { outcome: 'fraud', reason: '' }, t0 + hour)],
  ])('refuses with %s: %s', (code, _name, run) => {
    expect(codeOf(run())).toBe(code)
  })
})

describe('escalate', () => {
  it('open past its deadline → escalated: priority one up, a new deadline from now for that priority', () => {
    const at = t0 + 24 * hour + 5 * second
    const c = unwrap(escalate(opened(), at, sla))
    expect(c).toMatchObject({ status: 'escalated', priority: 'medium', escalatedAt: iso(at), slaDueAt: iso(at + 4 * hour) })
    expect(c.assignee).toBeUndefined()
    expect(last(c)).toEqual({
      at: iso(at),
      actor: robot,
      action: 'escalated',
      from: 'open',
      to: 'escalated',
      note: `deadline ${iso(t0 + 24 * hour)} passed; priority low → medium`,
    })
  })

  it('in_review past its deadline → escalated, keeping the assignee', () => {
    expect(escalatedFromReview()).toMatchObject({ status: 'escalated', assignee: 'alice', priority: 'medium' })
  })

  it('a critical case stays critical', () => {
    const critical = unwrap(openCase(input({ decision: decision({ outcome: 'block', score: 200 }) }), t0, sla))
    expect(critical).toMatchObject({ priority: 'critical', slaDueAt: iso(t0 + 15 * minute) })
    const c = unwrap(escalate(critical, t0 + 15 * minute, sla))
    expect(c).toMatchObject({ priority: 'critical', slaDueAt: iso(t0 + 30 * minute) })
  })

  it.each([
    ['sla_not_due', 'before the deadline', () => escalate(opened(), t0 + 24 * hour - 1, sla)],
    ['illegal_transition', 'an escalated case', () => escalate(escalatedUnclaimed(), t0 + 48 * hour, sla)],
    ['illegal_transition', 'a case claimed after its escalation', () => escalate(reclaimed(), t0 + 48 * hour, sla)],
    ['case_closed', 'a closed case', () => escalate(closedFraud(), t0 + 48 * hour, sla)],
  ])('refuses with %s: %s', (code, _name, run) => {
    expect(codeOf(run())).toBe(code)
  })
})

describe('expire', () => {
  it('escalated past the supervisor deadline → closed, expired', () => {
    const escalated = escalatedUnclaimed()
    const at = Date.parse(escalated.slaDueAt)
    const c = unwrap(expire(escalated, at))
    expect(c).toMatchObject({ status: 'closed', outcome: 'expired', closedAt: iso(at) })
    expect(last(c)).toEqual({ at: iso(at), actor: robot, action: 'expired', from: 'escalated', to: 'closed' })
  })

  it('a case claimed after its escalation but not decided expires too', () => {
    const c = unwrap(expire(reclaimed(), t0 + 28 * hour))
    expect(c).toMatchObject({ status: 'closed', outcome: 'expired', assignee: 'sue' })
  })

  it.each([
    ['sla_not_due', 'before the supervisor deadline', () => expire(escalatedUnclaimed(), t0 + 28 * hour - 1)],
    ['illegal_transition', 'an open case', () => expire(opened(), t0 + 48 * hour)],
    ['illegal_transition', 'a case in review never escalated', () => expire(inReview(), t0 + 48 * hour)],
    ['case_closed', 'a closed case', () => expire(closedExpired(), t0 + 48 * hour)],
  ])('refuses with %s: %s', (code, _name, run) => {
    expect(codeOf(run())).toBe(code)
  })
})

describe('markBlocked / markUnblocked', () => {
  it.each([
    ['open', opened],
    ['in_review', inReview],
    ['escalated', escalatedUnclaimed],
    ['closed', closedFraud],
  ])('blocks and unblocks the card of a %s case, keeping its status', (status, make) => {
    const blocked = unwrap(markBlocked(make(), t0 + 2 * hour))
    expect(blocked).toMatchObject({ status, blocked: true })
    expect(last(blocked)).toEqual({ at: iso(t0 + 2 * hour), actor: robot, action: 'blocked', from: status, to: status })
    const unblocked = unwrap(markUnblocked(blocked, t0 + 3 * hour))
    expect(unblocked).toMatchObject({ status, blocked: false })
    expect(last(unblocked)).toMatchObject({ action: 'unblocked', from: status, to: status })
  })

  it('refuses to block a blocked card or unblock an unblocked one', () => {
    const blocked = unwrap(markBlocked(opened(), t0))
    expect(codeOf(markBlocked(blocked, t0 + 1))).toBe('illegal_transition')
    expect(codeOf(markUnblocked(opened(), t0))).toBe('illegal_transition')
  })
})
