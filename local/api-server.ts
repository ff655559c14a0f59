/**
 * The case API served on loopback the way API Gateway serves it in AWS: an HTTP API with a JWT
 * authorizer on every route and a Lambda proxy integration with payload format 2.0. The handler
 * is the Lambda's own function; it receives the event API Gateway would send and its result is
 * turned into the HTTP response the same way.
 *
 * Per request, in API Gateway's order:
 *
 * 1. **Route.** The most specific route matches (literal segments before `{param}` before
 *    `{proxy+}`; an exact method before `ANY`). No route for the method and path → 404
 *    `{"message":"Not Found"}`, before any authorization (HTTP APIs answer no 405).
 * 2. **JWT authorizer** (`$request.header.Authorization`, the token alone or after `Bearer `): the
 *    token's `kid` must name a key of the JWKS, its algorithm be RSA (RS256/384/512) and its
 *    signature verify; `iss` must equal the issuer; `aud`, or `client_id` when there is no `aud`,
 *    must be one of the audiences (the route's own, where it has its own authorizer); `exp` after now, `nbf` and `iat` (if present) not after now.
 *    Any failure → 401 `{"message":"Unauthorized"}` and the handler is not called. A route with
 *    authorization scopes also needs one of them in `scope`/`scp`, else 403 `{"message":"Forbidden"}`.
 * 3. **Body.** At most `maxBodyBytes` (API Gateway's payload limit, 10 MB) → else 413
 *    `{"message":"Request Entity Too Large"}`. A client that does not finish sending the request
 *    within `requestTimeoutMs` gets 408 from Node's server.
 * 4. **Event** (payload format 2.0): `version`, `routeKey` (`GET /cases/{id}`), `rawPath`,
 *    `rawQueryString`, `cookies`, `headers` (names lower-cased, repeated headers joined with `,`,
 *    `cookie` moved to `cookies`, `x-forwarded-*` added), `queryStringParameters` (repeated keys
 *    joined with `,`), `pathParameters` (decoded), `body` with `isBase64Encoded` (text content
 *    types as UTF-8 text, anything else base64, as API Gateway), and `requestContext` with
 *    `http`, `requestId`, `routeKey`, `stage: '$default'`, `time`, `timeEpoch` and
 *    `authorizer.jwt`: `claims` **as API Gateway passes them, every value a string** (numbers as
 *    their digits, arrays as `[a b]`: `cognito:groups` arrives as `"[analyst supervisor]"`), and
 *    `scopes`, null unless the route has authorization scopes.
 * 5. **Response.** A structured result (`statusCode`, `headers`, `cookies` → one `set-cookie`
 *    each, `body`, `isBase64Encoded`) is written as is; a result without `statusCode` is sent as
 *    200 JSON, as API Gateway infers it. A handler that throws or returns something malformed →
 *    500 `{"message":"Internal Server Error"}`; one that takes longer than `integrationTimeoutMs`
 *    (30 s, the HTTP API maximum) → 503 `{"message":"Service Unavailable"}`. Every response
 *    carries `apigw-requestid`.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import { listenOn } from './listen.ts'

export type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer
export type ApiHandler = (event: ApiEvent) => Promise<APIGatewayProxyStructuredResultV2 | unknown>

export interface ApiRoute {
  /** `GET`, `POST`, … or `ANY`. */
  readonly method: string
  /** API Gateway's path syntax: `/cases/{id}`; a last segment `{name+}` is greedy. */
  readonly path: string
  /** Authorization scopes the route requires (one of them); none by default, as in lib/case-api.ts. */
  readonly scopes?: readonly string[]
  /** The audiences of this route's own JWT authorizer (same issuer and keys), instead of `jwt.audience`. */
  readonly audience?: string | readonly string[]
}

export interface JwtAuthorizerSettings {
  /** The exact `iss` accepted. */
  readonly issuer: string
  /** The accepted `aud` (or `client_id`) values. */
  readonly audience: string | readonly string[]
  /** The issuer's public keys: a JWKS, or a jose key getter such as `createRemoteJWKSet(url)`. */
  readonly jwks: JSONWebKeySet | JWTVerifyGetKey
}

export interface ApiServerOptions {
  /** Default 0: any free port. */
  readonly port?: number
  /** Default 127.0.0.1 (loopback only). */
  readonly host?: string
  readonly handler: ApiHandler
  readonly routes: readonly ApiRoute[]
  readonly jwt: JwtAuthorizerSettings
  /** Default 10 MB (10,485,760 bytes), API Gateway's payload limit. */
  readonly maxBodyBytes?: number
  /** How long the handler may take; default 30 s, the HTTP API integration timeout. */
  readonly integrationTimeoutMs?: number
  /** How long a client may take to send a whole request; default 30 s. */
  readonly requestTimeoutMs?: number
  /** The clock of token validation and `timeEpoch`; default `Date.now`. */
  readonly now?: () => number
  /** Called with what the handler threw (the client only sees a 500); default logs to stderr. */
  readonly onHandlerError?: (error: unknown, event: ApiEvent) => void
  /** `requestContext.apiId` and `accountId`; defaults `local`, `000000000000`. */
  readonly apiId?: string
  readonly accountId?: string
}

export interface ApiServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly url: string
  readonly port: number
  /** Stops accepting connections and closes the open ones. */
  stop(): Promise<void>
}

export const apiGatewayPayloadLimitBytes = 10 * 1024 * 1024
export const httpApiIntegrationTimeoutMs = 30_000

/** The RSA algorithms API Gateway's JWT authorizer verifies. */
const rsaAlgorithms = ['RS256', 'RS384', 'RS512']

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const routes = compileRoutes(options.routes)
  const authorizer = jwtAuthorizer(options.jwt)
  const settings: RequestSettings = {
    routes,
    authorizer,
    handler: options.handler,
    maxBodyBytes: options.maxBodyBytes ?? apiGatewayPayloadLimitBytes,
    integrationTimeoutMs: options.integrationTimeoutMs ?? httpApiIntegrationTimeoutMs,
    now: options.now ?? Date.now,
    onHandlerError: options.onHandlerError ?? ((error, event) => console.error(`[api-server] ${event.routeKey} (${event.requestContext.requestId}) failed:`, error)),
    apiId: options.apiId ?? 'local',
    accountId: options.accountId ?? '000000000000',
  }

  const server = createServer((request, response) => {
    serve(settings, request, response).catch((error: unknown) => {
      // Only a bug of this module gets here; the client still gets an answer.
      console.error('[api-server] internal error:', error)
      if (!response.headersSent) send(response, 500, { message: 'Internal Server Error' }, newRequestId())
      else response.destroy()
    })
  })
  server.requestTimeout = options.requestTimeoutMs ?? 30_000
  server.headersTimeout = Math.min(server.requestTimeout, 30_000)

  const address = await listenOn(server, options.port ?? 0, options.host ?? '127.0.0.1')
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}

interface RequestSettings {
  readonly routes: readonly CompiledRoute[]
  readonly authorizer: JwtAuthorizer
  readonly handler: ApiHandler
  readonly maxBodyBytes: number
  readonly integrationTimeoutMs: number
  readonly now: () => number
  readonly onHandlerError: (error: unknown, event: ApiEvent) => void
  readonly apiId: string
  readonly accountId: string
}

async function serve(settings: RequestSettings, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const requestId = newRequestId()
  const received = settings.now()
  const target = request.url ?? '/'
  const queryAt = target.indexOf('?')
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt)
  const rawQueryString = queryAt === -1 ? '' : target.slice(queryAt + 1)
  const method = (request.method ?? 'GET').toUpperCase()

  const match = matchRoute(settings.routes, method, rawPath)
  if (!match) {
    request.resume()
    return send(response, 404, { message: 'Not Found' }, requestId)
  }

  const headers = joinedHeaders(request.rawHeaders)
  const auth = await settings.authorizer(headers['authorization'], match.route, received)
  if (!auth.ok) {
    request.resume()
    const extra: Record<string, string> = auth.status === 401 && auth.reason ? { 'www-authenticate': `Bearer error="invalid_token" error_description="${auth.reason}"` } : {}
    return send(response, auth.status, { message: auth.status === 401 ? 'Unauthorized' : 'Forbidden' }, requestId, extra)
  }

  const declared = Number(headers['content-length'] ?? 0)
  if (declared > settings.maxBodyBytes) {
    response.once('finish', () => request.destroy())
    return send(response, 413, { message: 'Request Entity Too Large' }, requestId, { connection: 'close' })
  }
  let body: Buffer | 'too-large'
  try {
    body = await readBody(request, settings.maxBodyBytes)
  } catch (error) {
    if (error === clientGone) return // nobody to answer
    throw error
  }
  if (body === 'too-large') {
    // Answer at once, then drop the connection rather than read the rest of an oversized upload.
    response.once('finish', () => request.destroy())
    return send(response, 413, { message: 'Request Entity Too Large' }, requestId, { connection: 'close' })
  }

  const event = buildEvent({
    method,
    rawPath,
    rawQueryString,
    headers,
    body,
    route: match,
    claims: auth.claims,
    scopes: auth.scopes,
    requestId,
    timeEpoch: received,
    sourceIp: sourceIpOf(request),
    apiId: settings.apiId,
    accountId: settings.accountId,
  })

  let result: unknown
  try {
    result = await withTimeout(Promise.resolve().then(() => settings.handler(event)), settings.integrationTimeoutMs)
  } catch (error) {
    if (error === timedOut) return send(response, 503, { message: 'Service Unavailable' }, requestId)
    settings.onHandlerError(error, event)
    return send(response, 500, { message: 'Internal Server Error' }, requestId)
  }
  const written = toHttpResponse(result)
  if (!written) {
    settings.onHandlerError(new Error(`malformed handler result: ${preview(result)}`), event)
    return send(response, 500, { message: 'Internal Server Error' }, requestId)
  }
  try {
    response.statusCode = written.status
    for (const [name, value] of Object.entries(written.headers)) response.setHeader(name, value)
    if (written.cookies.length > 0) response.appendHeader('set-cookie', written.cookies)
    response.setHeader('apigw-requestid', requestId)
    response.setHeader('content-length', written.body.length)
  } catch (error) {
    // An invalid header name or value: API Gateway would not send it either.
    settings.onHandlerError(error, event)
    for (const name of response.getHeaderNames()) response.removeHeader(name)
    return send(response, 500, { message: 'Internal Server Error' }, requestId)
  }
  response.end(method === 'HEAD' ? undefined : written.body)
}

// --- Routes ---------------------------------------------------------------------------------

type Segment = { kind: 'literal'; value: string } | { kind: 'param'; name: string } | { kind: 'greedy'; name: string }

export interface CompiledRoute {
  readonly route: ApiRoute
  readonly routeKey: string
  readonly method: string
  readonly segments: readonly Segment[]
}

export interface RouteMatch {
  readonly route: ApiRoute
  readonly routeKey: string
  /** Decoded values; empty when the route has no parameters. */
  readonly pathParameters: Record<string, string>
}

export function compileRoutes(routes: readonly ApiRoute[]): CompiledRoute[] {
  const seen = new Set<string>()
  return routes.map((route) => {
    const method = route.method.toUpperCase()
    if (!route.path.startsWith('/')) throw new Error(`route path must start with "/": ${route.path}`)
    const parts = route.path === '/' ? [] : route.path.slice(1).split('/')
    const segments = parts.map((part, index): Segment => {
      const param = /^\{([A-Za-z0-9_.-]+)(\+?)\}$/.exec(part)
      if (!param) {
        if (part === '' || part.includes('{') || part.includes('}')) throw new Error(`invalid route path segment "${part}" in ${route.path}`)
        return { kind: 'literal', value: part }
      }
      if (param[2] && index !== parts.length - 1) throw new Error(`a greedy {${param[1]}+} must be the last segment of ${route.path}`)
      return param[2] ? { kind: 'greedy', name: param[1]! } : { kind: 'param', name: param[1]! }
    })
    const routeKey = `${method} ${route.path}`
    if (seen.has(routeKey)) throw new Error(`duplicate route ${routeKey}`)
    seen.add(routeKey)
    return { route, routeKey, method, segments }
  })
}

/** The most specific route for a method and a raw path, as API Gateway picks it. */
export function matchRoute(routes: readonly CompiledRoute[], method: string, rawPath: string): RouteMatch | undefined {
  const parts = rawPath === '/' ? [] : rawPath.slice(1).split('/')
  let best: { compiled: CompiledRoute; rank: number[]; params: Record<string, string> } | undefined
  for (const compiled of routes) {
    if (compiled.method !== method && compiled.method !== 'ANY') continue
    const params: Record<string, string> = {}
    const rank: number[] = []
    let matched = true
    for (let i = 0; i < compiled.segments.length && matched; i++) {
      const segment = compiled.segments[i]!
      const part = parts[i]
      if (segment.kind === 'greedy') {
        const rest = parts.slice(i)
        if (rest.length === 0 || rest.join('/') === '') matched = false
        else {
          params[segment.name] = decode(rest.join('/'))
          rank.push(0)
        }
        break
      }
      if (part === undefined || part === '') matched = false
      else if (segment.kind === 'literal') {
        matched = part === segment.value
        rank.push(2)
      } else {
        params[segment.name] = decode(part)
        rank.push(1)
      }
    }
    const last = compiled.segments.at(-1)
    if (!matched || (last?.kind !== 'greedy' && parts.length !== compiled.segments.length)) continue
    rank.push(compiled.method === 'ANY' ? 0 : 1)
    if (!best || compareRanks(rank, best.rank) > 0) best = { compiled, rank, params }
  }
  return best && { route: best.compiled.route, routeKey: best.compiled.routeKey, pathParameters: best.params }
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? -1) - (b[i] ?? -1)
    if (difference !== 0) return difference
  }
  return 0
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

// --- JWT authorizer -------------------------------------------------------------------------

type AuthResult =
  | { ok: true; claims: Record<string, string>; scopes: string[] | null }
  | { ok: false; status: 401 | 403; reason?: string }

type JwtAuthorizer = (authorization: string | undefined, route: ApiRoute, now: number) => Promise<AuthResult>

const audienceList = (audience: string | readonly string[]): readonly string[] => (typeof audience === 'string' ? [audience] : audience)

function jwtAuthorizer(settings: JwtAuthorizerSettings): JwtAuthorizer {
  const keys: JWTVerifyGetKey = typeof settings.jwks === 'function' ? settings.jwks : createLocalJWKSet(settings.jwks)
  return async (authorization, route, now) => {
    const audiences = audienceList(route.audience ?? settings.audience)
    const routeScopes = route.scopes
    const token = authorization?.trim().replace(/^Bearer\s+/i, '')
    if (!token) return { ok: false, status: 401 }
    let payload: JWTPayload
    try {
      if (typeof decodeProtectedHeader(token).kid !== 'string') return { ok: false, status: 401, reason: 'the token has no kid' }
      ;({ payload } = await jwtVerify(token, keys, { issuer: settings.issuer, algorithms: rsaAlgorithms, requiredClaims: ['exp'], currentDate: new Date(now) }))
    } catch (error) {
      return { ok: false, status: 401, reason: reasonOf(error) }
    }
    const nowSeconds = Math.floor(now / 1000)
    if (typeof payload.iat === 'number' && payload.iat > nowSeconds) return { ok: false, status: 401, reason: 'the token was issued in the future' }
    // API Gateway evaluates aud when present, and client_id only without aud.
    const audienceClaim = payload.aud ?? payload['client_id']
    const presented = Array.isArray(audienceClaim) ? audienceClaim : [audienceClaim]
    if (!presented.some((value) => typeof value === 'string' && audiences.includes(value))) {
      return { ok: false, status: 401, reason: 'the token does not have a valid audience' }
    }
    const tokenScopes = scopesOf(payload)
    if (routeScopes && routeScopes.length > 0) {
      if (!routeScopes.some((scope) => tokenScopes.includes(scope))) return { ok: false, status: 403 }
      return { ok: true, claims: flattenClaims(payload), scopes: tokenScopes }
    }
    return { ok: true, claims: flattenClaims(payload), scopes: null }
  }
}

function reasonOf(error: unknown): string {
  const code = (error as { code?: string }).code
  if (code === 'ERR_JWT_EXPIRED') return 'the token has expired'
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    const claim = (error as { claim?: string }).claim
    return claim === 'iss' ? 'the token does not have a valid issuer' : claim === 'nbf' ? 'the token is not valid yet' : `the token has an invalid ${claim} claim`
  }
  if (code === 'ERR_JWKS_NO_MATCHING_KEY') return 'no key of the issuer matches the token kid'
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return 'signature verification failed'
  if (code === 'ERR_JOSE_ALG_NOT_ALLOWED') return 'the token algorithm is not supported'
  return 'the token is not a valid JWT'
}

function scopesOf(payload: JWTPayload): string[] {
  const value = payload['scope'] ?? payload['scp']
  if (typeof value === 'string') return value.split(' ').filter(Boolean)
  return Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : []
}

/**
 * Claims as the JWT authorizer hands them to the integration: every value a string. Numbers keep
 * their JSON digits (`"exp": "1787996002"`), booleans become `"true"`/`"false"`, arrays are
 * bracketed and space-separated (`"cognito:groups": "[analyst supervisor]"`).
 */
export function flattenClaims(payload: JWTPayload): Record<string, string> {
  return Object.fromEntries(Object.entries(payload).map(([name, value]) => [name, claimString(value)]))
}

function claimString(value: unknown): string {
  if (typeof value === 'string') return value
  if (Array.isArray(value)) return `[${value.map(claimString).join(' ')}]`
  if (value === null || value === undefined) return ''
  if (typeof value === 'object') {
    return `map[${Object.entries(value)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}:${claimString(v)}`)
      .join(' ')}]`
  }
  return String(value)
}

// --- Request → event ------------------------------------------------------------------------

/** Repeated headers joined with `,` under lower-cased names, as payload 2.0 has them. */
function joinedHeaders(rawHeaders: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {}
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase()
    headers[name] = name in headers ? `${headers[name]},${rawHeaders[i + 1]!}` : rawHeaders[i + 1]!
  }
  return headers
}

/** The whole body, or 'too-large' as soon as it passes the limit (the rest is drained unread). */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) return void chunks.push(chunk)
      request.off('data', onData)
      request.resume()
      chunks.length = 0
      resolve('too-large')
    }
    request.on('data', onData)
    request.once('end', () => resolve(Buffer.concat(chunks)))
    request.once('error', reject)
    request.once('close', () => {
      if (!request.complete) reject(clientGone)
    })
  })
}

/** Content types whose bodies API Gateway passes as text; every other body is base64. */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false
  const type = contentType.split(';')[0]!.trim().toLowerCase()
  return type.startsWith('text/') || /^application\/(json|xml|javascript|[\w.+-]+\+(json|xml))$/.test(type)
}

interface EventInput {
  readonly method: string
  readonly rawPath: string
  readonly rawQueryString: string
  readonly headers: Record<string, string>
  readonly body: Buffer
  readonly route: RouteMatch
  readonly claims: Record<string, string>
  readonly scopes: string[] | null
  readonly requestId: string
  readonly timeEpoch: number
  readonly sourceIp: string
  readonly apiId: string
  readonly accountId: string
}

export function buildEvent(input: EventInput): ApiEvent {
  const { cookie, ...rest } = input.headers
  const host = rest['host'] ?? `${input.apiId}.execute-api.localhost`
  const forwardedFor = rest['x-forwarded-for'] ? `${rest['x-forwarded-for']}, ${input.sourceIp}` : input.sourceIp
  const headers: Record<string, string> = {
    ...rest,
    'x-forwarded-for': forwardedFor,
    'x-forwarded-port': host.includes(':') ? host.slice(host.lastIndexOf(':') + 1) : '80',
    'x-forwarded-proto': 'http',
  }
  const cookies = cookie
    ?.split(/[;,]/)
    .map((c) => c.trim())
    .filter(Boolean)
  const query = queryParameters(input.rawQueryString)
  const text = isTextContentType(rest['content-type'])
  const event: ApiEvent = {
    version: '2.0',
    routeKey: input.route.routeKey,
    rawPath: input.rawPath,
    rawQueryString: input.rawQueryString,
    ...(cookies && cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: input.accountId,
      apiId: input.apiId,
      authorizer: { jwt: { claims: input.claims, scopes: input.scopes } },
      domainName: host,
      domainPrefix: host.split(/[.:]/)[0]!,
      http: { method: input.method, path: input.rawPath, protocol: 'HTTP/1.1', sourceIp: input.sourceIp, userAgent: rest['user-agent'] ?? '' },
      requestId: input.requestId,
      routeKey: input.route.routeKey,
      stage: '$default',
      time: clfTime(input.timeEpoch),
      timeEpoch: input.timeEpoch,
    },
    ...(Object.keys(input.route.pathParameters).length > 0 ? { pathParameters: input.route.pathParameters } : {}),
    ...(input.body.length > 0 ? { body: text ? input.body.toString('utf8') : input.body.toString('base64') } : {}),
    isBase64Encoded: input.body.length > 0 && !text,
  }
  return event
}

function queryParameters(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined
  const parameters: Record<string, string> = {}
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    parameters[key] = key in parameters ? `${parameters[key]},${value}` : value
  }
  return Object.keys(parameters).length > 0 ? parameters : undefined
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** `12/Mar/2020:19:03:58 +0000`, the form of `requestContext.time`. */
function clfTime(epochMs: number): string {
  const d = new Date(epochMs)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${two(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
}

function sourceIpOf(request: IncomingMessage): string {
  const address = request.socket.remoteAddress ?? '127.0.0.1'
  return address.startsWith('::ffff:') ? address.slice(7) : address
}

/** API Gateway's request ids look like `JKJaXmPLvHcESHA=`. */
function newRequestId(): string {
  return randomBytes(11).toString('base64')
}

// --- Result → response ----------------------------------------------------------------------

interface HttpResponse {
  readonly status: number
  readonly headers: Record<string, string>
  readonly cookies: string[]
  readonly body: Buffer
}

/** The response API Gateway makes of a payload 2.0 result; undefined when it is malformed. */
export function toHttpResponse(result: unknown): HttpResponse | undefined {
  const structured = typeof result === 'object' && result !== null && 'statusCode' in result
  if (!structured) {
    // No statusCode: the result itself is the JSON body of a 200.
    const body = JSON.stringify(result ?? null)
    return { status: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from(body) }
  }
  const { statusCode, headers, cookies, body, isBase64Encoded } = result as APIGatewayProxyStructuredResultV2
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return undefined
  if (body !== undefined && body !== null && typeof body !== 'string') return undefined
  if (cookies !== undefined && (!Array.isArray(cookies) || cookies.some((c) => typeof c !== 'string'))) return undefined
  if (headers !== undefined && (typeof headers !== 'object' || headers === null)) return undefined
  return {
    status: statusCode,
    headers: Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name, String(value)])),
    cookies: cookies ?? [],
    body: body ? Buffer.from(body, isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0),
  }
}

function send(response: ServerResponse, status: number, json: unknown, requestId: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(JSON.stringify(json))
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length, 'apigw-requestid': requestId, ...headers })
  response.end(body)
}

const timedOut = Symbol('timed out')
const clientGone = Symbol('client closed the connection before sending the whole request')

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timedOut), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}
