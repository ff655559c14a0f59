import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { CaseListPosition } from '../../../functions/aws/case-queries.ts'
import { decodeCursor, encodeCursor, type CaseListFilter } from '../../../functions/case-api/cursor.ts'
import { caseStatuses, priorities, type CaseStatus } from '../../../functions/core/cases/index.ts'

const filterArb: fc.Arbitrary<CaseListFilter> = fc.record(
  {
    statuses: fc.subarray([...caseStatuses], { minLength: 1 }),
    priorities: fc.subarray([...priorities], { minLength: 1 }),
    assignee: fc.stringMatching(/^[a-z]{1,12}$/),
  },
  { requiredKeys: ['statuses'] },
)

const positionArb = (statuses: readonly CaseStatus[]): fc.Arbitrary<CaseListPosition> =>
  fc.record(
    Object.fromEntries(
      statuses.map((status) => [
        status,
        fc.oneof(
          fc.constant('done' as const),
          fc.record({
            slaDueAt: fc.date({ min: new Date('2020-01-01'), max: new Date('2040-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
            caseId: fc.string({ minLength: 1, maxLength: 128 }),
          }),
        ),
      ]),
    ),
    { requiredKeys: [] },
  ) as fc.Arbitrary<CaseListPosition>

describe('the GET /cases cursor', () => {
  it('round-trips every position under the filters it was taken with', () => {
    fc.assert(
      fc.property(
        filterArb.chain((filter) => fc.tuple(fc.constant(filter), positionArb(filter.statuses))),
        ([filter, position]) => {
          const cursor = encodeCursor(filter, position)
          expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/)
          expect(decodeCursor(cursor, filter)).toEqual({ ok: true, position })
        },
      ),
    )
  })

  it('refuses it under other filters, and any edit that breaks its shape', () => {
    const filter: CaseListFilter = { statuses: ['open', 'escalated'] }
    const cursor = encodeCursor(filter, { open: { slaDueAt: '2026-11-24T10:00:00.000Z', caseId: 'case-1' }, escalated: 'done' })
    expect(decodeCursor(cursor, { statuses: ['open'] }).ok).toBe(false)
    expect(decodeCursor(cursor, { ...filter, assignee: 'ana' }).ok).toBe(false)
    expect(decodeCursor(cursor, { ...filter, priorities: ['high'] }).ok).toBe(false)
    fc.assert(
      fc.property(fc.nat({ max: cursor.length - 1 }), fc.constantFrom(...'ABCxyz019_-'), (at, char) => {
        const edited = cursor.slice(0, at) + char + cursor.slice(at + 1)
        const decoded = decodeCursor(edited, filter)
        // An edit either still decodes to a well-formed position of these filters, or is refused.
        if (decoded.ok) expect(Object.keys(decoded.position).every((s) => filter.statuses.includes(s as CaseStatus))).toBe(true)
      }),
    )
    for (const junk of ['', '!!!', 'e30', Buffer.from('[]').toString('base64url'), Buffer.from('{"v":1,"f":{"s":["open"]},"p":{"open":["x","y"]}}').toString('base64url')]) {
      expect(decodeCursor(junk, { statuses: ['open'] }).ok).toBe(false)
    }
  })
})
