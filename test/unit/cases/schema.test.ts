import { describe, expect, it } from 'vitest'
import { labelSchema } from '../../../functions/core/labels/label.ts'
import {
  addNote,
  caseSchema,
  caseSummarySchema,
  caseTransactionSchema,
  containsPan,
  decide,
  labelOf,
  summarize,
  type Case,
} from '../../../functions/core/cases/index.ts'
import {
  alice,
  closedExpired,
  closedFraud,
  escalatedFromReview,
  escalatedUnclaimed,
  hour,
  inReview,
  opened,
  reclaimed,
  t0,
  transaction,
  unwrap,
} from './fixtures.ts'

const roundTrip = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown
const withNote = () => unwrap(addNote(inReview(), alice, 'looked at the device history', t0 + hour))
const closedLegitimate = () => unwrap(decide(inReview(), alice, { outcome: 'legitimate', reason: 'cardholder confirmed' }, t0 + hour))

const everyState: Array<[string, () => Case]> = [
  ['open', opened],
  ['in review, with a note', withNote],
  ['escalated, unclaimed', escalatedUnclaimed],
  ['escalated from review', escalatedFromReview],
  ['claimed after escalation', reclaimed],
  ['closed: fraud', closedFraud],
  ['closed: legitimate', closedLegitimate],
  ['closed: expired', closedExpired],
]

describe('schemas', () => {
  it.each(everyState)('a case (%s) and its summary survive JSON: stringify, parse, validate', (_name, make) => {
    const c = make()
    expect(caseSchema.parse(roundTrip(c))).toEqual(c)
    const summary = summarize(c)
    expect(caseSummarySchema.parse(roundTrip(summary))).toEqual(summary)
  })

  it('the summary has what a list sorts and filters on, and neither notes, rules nor audit', () => {
    const summary = summarize(withNote())
    expect(summary).toMatchObject({ status: 'in_review', assignee: 'alice', priority: 'low', decisionOutcome: 'review', score: 60, amount: 1250, currency: 'EUR' })
    expect(summary).not.toHaveProperty('notes')
    expect(summary).not.toHaveProperty('audit')
    expect(summary).not.toHaveProperty('decision')
    expect(summary).not.toHaveProperty('transaction')
  })

  it('rejects a case whose fields are out of vocabulary', () => {
    expect(caseSchema.safeParse({ ...opened(), status: 'pending' }).success).toBe(false)
    expect(caseSchema.safeParse({ ...opened(), audit: [] }).success).toBe(false)
    expect(caseSchema.safeParse({ ...opened(), decision: { ...opened().decision, outcome: 'approve' } }).success).toBe(false)
  })
})

describe('no PAN can enter a case', () => {
  const pan = '4111111111111111'

  it('the transaction summary rejects a pan, at the top level or in the card', () => {
    expect(caseTransactionSchema.safeParse(transaction()).success).toBe(true)
    expect(caseTransactionSchema.safeParse({ ...transaction(), pan }).success).toBe(false)
    expect(caseTransactionSchema.safeParse({ ...transaction(), card: { pan } }).success).toBe(false)
    expect(caseTransactionSchema.safeParse({ ...transaction(), card: { ...transaction().card, pan } }).success).toBe(false)
  })

  it('a case rejects a pan anywhere a field could carry one', () => {
    const c = opened()
    expect(caseSchema.safeParse({ ...c, pan }).success).toBe(false)
    expect(caseSchema.safeParse({ ...c, transaction: { ...c.transaction, pan } }).success).toBe(false)
    expect(caseSchema.safeParse({ ...c, notes: [{ at: c.openedAt, author: 'alice', text: `card ${pan}` }] }).success).toBe(false)
    expect(caseSchema.safeParse({ ...c, audit: [{ ...c.audit[0], note: `card ${pan}` }] }).success).toBe(false)
  })

  it('nested fields the schema does not know are dropped, never kept', () => {
    const parsed = caseTransactionSchema.parse({ ...transaction(), merchant: { id: 'm-7', pan } })
    expect(JSON.stringify(parsed)).not.toContain(pan)
  })

  it.each([
    ['4111111111111111', true],
    ['4111 1111 1111 1111', true],
    ['4111-1111-1111-1111', true],
    ['see 5555555555554444.', true],
    ['123456789012345678901234', true], // longer than a PAN: could hide one
    ['4111111111111112', false], // fails Luhn
    ['order 12345, call +33 1 23 45', false],
    ['last four 1111, bin 411111', false],
  ])('containsPan(%j) is %s', (text, expected) => {
    expect(containsPan(text)).toBe(expected)
  })
})

describe('labelOf', () => {
  it('labels a fraud or legitimate verdict as the analyst source, known from the verdict on, and nothing else', () => {
    const fraud = closedFraud()
    expect(labelOf(fraud)).toEqual({ transactionId: 'tx-000123', fraud: true, reportedAt: fraud.closedAt, source: 'analyst' })
    expect(labelOf(closedLegitimate())).toMatchObject({ transactionId: 'tx-000123', fraud: false, source: 'analyst' })
    expect(labelSchema.safeParse(labelOf(fraud)).success).toBe(true)
    for (const make of [opened, inReview, escalatedUnclaimed, reclaimed, closedExpired]) expect(labelOf(make())).toBeUndefined()
  })
})
