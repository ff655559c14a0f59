import { expect } from 'vitest'
import { problemCodes, securityHeaders, type ProblemCode } from '../../functions/case-api/http.ts'
import { problemSchema } from '../../functions/case-api/schemas.ts'
import { findPans } from '../../functions/core/pan-text.ts'
import { panLikeRuns } from '../support/pan-scan.ts'

/** Problems about the input's content, which must say where: every issue has its path and message. */
const validationCodes: ReadonlySet<string> = new Set(['invalid_input', 'invalid_rule_set', 'invalid_json', 'invalid_cursor'])

/** No card number planted in the request comes back, in any notation the PAN text policy knows, or glued to other digits. */
export function expectNoPan(text: string, pans: readonly string[], label: string): void {
  const found = new Set([...findPans(text), ...panLikeRuns(text)])
  for (const pan of pans) {
    expect(found.has(pan), `${label}: echoes a planted card number`).toBe(false)
    expect(text, `${label}: echoes a planted card number`).not.toContain(pan)
  }
}

/**
 * A response of the case API handler: never a 5xx; the security headers; an error is
 * problem+json whose type, title and status agree with its code, with a detail, and with the
 * failing paths when the input was invalid; no planted card number, and nothing else PAN-like
 * outside the OpenAPI document.
 */
export function expectHandlerResponse(response: { statusCode: number; headers: Record<string, string>; body: string }, pans: readonly string[], label: string): void {
  const { statusCode, headers, body } = response
  expect(statusCode, `${label}: ${body.slice(0, 300)}`).toBeGreaterThanOrEqual(200)
  expect(statusCode, `${label}: ${body.slice(0, 300)}`).toBeLessThan(500)
  for (const [name, value] of Object.entries(securityHeaders)) expect(headers[name], `${label}: header ${name}`).toBe(value)
  expectNoPan(body, pans, label)
  const parsed: unknown = JSON.parse(body)
  if (statusCode < 400) {
    expect(headers['content-type'], label).toBe('application/json')
    if (!JSON.stringify(parsed).includes('"openapi"')) expect(panLikeRuns(body), `${label}: a PAN-like run in a ${statusCode}`).toEqual([])
    return
  }
  expect(headers['content-type'], label).toBe('application/problem+json')
  const problem = problemSchema.parse(parsed)
  const code = problem.type.replace(/^urn:vigil:problem:/, '') as ProblemCode
  expect(problemCodes[code], `${label}: unknown problem type ${problem.type}`).toBeDefined()
  expect([problem.status, problem.title], label).toEqual([statusCode, problemCodes[code][1]])
  expect(problem.detail.trim(), `${label}: a problem without a detail`).not.toBe('')
  expect(panLikeRuns(body), `${label}: a PAN-like run in a problem`).toEqual([])
  if (validationCodes.has(code)) {
    expect(problem.issues?.length, `${label}: ${code} without issues: ${body.slice(0, 300)}`).toBeGreaterThan(0)
    for (const issue of problem.issues!) expect(issue.message.trim(), label).not.toBe('')
  }
}
