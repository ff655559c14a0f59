/**
 * HTTP plumbing of the case API: responses with the security headers, problem+json errors,
 * request bodies (size, media type, JSON) and zod validation into issues with paths.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import type { z } from 'zod'
import { fromZodError } from '../core/issues.ts'
import { redactPans } from '../core/pan-text.ts'
import type { ApiIssue, Problem } from './schemas.ts'

export type ApiResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string>; body: string }

/** On every response, errors included: nothing is cached, sniffed, framed or loaded from it. */
export const securityHeaders: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'referrer-policy': 'no-referrer',
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers, ...securityHeaders }, body: JSON.stringify(body) }
}

export const problemCodes = {
  invalid_json: [400, 'Malformed JSON'],
  invalid_input: [400, 'Invalid input'],
  invalid_cursor: [400, 'Invalid cursor'],
  invalid_rule_set: [400, 'Invalid rule set'],
  invalid_model: [400, 'Invalid model file'],
  unauthenticated: [401, 'Authentication required'],
  forbidden: [403, 'Forbidden'],
  not_assignee: [403, 'Not the assignee'],
  supervisor_only: [403, 'Supervisors only'],
  self_approval: [403, 'Self-approval refused'],
  not_found: [404, 'Not found'],
  method_not_allowed: [405, 'Method not allowed'],
  conflict: [409, 'Conflict'],
  already_claimed: [409, 'Already claimed'],
  case_closed: [409, 'Case closed'],
  illegal_transition: [409, 'Illegal transition'],
  too_many_notes: [409, 'Too many notes'],
  sla_not_due: [409, 'Deadline not due'],
  version_exists: [409, 'Version exists'],
  activation_pending: [409, 'Activation pending'],
  payload_too_large: [413, 'Payload too large'],
  unsupported_media_type: [415, 'Unsupported media type'],
  internal: [500, 'Internal error'],
} as const satisfies Record<string, readonly [number, string]>

export type ProblemCode = keyof typeof problemCodes

/**
 * An error response. What could be a PAN (by the PAN text policy, core/pan-text.ts) is masked in
 * the detail and the issues, since they may quote the request (a case id or a path typed by someone).
 */
export function problem(code: ProblemCode, detail: string, options: { issues?: ApiIssue[]; headers?: Record<string, string> } = {}): ApiResponse {
  const [status, title] = problemCodes[code]
  const body: Problem = { type: `urn:vigil:problem:${code}`, title, status, detail: redactPans(detail) }
  if (options.issues?.length) {
    body.issues = options.issues.map((issue) => ({
      ...issue,
      path: redactPans(issue.path),
      message: redactPans(issue.message),
      // A rule id is the caller's text too (digits are valid in one).
      ...(issue.ruleId === undefined ? {} : { ruleId: redactPans(issue.ruleId) }),
    }))
  }
  return { statusCode: status, headers: { 'content-type': 'application/problem+json', ...options.headers, ...securityHeaders }, body: JSON.stringify(body) }
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; response: ApiResponse }

/**
 * Validates `input` with `schema`; on failure a 400 naming every failing path (`where` says which
 * part of the request; `name`, for a single parameter, is its issues' path).
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown, where: string, name?: string): Parsed<z.output<S>> {
  const parsed = schema.safeParse(input)
  if (parsed.success) return { ok: true, value: parsed.data }
  const issues = fromZodError(parsed.error).map((issue) => (name === undefined ? issue : { ...issue, path: issue.path ? `${name}.${issue.path}` : name }))
  return { ok: false, response: problem('invalid_input', `invalid ${where}`, { issues }) }
}

const jsonMediaType = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

/**
 * The request body as JSON: at most `maxBytes` (413 beyond), JSON media type if one is declared
 * (415 otherwise), parsed without echoing the text on failure (V8's message quotes it).
 */
export function readJsonBody(event: { body?: string; isBase64Encoded?: boolean; headers?: Record<string, string | undefined> }, maxBytes: number): Parsed<unknown> {
  const tooLarge = checkBodySize(event, maxBytes)
  if (tooLarge) return { ok: false, response: tooLarge }
  const raw = event.body ?? ''
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8')
  const type = headerOf(event.headers, 'content-type')
  if (bytes.length > 0 && type !== undefined && !jsonMediaType.test(type)) {
    return { ok: false, response: problem('unsupported_media_type', 'send the body as application/json') }
  }
  if (bytes.length === 0) return { ok: false, response: problem('invalid_json', 'a JSON body is required', { issues: [{ path: '', message: 'is missing' }] }) }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return { ok: false, response: problem('invalid_json', 'the body is not UTF-8', { issues: [{ path: '', message: 'is not valid UTF-8' }] }) }
  }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false, response: problem('invalid_json', 'the body is not valid JSON', { issues: [{ path: '', message: 'is not valid JSON' }] }) }
  }
}

/** 413 beyond `maxBytes` (after base64 decoding); a body-less command gets the limit too, and anything it sends is ignored. */
export function checkBodySize(event: { body?: string; isBase64Encoded?: boolean }, maxBytes: number): ApiResponse | undefined {
  const raw = event.body ?? ''
  const length = event.isBase64Encoded ? Buffer.from(raw, 'base64').length : Buffer.byteLength(raw, 'utf8')
  return length > maxBytes ? problem('payload_too_large', `the body is ${length} bytes; the limit of this route is ${maxBytes}`) : undefined
}

/** Header lookup, case-insensitive (payload v2 lower-cases them; a local caller may not). */
export function headerOf(headers: Record<string, string | undefined> | undefined, name: string): string | undefined {
  if (!headers) return undefined
  const wanted = name.toLowerCase()
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value
  return undefined
}
