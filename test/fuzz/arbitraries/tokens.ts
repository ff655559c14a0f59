/**
 * Bearer tokens for the local API server's JWT authorizer, signed ahead of the property (signing
 * is async): valid ones, and every way one can be wrong — missing, malformed, `alg: none`, HS256
 * keyed with the public modulus, expired, not yet valid, issued in the future, another audience or
 * issuer, a forged signature under the trusted kid, an unknown key — plus validly signed tokens
 * whose claims are odd. `authorization` headers carry them in the forms clients send.
 */
import fc from 'fast-check'
import { SignJWT } from 'jose'
import { generateDevSigningKey, signDevToken, type DevSigningKey } from '../../../local/dev-tokens.ts'
import { devAudience, devIssuer } from '../../../local/dev-tokens.ts'
import { roleScope, userAccessScope } from '../../../functions/case-api/routes.ts'

export interface TokenCase {
  label: string
  token: string
  /** Whether the authorizer must let it through. */
  accepted: boolean
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** The pool of tokens the property draws from, signed for a server trusting `key`, at `now` (epoch ms). */
export async function tokenCases(key: DevSigningKey, now: number): Promise<TokenCase[]> {
  const hour = 3_600_000
  const ana = { username: 'ana', groups: ['analyst'] as const, issuedAt: now }
  const other = await generateDevSigningKey()
  const claims = { sub: 'x', iss: devIssuer, client_id: devAudience, token_use: 'access', scope: `${userAccessScope} ${roleScope('analyst')}`, iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + 3600 }
  const signed = (payload: Record<string, unknown>) => new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: key.kid }).sign(key.privateKey)
  return [
    { label: 'analyst access token', token: await signDevToken(key, ana), accepted: true },
    // Valid, but the case API's routes take access tokens only (their scope): refused with 403.
    { label: 'supervisor ID token', token: await signDevToken(key, { username: 'sam', groups: ['supervisor'], tokenUse: 'id', issuedAt: now }), accepted: false },
    { label: 'no groups', token: await signDevToken(key, { username: 'eve', groups: [], issuedAt: now }), accepted: true },
    { label: 'expired', token: await signDevToken(key, { ...ana, issuedAt: now - 2 * hour, expiresIn: 60 }), accepted: false },
    { label: 'issued in the future', token: await signDevToken(key, { ...ana, issuedAt: now + hour }), accepted: false },
    { label: 'not valid yet', token: await signDevToken(key, { ...ana, notBefore: now + hour }), accepted: false },
    { label: 'another audience', token: await signDevToken(key, { ...ana, audience: 'another-client' }), accepted: false },
    { label: 'another issuer', token: await signDevToken(key, { ...ana, issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_evil' }), accepted: false },
    { label: 'forged signature under the trusted kid', token: await signDevToken({ ...other, kid: key.kid }, ana), accepted: false },
    { label: 'unknown key', token: await signDevToken(other, ana), accepted: false },
    { label: 'alg none', token: `${base64url({ alg: 'none', kid: key.kid, typ: 'JWT' })}.${base64url({ ...claims, username: 'ana', 'cognito:groups': ['supervisor'] })}.`, accepted: false },
    {
      label: 'HS256 keyed with the public modulus',
      token: await new SignJWT({ ...claims, username: 'ana' }).setProtectedHeader({ alg: 'HS256', kid: key.kid }).sign(new TextEncoder().encode(String(key.jwks.keys[0]!.n))),
      accepted: false,
    },
    { label: 'exp as a string', token: await signed({ ...claims, username: 'ana', exp: String(claims.exp) }), accepted: false },
    { label: 'a 5,000-character user name', token: await signed({ ...claims, username: 'u'.repeat(5_000), 'cognito:groups': ['analyst'] }), accepted: true },
    { label: 'groups as an object', token: await signed({ ...claims, username: 'ana', 'cognito:groups': { analyst: true } }), accepted: true },
    { label: 'groups nested', token: await signed({ ...claims, username: 'ana', 'cognito:groups': [['supervisor'], 'analyst'] }), accepted: true },
    { label: 'groups as a bracketed string', token: await signed({ ...claims, username: 'ana', 'cognito:groups': '[supervisor]' }), accepted: true },
    { label: 'a __proto__ claim', token: await signed(JSON.parse(`{"__proto__":{"role":"supervisor"},"username":"ana","cognito:groups":["analyst"],${JSON.stringify(claims).slice(1)}`)), accepted: true },
    { label: 'three dots', token: '...', accepted: false },
    { label: 'not a JWT', token: 'hello', accepted: false },
    { label: 'base64 garbage', token: `${Buffer.from('garbage').toString('base64url')}.${Buffer.from('{').toString('base64url')}.sig`, accepted: false },
    { label: 'a 20 KB token', token: 'a'.repeat(20_000), accepted: false },
  ]
}

interface Authorization {
  headers: Array<[string, string]>
  token: TokenCase | undefined
  label: string
}

/** The `authorization` headers a client sends for a token: none, the usual form, and careless ones. */
export function authorizationHeaders(tokens: readonly TokenCase[]): fc.Arbitrary<Authorization> {
  const token = fc.constantFrom(...tokens)
  return fc.oneof(
    fc.constant<Authorization>({ headers: [], token: undefined, label: 'no authorization' }),
    { weight: 4, arbitrary: token.map((t) => ({ headers: [['authorization', `Bearer ${t.token}`] as [string, string]], token: t, label: t.label })) },
    fc.tuple(token, fc.constantFrom('bearer ', '', 'Bearer  ', 'Basic ', 'Bearer\t')).map(([t, scheme]) => ({ headers: [['Authorization', `${scheme}${t.token}`] as [string, string]], token: { ...t, accepted: t.accepted && scheme.trim().toLowerCase() !== 'basic' }, label: `${JSON.stringify(scheme)} ${t.label}` })),
    fc.tuple(token, token).map(([a, b]) => ({ headers: [['authorization', `Bearer ${a.token}`], ['authorization', `Bearer ${b.token}`]] as Array<[string, string]>, token: { ...a, accepted: false }, label: `two authorization headers (${a.label}, ${b.label})` })),
  )
}
