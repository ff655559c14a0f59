import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { mergeByDeadline, type CaseListPosition, type StatusRead } from '../../../functions/aws/case-queries.ts'
import type { Case, CaseStatus } from '../../../functions/core/cases/index.ts'

interface Row {
  caseId: string
  slaDueAt: string
  match: boolean
}

/**
 * A model of one status's `byStatus` partition under Query: rows in index order, read after a
 * position, `pageSize` rows evaluated per page, at most `pages` pages, stopping once `wanted`
 * rows matched the filter, with a LastEvaluatedKey when it stopped before the end.
 */
function readModel(status: CaseStatus, rows: readonly Row[], start: CaseListPosition[CaseStatus], wanted: number, pageSize: number, pages: number): StatusRead {
  if (start === 'done') return { status, items: [], end: 'done' }
  let at = start === undefined ? 0 : rows.findIndex((r) => r.caseId === start.caseId) + 1
  const items: Case[] = []
  for (let page = 0; page < pages && at < rows.length; page++) {
    const slice = rows.slice(at, at + pageSize)
    at += slice.length
    for (const row of slice) if (row.match) items.push({ caseId: row.caseId, slaDueAt: row.slaDueAt } as Case)
    if (items.length >= wanted) break
  }
  const last = rows[at - 1]
  return { status, items, end: at < rows.length && last ? { slaDueAt: last.slaDueAt, caseId: last.caseId } : 'done' }
}

const statuses: CaseStatus[] = ['open', 'in_review', 'escalated']

const partitionArb = fc
  .array(fc.record({ minute: fc.integer({ min: 0, max: 30 }), match: fc.boolean() }), { maxLength: 25 })
  .map((rows) => rows.map((r) => ({ slaDueAt: new Date(Date.UTC(2026, 10, 24, 10, r.minute)).toISOString(), match: r.match })).sort((a, b) => a.slaDueAt.localeCompare(b.slaDueAt)))

describe('mergeByDeadline', () => {
  it('property: following the positions yields every match once, oldest deadline first, and every page makes progress', () => {
    fc.assert(
      fc.property(
        fc.tuple(partitionArb, partitionArb, partitionArb),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 3 }),
        (partitions, limit, pageSize, pages) => {
          const rows = partitions.map((p, s) => p.map((r, i) => ({ ...r, caseId: `${statuses[s]}-${i}` })))
          const out: Array<{ caseId: string; slaDueAt: string }> = []
          let position: CaseListPosition | undefined = {}
          for (let request = 0; position; request++) {
            expect(request).toBeLessThan(500)
            const after: CaseListPosition = position
            const reads = statuses.map((status, s) => readModel(status, rows[s]!, after[status], limit + 1, pageSize, pages))
            const page = mergeByDeadline(reads, limit, after)
            expect(page.items.length).toBeLessThanOrEqual(limit)
            if (page.next) expect(page.items.length > 0 || JSON.stringify(page.next) !== JSON.stringify(after)).toBe(true)
            out.push(...page.items)
            position = page.next
          }
          const expected = rows.flat().filter((r) => r.match)
          expect(out.map((c) => c.caseId).sort()).toEqual(expected.map((r) => r.caseId).sort())
          for (let i = 1; i < out.length; i++) expect(out[i]!.slaDueAt >= out[i - 1]!.slaDueAt).toBe(true)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('a status stopped early bounds the page: nothing later than where it stopped is served', () => {
    const c = (caseId: string, minute: number) => ({ caseId, slaDueAt: new Date(Date.UTC(2026, 10, 24, 10, minute)).toISOString() }) as Case
    const reads: StatusRead[] = [
      { status: 'open', items: [], end: { slaDueAt: c('x', 5).slaDueAt, caseId: 'o-3' } },
      { status: 'escalated', items: [c('e-1', 1), c('e-2', 5), c('e-3', 9)], end: 'done' },
    ]
    const page = mergeByDeadline(reads, 10, {})
    expect(page.items.map((i) => i.caseId)).toEqual(['e-1', 'e-2'])
    expect(page.next).toEqual({ open: { slaDueAt: c('x', 5).slaDueAt, caseId: 'o-3' }, escalated: { slaDueAt: c('e-2', 5).slaDueAt, caseId: 'e-2' } })
  })

  it('no next position once every status is read to its end', () => {
    const page = mergeByDeadline([{ status: 'open', items: [], end: 'done' }], 5, {})
    expect(page).toEqual({ items: [] })
  })
})
