/**
 * What API Gateway's JWT authorizer hands the case API after it verified a token: the claims, every
 * value flattened to a string (local/api-server.ts does the same). The handler cannot trust their
 * shape beyond that: a user pool can be misconfigured, a group renamed, a name be anything. (A
 * name is the caller's identity, echoed by design as assignee and author: no card numbers here.)
 */
import fc from 'fast-check'
import { flattenClaims } from '../../../local/api-server.ts'
import { devAudience, devIssuer, subjectOf } from '../../../local/dev-tokens.ts'

export interface ClaimsCase {
  /** Undefined: no authorizer context at all. */
  claims: Record<string, string> | undefined
}

const username = fc.oneof(fc.constantFrom('ana', 'sam', 'bob'), fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.integer({ min: 129, max: 5_000 }).map((n) => 'u'.repeat(n)))

const groups = fc.oneof(
  fc.subarray(['analyst', 'supervisor']),
  fc.array(fc.oneof(fc.constantFrom('analyst', 'supervisor', 'ANALYST', 'admin', '', ' analyst ', 'analyst,supervisor', '[analyst]'), fc.string({ maxLength: 12 })), { maxLength: 3 }),
)

/** The claims of an access or an ID token as the dev user pool signs them. */
function tokenClaims(user: string, memberOf: readonly string[], id: boolean): ClaimsCase {
  const payload: Record<string, unknown> = { sub: subjectOf(user), 'cognito:groups': memberOf, iss: devIssuer, iat: 1_795_000_000, exp: 1_795_003_600 }
  Object.assign(payload, id ? { 'cognito:username': user, aud: devAudience, token_use: 'id' } : { username: user, client_id: devAudience, token_use: 'access' })
  return { claims: flattenClaims(payload) }
}

/** Some names and groups odd. */
const tokenPayload = fc
  .record({ name: username, groups, id: fc.boolean() })
  .map(({ name, groups: memberOf, id }) => tokenClaims(name, memberOf, id))

const anyClaims = fc.dictionary(fc.oneof(fc.constantFrom('username', 'cognito:username', 'sub', 'cognito:groups', '__proto__', 'constructor'), fc.string({ maxLength: 12 })), fc.string({ maxLength: 40 }), { maxKeys: 5 })

const member = fc.constantFrom(['analyst'], ['supervisor'], ['analyst', 'supervisor'])
// Mostly access tokens: an ID token is refused before routing (token_use), and half of them kept
// too few requests reaching the bodies for the campaign to meet every kind of answer.
const dev = fc.tuple(fc.constantFrom('ana', 'sam'), member, fc.constantFrom(false, false, false, true)).map(([name, memberOf, id]) => tokenClaims(name, memberOf, id))

export const authorizerClaims: fc.Arbitrary<ClaimsCase> = fc.oneof(
  { weight: 4, arbitrary: dev },
  { weight: 2, arbitrary: tokenPayload },
  { weight: 1, arbitrary: anyClaims.map((claims) => ({ claims })) },
  { weight: 1, arbitrary: fc.constant<ClaimsCase>({ claims: undefined }) },
)
