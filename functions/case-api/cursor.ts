/**
 * The `GET /cases` cursor: base64url JSON of where each status's read stopped, and the filters it
 * was taken under. Opaque to clients; validated strictly on the way back in, so a cursor that was
 * edited, truncated or taken under other filters is a 400, never a 5xx. It is not signed: all it
 * can do is move the start of a list the caller may read anyway.
 */
import * as z from 'zod'
import { caseSchema, caseStatusSchema, prioritySchema, usernameSchema, type CaseStatus, type Priority } from '../core/cases/index.ts'
import type { CaseListPosition } from '../aws/case-queries.ts'

export interface CaseListFilter {
  statuses: readonly CaseStatus[]
  priorities?: readonly Priority[]
  assignee?: string
}

const positionSchema = z.union([z.literal('done'), z.tuple([caseSchema.shape.slaDueAt, caseSchema.shape.caseId])])

const cursorSchema = z.strictObject({
  v: z.literal(1),
  f: z.strictObject({
    s: z.array(caseStatusSchema).min(1),
    p: z.array(prioritySchema).min(1).optional(),
    a: usernameSchema.optional(),
  }),
  p: z.partialRecord(caseStatusSchema, positionSchema),
})

export function encodeCursor(filter: CaseListFilter, position: CaseListPosition): string {
  const p: Record<string, 'done' | [string, string]> = {}
  for (const [status, at] of Object.entries(position)) p[status] = at === 'done' ? 'done' : [at.slaDueAt, at.caseId]
  const f = { s: filter.statuses, ...(filter.priorities ? { p: filter.priorities } : {}), ...(filter.assignee !== undefined ? { a: filter.assignee } : {}) }
  return Buffer.from(JSON.stringify({ v: 1, f, p }), 'utf8').toString('base64url')
}

/** The position a cursor encodes, if it is well formed and was taken under `filter`. */
export function decodeCursor(cursor: string, filter: CaseListFilter): { ok: true; position: CaseListPosition } | { ok: false; detail: string } {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return { ok: false, detail: 'the cursor is not one this API issued' }
  let decoded: unknown
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    return { ok: false, detail: 'the cursor is not one this API issued' }
  }
  const parsed = cursorSchema.safeParse(decoded)
  if (!parsed.success) return { ok: false, detail: 'the cursor is not one this API issued' }
  const { f, p } = parsed.data
  const same = (a: readonly string[] | undefined, b: readonly string[] | undefined) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null)
  if (!same(f.s, filter.statuses) || !same(f.p, filter.priorities) || f.a !== filter.assignee) {
    return { ok: false, detail: 'the cursor belongs to a list with other filters (status, priority, assignee): repeat the filters of the first page' }
  }
  const position: CaseListPosition = {}
  for (const [status, at] of Object.entries(p) as Array<[CaseStatus, 'done' | [string, string] | undefined]>) {
    if (at === undefined) continue
    if (!filter.statuses.includes(status)) return { ok: false, detail: 'the cursor is not one this API issued' }
    position[status] = at === 'done' ? 'done' : { slaDueAt: at[0], caseId: at[1] }
  }
  return { ok: true, position }
}
