/**
 * Development tokens: a local stand-in for the Cognito user pool that signs the case API's JWTs.
 *
 * One RSA key pair (RS256, as Cognito signs; API Gateway's JWT authorizer accepts RSA keys only)
 * either generated per run (`generateDevSigningKey`) or kept in `<dataDir>/dev-jwks.json`
 * (`devSigningKey`, created on first use with mode 0600; `.vigil/` is gitignored), so that
 * `vigil token` and the local API server trust the same key. The server is given the public half
 * as a JWKS (`key.jwks`), exactly as API Gateway fetches the user pool's `jwks_uri`.
 *
 * Tokens carry the claims Cognito puts in its tokens:
 *
 * | claim            | access token                      | ID token                |
 * | ---------------- | --------------------------------- | ----------------------- |
 * | `sub`            | a stable UUID per user name       | same                    |
 * | `cognito:groups` | the user's groups (absent if none) | same                   |
 * | user name        | `username`                        | `cognito:username`      |
 * | audience         | `client_id`                       | `aud`                   |
 * | `token_use`      | `access`                          | `id`                    |
 * | `scope`          | `aws.cognito.signin.user.admin` and the groups' role scopes (`vigil-api/analyst`, …), as the user pool's trigger adds them | – |
 * | also             | `iss`, `iat`, `exp`, `auth_time`, `jti`, `origin_jti`, `event_id`, `version` (access) |
 *
 * Cognito's access tokens name the user in `username`, its ID tokens in `cognito:username`. The
 * case API takes access tokens only: its routes require a role `scope`, which an ID token lacks
 * (functions/case-api/routes.ts); ID tokens are signed here to test that refusal.
 *
 * A machine client's access token (`signDevClientToken`), as Cognito issues it for the client
 * credentials grant: `sub` and `client_id` are the client id, `scope` the scopes it was allowed,
 * `token_use` `access`, no user and no groups. `devClients` are the local counterparts of the user
 * pool's client-credentials app clients (lib/case-api.ts); `devApiRoutes` lets their tokens through
 * the local authorizer on exactly the routes the deployed API's labels authorizer covers.
 *
 * The issuer and audience below are the local runtime's, named here only. They never match a real
 * user pool (`https://cognito-idp.<region>.amazonaws.com/<pool id>`) or app client, so a dev token
 * is refused by a deployed API and a real token by the local server.
 */
import { createHash, randomUUID } from 'node:crypto'
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JSONWebKeySet, type JWK } from 'jose'
import { labelsWriteScope, scopesOfGroups, userAccessScope, type CaseApiRole, type CaseApiRoute } from '../functions/case-api/routes.ts'
import type { ApiRoute } from './api-server.ts'

/** The `iss` of every dev token; the local server's JWT authorizer requires it. */
export const devIssuer = 'http://localhost/vigil-dev-user-pool'
/** The app client id of dev tokens (`client_id` of access tokens, `aud` of ID tokens). */
export const devAudience = 'vigil-dev-client'
/** Where the local runtime keeps its state, relative to the working directory. */
export const defaultDataDir = '.vigil'
/** The private signing key, as a JWKS of one key, under the data directory. */
export const devJwksFileName = 'dev-jwks.json'
/** Cognito signs with RS256; API Gateway's JWT authorizer supports RSA algorithms only. */
export const devSigningAlgorithm = 'RS256'
/** The groups a dev token can carry: the user pool's groups (lib/case-api.ts). */
export const devGroups = ['analyst', 'supervisor'] as const satisfies readonly CaseApiRole[]
export type DevGroup = (typeof devGroups)[number]

/** The local machine clients by name: their client ids and the scopes they are allowed, as in lib/case-api.ts. */
export const devClients = {
  'chargeback-feed': { clientId: 'vigil-dev-chargeback-feed', scopes: [labelsWriteScope] },
} as const satisfies Record<string, { clientId: string; scopes: readonly string[] }>
export type DevClient = keyof typeof devClients

/** Cognito's default lifetime of access and ID tokens. */
const defaultLifetimeSeconds = 3600

export interface DevSigningKey {
  /** The key id (`kid`): the RFC 7638 thumbprint of the public key. */
  readonly kid: string
  readonly privateKey: CryptoKey
  /** The public key only, as the user pool publishes it at `/.well-known/jwks.json`. */
  readonly jwks: JSONWebKeySet
  /** The file the key was read from or written to; undefined for a per-run key. */
  readonly path: string | undefined
}

export interface DevTokenOptions {
  readonly username: string
  readonly groups: readonly DevGroup[]
  /** Default `devAudience`. */
  readonly audience?: string
  /** Default `devIssuer`. */
  readonly issuer?: string
  /** Seconds, or a duration like `15m`, `1h`, `7d`. Default 1 hour, as Cognito. */
  readonly expiresIn?: number | string
  /** Default `access`. */
  readonly tokenUse?: 'access' | 'id'
  /** Epoch milliseconds the token is issued at (`iat`, `auth_time`). Default now. */
  readonly issuedAt?: number
  /** Optional `nbf`, epoch milliseconds (Cognito sets none). */
  readonly notBefore?: number
}

/** A key pair for this process only. */
export async function generateDevSigningKey(): Promise<DevSigningKey> {
  return fromPrivateJwk(await newPrivateJwk(), undefined)
}

/** The path of the persisted key under a data directory. */
export function devJwksPath(dataDir: string = defaultDataDir): string {
  return join(dataDir, devJwksFileName)
}

/**
 * The key persisted under `dataDir`, created on first use. Creation is atomic (written to a
 * temporary file, then hard-linked into place, which fails if the file exists), so two processes
 * starting at once agree on one key and neither reads a half-written file.
 */
export async function devSigningKey(options: { dataDir?: string } = {}): Promise<DevSigningKey> {
  const dataDir = options.dataDir ?? defaultDataDir
  const path = devJwksPath(dataDir)
  const existing = await readKeyFile(path)
  if (existing) return fromPrivateJwk(existing, path)

  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const jwk = await newPrivateJwk()
  const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`
  await writeFile(temporary, `${JSON.stringify({ keys: [jwk] }, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
  try {
    await link(temporary, path)
    return fromPrivateJwk(jwk, path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    // Another process created it first: use theirs.
    const theirs = await readKeyFile(path)
    if (!theirs) throw new Error(`${path} vanished while it was being created`)
    return fromPrivateJwk(theirs, path)
  } finally {
    await unlink(temporary).catch(() => undefined)
  }
}

/** A token shaped like one the Cognito user pool issues to a member of `groups`. */
export async function signDevToken(key: DevSigningKey, options: DevTokenOptions): Promise<string> {
  const { username, groups } = options
  if (username.length === 0 || username.length > 128) throw new Error('username must be 1 to 128 characters')
  for (const group of groups) {
    if (!(devGroups as readonly string[]).includes(group)) throw new Error(`unknown group ${JSON.stringify(group)}: one of ${devGroups.join(', ')}`)
  }
  const audience = options.audience ?? devAudience
  const tokenUse = options.tokenUse ?? 'access'
  const iat = Math.floor((options.issuedAt ?? Date.now()) / 1000)
  const exp = iat + lifetimeSeconds(options.expiresIn ?? defaultLifetimeSeconds)
  const claims: Record<string, unknown> = {
    sub: subjectOf(username),
    ...(groups.length > 0 ? { 'cognito:groups': [...new Set(groups)] } : {}),
    iss: options.issuer ?? devIssuer,
    ...(tokenUse === 'access'
      ? { version: 2, client_id: audience, token_use: 'access', scope: [userAccessScope, ...scopesOfGroups(groups)].join(' '), username }
      : { 'cognito:username': username, aud: audience, token_use: 'id' }),
    origin_jti: randomUUID(),
    event_id: randomUUID(),
    auth_time: iat,
    iat,
    exp,
    ...(options.notBefore !== undefined ? { nbf: Math.floor(options.notBefore / 1000) } : {}),
    jti: randomUUID(),
  }
  return new SignJWT(claims).setProtectedHeader({ alg: devSigningAlgorithm, kid: key.kid }).sign(key.privateKey)
}

export interface DevClientTokenOptions {
  readonly client: DevClient
  /** As in `DevTokenOptions`. */
  readonly expiresIn?: number | string
  readonly issuedAt?: number
}

/** An access token shaped like one the user pool issues to a machine client for the client credentials grant. */
export async function signDevClientToken(key: DevSigningKey, options: DevClientTokenOptions): Promise<string> {
  const { clientId, scopes } = devClients[options.client]
  const iat = Math.floor((options.issuedAt ?? Date.now()) / 1000)
  const claims = {
    sub: clientId,
    token_use: 'access',
    scope: scopes.join(' '),
    auth_time: iat,
    iss: devIssuer,
    exp: iat + lifetimeSeconds(options.expiresIn ?? defaultLifetimeSeconds),
    iat,
    version: 2,
    jti: randomUUID(),
    client_id: clientId,
  }
  return new SignJWT(claims).setProtectedHeader({ alg: devSigningAlgorithm, kid: key.kid }).sign(key.privateKey)
}

/**
 * The case API's routes for the local server: a route a machine client may call (`clientScope`)
 * gets its own authorizer's audiences, the app client's and those of the dev clients allowed that
 * scope, as lib/case-api.ts gives it a second authorizer; every other route keeps `devAudience`.
 */
export function devApiRoutes(routes: readonly CaseApiRoute[]): ApiRoute[] {
  return routes.map((route) => {
    if (route.clientScope === undefined) return route
    const clients = Object.values(devClients).filter((client) => (client.scopes as readonly string[]).includes(route.clientScope!))
    return { ...route, audience: [devAudience, ...clients.map((client) => client.clientId)] }
  })
}

/** Cognito's `sub` is a UUID that never changes for a user; here it is derived from the name. */
export function subjectOf(username: string): string {
  const hex = createHash('sha256').update(`vigil-dev:${username}`).digest('hex')
  // An RFC 9562 version 8 (custom) UUID.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 }

/** `3600`, `"3600"`, `"90s"`, `"15m"`, `"1h"`, `"7d"` → seconds. */
export function lifetimeSeconds(value: number | string): number {
  const match = typeof value === 'number' ? null : /^(\d+)([smhd]?)$/.exec(value.trim())
  const seconds = typeof value === 'number' ? value : match ? Number(match[1]) * units[match[2] || 's']! : Number.NaN
  if (!Number.isInteger(seconds) || seconds <= 0) throw new Error(`expiresIn must be a positive number of seconds or a duration like 15m, 1h, 7d (got ${JSON.stringify(value)})`)
  return seconds
}

async function newPrivateJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(devSigningAlgorithm, { extractable: true, modulusLength: 2048 })
  const jwk = await exportJWK(privateKey)
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: devSigningAlgorithm, use: 'sig' }
}

async function readKeyFile(path: string): Promise<JWK | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  const parsed = (() => {
    try {
      return JSON.parse(text) as { keys?: unknown }
    } catch {
      return undefined
    }
  })()
  const key = Array.isArray(parsed?.keys) && parsed.keys.length === 1 ? (parsed.keys[0] as JWK) : undefined
  if (!key || key.kty !== 'RSA' || typeof key.d !== 'string' || typeof key.kid !== 'string') {
    // Never replaced silently: tokens signed with it would stop verifying. Deleting it is the fix.
    throw new Error(`${path} is not a development signing key (a JWKS with one private RSA key); delete it to create a new one`)
  }
  return key
}

async function fromPrivateJwk(jwk: JWK, path: string | undefined): Promise<DevSigningKey> {
  const privateKey = (await importJWK(jwk, devSigningAlgorithm)) as CryptoKey
  const { kty, n, e, kid } = jwk
  return { kid: kid!, privateKey, jwks: { keys: [{ kty, n, e, kid, alg: devSigningAlgorithm, use: 'sig' }] }, path }
}
