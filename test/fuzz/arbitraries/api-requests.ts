/**
 * Requests to the case API as a careless or hostile client sends them: any method, paths to routes
 * and beside them (percent-encoded, traversing, very long, unicode, card numbers), query strings,
 * content types and odd headers, and bodies from well-formed commands to invalid JSON, invalid
 * UTF-8, megabytes, deep nesting and prototype-pollution keys. Every card number planted anywhere
 * is listed in `pans`: none may come back.
 */
import fc from 'fast-check'
import { caseApiRoutes } from '../../../functions/case-api/routes.ts'
import { defaultRuleSet } from '../../support/scenario.ts'
import { luhnPan, panNotation } from './pans.ts'

export interface ApiRequest {
  method: string
  /** As on the request line: percent-encoding kept, never a space or a line break. */
  path: string
  /** Without the `?`; may be empty. */
  query: string
  /** In order, names as sent; a name may repeat. */
  headers: Array<[string, string]>
  body: Uint8Array | undefined
  pans: string[]
}

/** A part of a request and the card numbers it carries. */
interface Part<T> {
  value: T
  pans: string[]
}

const bare = <T>(value: T): Part<T> => ({ value, pans: [] })
const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'))

/**
 * A card number as someone would type or paste it (any notation the PAN text policy knows: groups,
 * other separators, Unicode digits, JSON escapes), alone or inside other text. A space keeps it
 * apart from that text: digits glued to it would make a longer number, not this one.
 */
const writtenPan: fc.Arbitrary<Part<string>> = fc
  .tuple(panNotation, fc.option(fc.string({ maxLength: 8 }), { nil: undefined }), fc.option(fc.string({ maxLength: 8 }), { nil: undefined }))
  .map(([{ pan, written }, before, after]) => ({ value: [before, written, after].filter((part) => part !== undefined).join(' '), pans: [pan] }))

function segment(ids: readonly string[]): fc.Arbitrary<Part<string>> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ids).map(bare) },
    fc.string({ maxLength: 40 }).map((s) => bare(encodeURIComponent(s))),
    fc.string({ unit: 'binary', maxLength: 20 }).map((s) => bare(encodeURIComponent(s))),
    writtenPan.map(({ value, pans }) => ({ value: encodeURIComponent(value), pans })),
    fc.constantFrom('..', '.', '%2e%2e', '%2F', '%00', '%', '%E0%A4%A', '%ZZ', '%C0%AF', '%ED%A0%80', ';', '*', '~', '%20', '__proto__', 'constructor', 'prototype').map(bare),
    fc.integer({ min: 129, max: 12_000 }).map((n) => bare('x'.repeat(n))),
    fc.stringMatching(/^[1-9]\d{0,14}$/).map(bare),
  )
}

const joinParts = (parts: ReadonlyArray<Part<string>>, separator: string, prefix = ''): Part<string> => ({ value: prefix + parts.map((p) => p.value).join(separator), pans: parts.flatMap((p) => p.pans) })

/** A route's path with its parameters filled in. */
const routePath = (template: string, ids: readonly string[]): fc.Arbitrary<Part<string>> =>
  fc.tuple(...template.split('/').slice(1).map((piece) => (piece.startsWith('{') ? segment(ids) : fc.constant(bare(piece))))).map((parts) => joinParts(parts, '/', '/'))

const strayPath = (ids: readonly string[]): fc.Arbitrary<Part<string>> =>
  fc.oneof(
    fc.array(segment(ids), { maxLength: 5 }).map((parts) => joinParts(parts, '/', '/')),
    fc.constantFrom('/cases/../rules', '/cases/%2e%2e/rules', '/rules/../../etc/passwd', '//cases', '/cases//claim', '/cases/', '/openapi.json/', '/CASES', '/cases/case-fuzz-review/claim/extra', '/rules/0/activate', '/rules/99999999999/activate', '/').map(bare),
  )

const queryKey = fc.oneof(fc.constantFrom('status', 'priority', 'assignee', 'limit', 'cursor', 'version', '__proto__', 'constructor', 'hasOwnProperty'), fc.string({ maxLength: 10 }))
const queryValue = fc.oneof(
  fc.constantFrom('open', 'in_review,escalated', 'high', 'ana', '1', '100', '101', '0', '-1', '1e3', '', 'open,open,nope').map(bare),
  fc.string({ maxLength: 30 }).map(bare),
  writtenPan,
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => bare('q'.repeat(n))),
)

const query: fc.Arbitrary<Part<string>> = fc.oneof(
  fc.array(fc.tuple(queryKey, queryValue), { maxLength: 4 }).map((pairs) =>
    joinParts(pairs.map(([key, value]) => ({ value: `${encodeURIComponent(key)}=${encodeURIComponent(value.value)}`, pans: value.pans })), '&'),
  ),
  fc.constantFrom('%', 'limit=%zz', 'a=1&&&b', '=x', 'status', 'cursor=%E0%A4%A', 'limit=1&limit=2').map(bare),
)

const contentTypes = [
  'application/json',
  'APPLICATION/JSON',
  'application/json; charset=utf-8',
  'application/json;charset=latin1',
  'application/problem+json',
  'application/vnd.vigil+json',
  'application/jsonx',
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  '',
  '*/*',
]

const headerName = fc.oneof(fc.constantFrom('content-type', 'Content-Type', 'accept', 'x-forwarded-for', 'cookie', 'x-amz-date', 'content-encoding'), fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/))
const headerValue = fc.oneof(fc.stringMatching(/^[\x20-\x7e]{0,60}$/).map((value) => value.trim()), fc.integer({ min: 1_000, max: 6_000 }).map((n) => 'h'.repeat(n)))

const headers: fc.Arbitrary<Array<[string, string]>> = fc
  .tuple(fc.array(fc.constantFrom(...contentTypes), { maxLength: 2 }), fc.array(fc.tuple(headerName, headerValue), { maxLength: 3 }))
  .map(([types, others]) => [...types.map((type): [string, string] => ['content-type', type]), ...others])

const ruleSetBody = fc
  .tuple(fc.integer({ min: -1, max: 1_000_000 }), fc.constantFrom('version', 'thresholds', 'rules', 'lists', 'features', 'description'), fc.jsonValue({ maxDepth: 3 }))
  .map(([version, field, value]) => ({ ...defaultRuleSet(), version, [field]: value }))

const pollution = fc.constantFrom(
  '{"__proto__":{"polluted":true},"text":"hello"}',
  '{"constructor":{"prototype":{"polluted":true}},"outcome":"fraud","reason":"x"}',
  '{"text":"hi","__proto__":null}',
  JSON.stringify({ ...defaultRuleSet(), version: 77 }).replace('"lists":{', '"lists":{"__proto__":["a"],'),
  JSON.stringify({ ...defaultRuleSet(), version: 78 }).replace('"thresholds":{', '"thresholds":{"__proto__":{"review":1},'),
  '[{"__proto__":{"polluted":true}}]',
)

const body: fc.Arbitrary<Part<Uint8Array | undefined>> = fc.oneof(
  fc.constant(bare(undefined)),
  fc.jsonValue().map((value) => bare(utf8(JSON.stringify(value)))),
  writtenPan.map(({ value, pans }) => ({ value: utf8(JSON.stringify({ text: value, outcome: 'fraud', reason: value })), pans })),
  fc.tuple(fc.constantFrom('fraud', 'legitimate', 'maybe', 5), fc.string({ maxLength: 2_100 })).map(([outcome, text]) => bare(utf8(JSON.stringify({ outcome, reason: text, text })))),
  ruleSetBody.map((value) => bare(utf8(JSON.stringify(value)))),
  fc.tuple(writtenPan, luhnPan, fc.constantFrom('description', 'tags', 'lists', 'when', 'id', 'id of a broken rule')).map(([{ value, pans }, pan, field]) => {
    const set = defaultRuleSet()
    const rules = (change: object) => ({ ...set, rules: set.rules.map((rule) => ({ ...rule, ...change })) })
    const changed: Record<string, object> = {
      description: { ...set, description: value },
      lists: { ...set, lists: { cards: [value] } },
      tags: rules({ tags: [value] }),
      when: rules({ when: `txn.accountId == "${value}"` }),
      id: { ...set, rules: [{ ...set.rules[0]!, id: pan }] },
      'id of a broken rule': { ...set, rules: [{ ...set.rules[0]!, id: pan, when: 'txn.amount >' }] },
    }
    return { value: utf8(JSON.stringify({ ...changed[field], version: 500 })), pans: field.startsWith('id') ? [pan] : pans }
  }),
  pollution.map((text) => bare(utf8(text))),
  fc.string({ maxLength: 200 }).map((text) => bare(utf8(text))),
  fc.tuple(fc.constantFrom(60_000, 66_000, 250_000, 270_000, 1_100_000), fc.constantFrom('x', 'é')).map(([bytes, unit]) => bare(utf8(JSON.stringify({ text: unit.repeat(Math.floor(bytes / Buffer.byteLength(unit))) })))),
  fc.integer({ min: 1, max: 20_000 }).map((depth) => bare(utf8('['.repeat(depth) + ']'.repeat(depth)))),
  fc.integer({ min: 1, max: 5_000 }).map((depth) => bare(utf8(`{"text":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`))),
  fc.uint8Array({ minLength: 1, maxLength: 200 }).map(bare),
  fc.constant(bare(new Uint8Array(Buffer.concat([Buffer.of(0xef, 0xbb, 0xbf), Buffer.from('{"text":"with a BOM"}')])))),
  fc.constant(bare(new Uint8Array(Buffer.from('{"text":"\udc00 lone"}', 'utf8')))),
)

const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'get', 'Post', 'PROPFIND']

const jsonHeaders = fc.constant<Array<[string, string]>>([['content-type', 'application/json']])

/**
 * A request to the case API; `ids` are ids that exist, so some requests reach real data. Most aim
 * at a route with its method (and a plausible query and content type), so that they get past
 * routing and into validation and the stores; the rest are anything.
 */
export function apiRequest(ids: readonly string[]): fc.Arbitrary<ApiRequest> {
  const aimed = fc.constantFrom(...caseApiRoutes).chain((route) =>
    fc.record({
      method: fc.oneof({ weight: 5, arbitrary: fc.constant<string>(route.method) }, fc.constantFrom(...methods)),
      path: routePath(route.path, ids),
      query: fc.oneof({ weight: 3, arbitrary: fc.constant(bare('')) }, query),
      headers: fc.oneof({ weight: 3, arbitrary: jsonHeaders }, headers),
      body,
    }),
  )
  const stray = fc.record({ method: fc.constantFrom(...methods), path: fc.oneof(strayPath(ids), fc.constantFrom(...caseApiRoutes).chain((route) => routePath(route.path, ids))), query, headers, body })
  return fc.oneof({ weight: 4, arbitrary: aimed }, stray).map((r) => ({
    method: r.method,
    path: r.path.value,
    query: r.query.value,
    headers: r.headers,
    body: r.body.value,
    pans: [...r.path.pans, ...r.query.pans, ...r.body.pans],
  }))
}
