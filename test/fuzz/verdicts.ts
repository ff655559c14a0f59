import { expect } from 'vitest'
import type { Issue } from '../../functions/core/result.ts'
import type { QuarantineEntry } from '../../functions/score/ports.ts'
import type { UserVerdict } from './arbitraries/kinesis.ts'

type Parsed = { ok: true } | { ok: false; error: { code: string; issues: Issue[] } }

/** A 12+ digit run: what redaction removes from anything a refusal keeps (a PAN has 12 to 19). */
export const digitRun = /\d{12,}/

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
    expect(issue.message, `${label}: ${got}`).not.toMatch(digitRun)
  }
  if (verdict.valid === 'either') expect(issues.some((issue) => within(issue.path, verdict.path)), `${label}: ${got}`).toBe(true)
  else for (const issue of issues) expect(within(issue.path, verdict.path), `${label}: ${got}, expected issues at "${verdict.path}"`).toBe(true)
}

/** DynamoDB's item limit, which a quarantine entry must fit whatever the record. */
const itemLimitBytes = 400 * 1024

/** A quarantine entry keeps the refusal's reason, nothing that could be a PAN, and fits one item. */
export function expectQuarantineEntry(entry: QuarantineEntry, error: { code: string; issues: Issue[] }): void {
  expect(entry.code).toBe(error.code)
  expect(entry.issues).toEqual(error.issues)
  expect(entry.excerpt).not.toMatch(digitRun)
  expect(entry.partitionKey).not.toMatch(digitRun)
  expect(JSON.stringify(entry.issues)).not.toMatch(digitRun)
  expect(Buffer.byteLength(JSON.stringify(entry), 'utf8')).toBeLessThan(itemLimitBytes)
}
