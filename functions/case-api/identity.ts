/**
 * Who is calling, from the claims API Gateway's JWT authorizer verified. The signature, issuer,
 * audience, expiry and the route's scope were checked before the handler runs; this reads the
 * claims, and accepts access tokens only.
 */
import { usernameSchema, type Actor } from '../core/cases/index.ts'
import type { CaseApiRole } from './routes.ts'

export type Claims = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>

/** A person, from a user's sign-in: the role of their groups. */
export interface UserPrincipal {
  kind: 'user'
  actor: Actor & { role: CaseApiRole }
  subject: string | undefined
}

/** An app client signed in with client credentials (a chargeback feed): no user, only its scopes. */
export interface ClientPrincipal {
  kind: 'client'
  clientId: string
  scopes: readonly string[]
}

export type Principal = UserPrincipal | ClientPrincipal

export type Caller = ({ ok: true } & Principal) | { ok: false; status: 401 | 403; detail: string }

/**
 * The groups of a `cognito:groups` claim, in every form it arrives in: a JSON array (the token
 * itself), API Gateway's flattening of an array claim (`[analyst supervisor]`), or a space- or
 * comma-separated string.
 */
export function groupsOf(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((group): group is string => typeof group === 'string').map((group) => group.trim()).filter(Boolean)
  if (typeof claim !== 'string') return []
  let text = claim.trim()
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1)
  return text
    .split(/[\s,]+/)
    .map((group) => group.replace(/^["']|["']$/g, ''))
    .filter(Boolean)
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined)

/**
 * The caller's actor: the user name (`username`, else `cognito:username`, else `sub`) and the
 * highest role among their groups. No claims → 401; not an access token → 401; claims without a
 * usable name → 401; no `analyst` or `supervisor` group → 403.
 *
 * Access tokens only (`token_use` = `access`): an ID token says who signed in, for the client that
 * asked, and is not meant to call APIs: it cannot be revoked (Cognito's revocation covers access
 * and refresh tokens), carries no scopes, and its `aud` is the very client id the authorizer
 * checks in an access token's `client_id`, so without this check either passes the authorizer.
 * The route scopes (functions/case-api/routes.ts) refuse ID tokens at API Gateway already; this
 * is the same rule where the claims are read, whatever sits in front.
 */
export function callerOf(claims: Claims | undefined): Caller {
  if (!claims || Object.keys(claims).length === 0) return { ok: false, status: 401, detail: 'a bearer token is required' }
  if (claims.token_use !== 'access') return { ok: false, status: 401, detail: 'an access token is required (token_use access), not an ID token' }
  const client = clientOf(claims)
  if (client) return { ok: true, ...client }
  const name = text(claims.username) ?? text(claims['cognito:username']) ?? text(claims.sub)
  const username = usernameSchema.safeParse(name)
  if (!username.success) return { ok: false, status: 401, detail: 'the token names no user (username, cognito:username or sub)' }
  const groups = groupsOf(claims['cognito:groups'])
  const role: CaseApiRole | undefined = groups.includes('supervisor') ? 'supervisor' : groups.includes('analyst') ? 'analyst' : undefined
  if (!role) return { ok: false, status: 403, detail: 'the caller is in neither the analyst nor the supervisor group' }
  return { ok: true, kind: 'user', actor: { username: username.data, role }, subject: text(claims.sub) }
}

/**
 * A client-credentials token, as Cognito issues it: `sub` is the client id itself, and there is
 * no user name and no group (a user's access token always names the user in `username`).
 */
function clientOf(claims: Claims): ClientPrincipal | undefined {
  const clientId = text(claims.client_id)
  if (clientId === undefined || text(claims.sub) !== clientId) return undefined
  if (claims.username !== undefined || claims['cognito:username'] !== undefined || claims['cognito:groups'] !== undefined) return undefined
  return { kind: 'client', clientId, scopes: scopesOf(claims.scope) }
}

/** The `scope` claim: a space-separated string in the token, or an array as some callers pass claims. */
function scopesOf(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((scope): scope is string => typeof scope === 'string')
  return typeof claim === 'string' ? claim.split(' ').filter(Boolean) : []
}

/** Whether `actual` satisfies a route's least role: a supervisor may do what an analyst may. */
export const hasRole = (actual: CaseApiRole, required: CaseApiRole): boolean => required === 'analyst' || actual === 'supervisor'
