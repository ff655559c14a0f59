import { expect } from 'vitest'
import type { Issue } from '../../functions/core/result.ts'
import type { QuarantineEntry } from '../../functions/score/ports.ts'
import { containsPan } from '../../functions/core/pan-text.ts'
import type { UserVerdict } from './arbitraries/kinesis.ts'

type Parsed = { ok: true } | { ok: false; error: { code: string; issues: Issue[] } }

/** Whether an issue at `issuePath` is about the field at `path` ('' is the whole record). */
const within = (issuePath: string, path: string) => path === '' || issuePath === path || issuePath.startsWith(`${path}.`) || issuePath.startsWith(`${path}[`)

/** The parse of a record agrees with what its generator says it is; a refusal names why. */
export function expectVerdict(parsed: Parsed, verdict: UserVerdict, label: string): void {
  const got = parsed.ok ? 'accepted' : `refused ${parsed.error.code} ${JSON.stringify(parsed.error.issues)}`
  if (verdict.valid === true) {
    expect(parsed.ok, `${label}: ${got}`).toBe(true)
    return
  }
  if (parsed.ok) {
    expect(verdict.valid, `${label}: accepted, expected a refusal at "${verdict.path}"`).toBe('either')
    return
  }
  const { code, issues } = parsed.error
  expect(code, `${label}: ${got}`).toBe(verdict.valid === 'either' ? 'invalid_transaction' : verdict.code)
  expect(issues.length, `${label}: a refusal without issues`).toBeGreaterThan(0)
  for (const issue of issues) {
    expect(issue.message.trim(), `${label}: an issue without a message`).not.toBe('')
    expect(containsPan(issue.message), `${label}: a PAN in ${got}`).toBe(false)
    expect(containsPan(issue.path), `${label}: a PAN in ${got}`).toBe(false)
  }
  if (verdict.valid === 'either') expect(issues.some((issue) => within(issue.path, verdict.path)), `${label}: ${got}`).toBe(true)
  else for (const issue of issues) expect(within(issue.path, verdict.path), `${label}: ${got}, expected issues at "${verdict.path}"`).toBe(true)
}

/** DynamoDB's item limit, which a quarantine entry must fit whatever the record. */
const itemLimitBytes = 400 * 1024

/** A quarantine entry keeps the refusal's reason, no record text, nothing that could be a PAN, and fits one item. */
export function expectQuarantineEntry(entry: QuarantineEntry, error: { code: string; issues: Issue[] }): void {
  expect(entry.code).toBe(error.code)
  expect(entry.issues).toEqual(error.issues)
  expect(entry).not.toHaveProperty('excerpt')
  for (const text of [JSON.stringify(entry.shape), entry.partitionKey, JSON.stringify(entry.issues)]) expect(containsPan(text), text).toBe(false)
  expect(Buffer.byteLength(JSON.stringify(entry), 'utf8')).toBeLessThan(itemLimitBytes)
}
