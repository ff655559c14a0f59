import { execFile } from 'node:child_process'
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { caseApiRoutes } from '../../functions/case-api/routes.ts'
import { startApiServer, type ApiEvent, type ApiServer } from '../../local/api-server.ts'
import { devAudience, devIssuer, devSigningKey, generateDevSigningKey, signDevToken, subjectOf, type DevSigningKey } from '../../local/dev-tokens.ts'

const root = new URL('../../', import.meta.url).pathname
const exec = promisify(execFile)

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  json(): any
}

/** A raw HTTP/1.1 request (node:http, so repeated headers and cookies go out exactly as given). */
function send(url: string, options: { method?: string; path: string; headers?: OutgoingHttpHeaders; body?: string | Buffer }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${options.path}`, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const body = Buffer.concat(chunks)
        resolve({ status: res.statusCode!, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) })
      })
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

let key: DevSigningKey
let server: ApiServer
const events: ApiEvent[] = []
/** What the fake handler does with the next events; by default it echoes the event as JSON. */
let respond: (event: ApiEvent) => Promise<APIGatewayProxyStructuredResultV2 | unknown>
const echo = async (event: ApiEvent) => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) })

beforeAll(async () => {
  key = await generateDevSigningKey()
  server = await startApiServer({
    handler: async (event) => {
      events.push(event)
      return respond(event)
    },
    routes: caseApiRoutes,
    jwt: { issuer: devIssuer, audience: devAudience, jwks: key.jwks },
  })
})
afterAll(async () => {
  await server?.stop()
})
beforeEach(() => {
  events.length = 0
  respond = echo
})

const analyst = () => signDevToken(key, { username: 'alice', groups: ['analyst'] })
/** For the supervisors' routes: their scope is `vigil-api/supervisor`, which an analyst's token lacks. */
const supervisor = () => signDevToken(key, { username: 'sam', groups: ['supervisor'] })

describe('authorization: the JWT authorizer in front of every route', () => {
  const refused = async (headers: OutgoingHttpHeaders) => {
    const reply = await send(server.url, { path: '/cases', headers })
    expect(reply.status).toBe(401)
    expect(reply.json()).toEqual({ message: 'Unauthorized' })
    expect(reply.headers['content-type']).toBe('application/json')
    expect(events).toEqual([]) // the handler never ran
    return reply
  }

  it('refuses a request without a token with 401', async () => {
    await refused({})
    await refused({ authorization: '' })
    await refused({ authorization: 'Bearer ' })
  })

  it('refuses a token whose signature does not verify against the JWKS (another key under the trusted kid)', async () => {
    const other = await generateDevSigningKey()
    const forged = await signDevToken({ ...other, kid: key.kid }, { username: 'mallory', groups: ['supervisor'] })
    const reply = await refused(bearer(forged))
    expect(reply.headers['www-authenticate']).toMatch(/invalid_token/)
  })

  it('refuses a token signed by a key the JWKS does not have, and a token without kid', async () => {
    const other = await generateDevSigningKey()
    await refused(bearer(await signDevToken(other, { username: 'mallory', groups: ['analyst'] })))
    const now = Math.floor(Date.now() / 1000)
    const noKid = await new SignJWT({ iss: devIssuer, client_id: devAudience, token_use: 'access', iat: now, exp: now + 600 }).setProtectedHeader({ alg: 'RS256' }).sign(key.privateKey)
    await refused(bearer(noKid))
  })

  it('refuses a token that is not RSA-signed (HS256 with the public modulus as secret)', async () => {
    const now = Math.floor(Date.now() / 1000)
    const secret = new TextEncoder().encode((key.jwks.keys[0] as { n: string }).n)
    const hs = await new SignJWT({ iss: devIssuer, client_id: devAudience, iat: now, exp: now + 600 }).setProtectedHeader({ alg: 'HS256', kid: key.kid }).sign(secret)
    await refused(bearer(hs))
    await refused(bearer('not.a.jwt'))
  })

  it('refuses a token for another audience (client_id of access tokens, aud of ID tokens)', async () => {
    await refused(bearer(await signDevToken(key, { username: 'alice', groups: ['analyst'], audience: 'some-other-client' })))
    await refused(bearer(await signDevToken(key, { username: 'alice', groups: ['analyst'], audience: 'some-other-client', tokenUse: 'id' })))
  })

  it('evaluates aud when a token has it, and client_id only when it has none (as API Gateway)', async () => {
    const now = Math.floor(Date.now() / 1000)
    const both = await new SignJWT({ iss: devIssuer, aud: 'elsewhere', client_id: devAudience, iat: now, exp: now + 600 }).setProtectedHeader({ alg: 'RS256', kid: key.kid }).sign(key.privateKey)
    await refused(bearer(both))
  })

  it('refuses a token from another issuer', async () => {
    await refused(bearer(await signDevToken(key, { username: 'alice', groups: ['analyst'], issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_other' })))
  })

  it('refuses an expired token, one not valid yet, and one issued in the future', async () => {
    const hour = 3600_000
    const expired = await refused(bearer(await signDevToken(key, { username: 'alice', groups: ['analyst'], issuedAt: Date.now() - 2 * hour, expiresIn: '1h' })))
    expect(expired.headers['www-authenticate']).toMatch(/expired/)
    await refused(bearer(await signDevToken(key, { username: 'alice', groups: ['analyst'], notBefore: Date.now() + hour })))
    await refused(bearer(await signDevToken(key, { username: 'alice', groups: ['analyst'], issuedAt: Date.now() + hour })))
  })

  it('lets a valid analyst access token reach the handler, with its claims as API Gateway passes them (all strings)', async () => {
    const reply = await send(server.url, { path: '/cases', headers: bearer(await analyst()) })
    expect(reply.status).toBe(200)
    expect(events).toHaveLength(1)
    const { claims, scopes } = reply.json().requestContext.authorizer.jwt
    expect(claims).toMatchObject({
      sub: subjectOf('alice'),
      username: 'alice',
      'cognito:groups': '[analyst]',
      token_use: 'access',
      client_id: devAudience,
      iss: devIssuer,
      scope: 'aws.cognito.signin.user.admin vigil-api/analyst',
    })
    expect(claims.exp).toMatch(/^\d{10}$/)
    expect(claims.iat).toMatch(/^\d{10}$/)
    expect(Object.values(claims).every((v) => typeof v === 'string')).toBe(true)
    expect(scopes).toEqual(['aws.cognito.signin.user.admin', 'vigil-api/analyst']) // GET /cases requires vigil-api/analyst
  })

  it('refuses an analyst access token with 403 on the supervisors\' routes: it lacks their scope', async () => {
    const token = await analyst()
    for (const route of caseApiRoutes.filter((r) => r.role === 'supervisor')) {
      const reply = await send(server.url, { method: route.method, path: route.path.replace(/\{[^}]+\}/g, '1'), headers: bearer(token) })
      expect([route.operationId, reply.status, reply.json()]).toEqual([route.operationId, 403, { message: 'Forbidden' }])
    }
    expect(events).toEqual([])
  })

  it('refuses a valid ID token with 403 on every case API route: it carries no scope, so only access tokens pass', async () => {
    const token = await signDevToken(key, { username: 'sam', groups: ['analyst', 'supervisor'], tokenUse: 'id' })
    for (const route of caseApiRoutes) {
      const reply = await send(server.url, { method: route.method, path: route.path.replace(/\{[^}]+\}/g, '1'), headers: { authorization: token } })
      expect([route.operationId, reply.status, reply.json()]).toEqual([route.operationId, 403, { message: 'Forbidden' }])
    }
    expect(events).toEqual([])
  })

  it('takes the access token alone too, without "Bearer", its groups bracketed and space-separated', async () => {
    const token = await signDevToken(key, { username: 'sam', groups: ['analyst', 'supervisor'] })
    const reply = await send(server.url, { path: '/rules', headers: { authorization: token } })
    expect(reply.status).toBe(200)
    expect(reply.json().requestContext.authorizer.jwt.claims).toMatchObject({ username: 'sam', client_id: devAudience, token_use: 'access', 'cognito:groups': '[analyst supervisor]' })
  })
})

describe('routing', () => {
  it('answers an unknown route with 404 {"message":"Not Found"}, before any authorization', async () => {
    for (const [method, path] of [['GET', '/nope'], ['GET', '/'], ['DELETE', '/cases/c-1'], ['GET', '/cases/c-1/claim'], ['GET', '/cases/'], ['GET', '/cases//claim']] as const) {
      for (const headers of [{}, bearer(await analyst())]) {
        const reply = await send(server.url, { method, path, headers })
        expect([method, path, reply.status]).toEqual([method, path, 404])
        expect(reply.json()).toEqual({ message: 'Not Found' })
      }
    }
    expect(events).toEqual([])
  })

  it('parses path parameters, decoded, and names the route key', async () => {
    const token = await analyst()
    const get = (await send(server.url, { path: '/cases/case%2042', headers: bearer(token) })).json()
    expect(get).toMatchObject({ routeKey: 'GET /cases/{id}', rawPath: '/cases/case%2042', pathParameters: { id: 'case 42' } })
    const claim = (await send(server.url, { method: 'POST', path: '/cases/c-7/claim', headers: bearer(token) })).json()
    expect(claim).toMatchObject({ routeKey: 'POST /cases/{id}/claim', pathParameters: { id: 'c-7' } })
    const activate = (await send(server.url, { method: 'POST', path: '/rules/12/activate', headers: bearer(await supervisor()) })).json()
    expect(activate).toMatchObject({ routeKey: 'POST /rules/{version}/activate', pathParameters: { version: '12' } })
    const decision = (await send(server.url, { path: '/transactions/tx-1/decision', headers: bearer(token) })).json()
    expect(decision).toMatchObject({ routeKey: 'GET /transactions/{id}/decision', pathParameters: { id: 'tx-1' } })
  })

  it('prefers a literal segment to a parameter, and has no pathParameters on a route without any', async () => {
    const stats = (await send(server.url, { path: '/rules/stats', headers: bearer(await analyst()) })).json()
    expect(stats.routeKey).toBe('GET /rules/stats')
    expect(stats.pathParameters).toBeUndefined()
  })
})

describe('routes beyond the case API: scopes, greedy paths, ANY', () => {
  it('requires one of a route’s authorization scopes (403 otherwise) and then passes the token’s scopes', async () => {
    const other = await startApiServer({
      handler: echo,
      routes: [
        { method: 'GET', path: '/scoped', scopes: ['vigil/read'] },
        { method: 'ANY', path: '/files/{path+}' },
        { method: 'GET', path: '/files/{path+}' },
      ],
      jwt: { issuer: devIssuer, audience: [devAudience, 'second-client'], jwks: key.jwks },
    })
    try {
      const plain = await send(other.url, { path: '/scoped', headers: bearer(await analyst()) })
      expect(plain.status).toBe(403)
      expect(plain.json()).toEqual({ message: 'Forbidden' })
      const now = Math.floor(Date.now() / 1000)
      const scoped = await new SignJWT({ iss: devIssuer, client_id: 'second-client', scope: 'vigil/write vigil/read', iat: now, exp: now + 600 })
        .setProtectedHeader({ alg: 'RS256', kid: key.kid })
        .sign(key.privateKey)
      const allowed = await send(other.url, { path: '/scoped', headers: bearer(scoped) })
      expect(allowed.status).toBe(200)
      expect(allowed.json().requestContext.authorizer.jwt.scopes).toEqual(['vigil/write', 'vigil/read'])

      const get = (await send(other.url, { path: '/files/a/b%20c', headers: bearer(await analyst()) })).json()
      expect(get).toMatchObject({ routeKey: 'GET /files/{path+}', pathParameters: { path: 'a/b c' } })
      const post = (await send(other.url, { method: 'POST', path: '/files/x', headers: bearer(await analyst()) })).json()
      expect(post.routeKey).toBe('ANY /files/{path+}')
      expect((await send(other.url, { path: '/files/', headers: bearer(await analyst()) })).status).toBe(404)
    } finally {
      await other.stop()
    }
  })
})

describe('the event: API Gateway payload format 2.0', () => {
  it('has the payload 2.0 shape: raw path and query, joined repeated headers and parameters, cookies, body, request context', async () => {
    const token = await analyst()
    const body = JSON.stringify({ text: 'called the cardholder' })
    const reply = await send(server.url, {
      method: 'POST',
      path: '/cases/c-1/notes?status=open&status=escalated&limit=5&q=a%20b',
      headers: { ...bearer(token), 'Content-Type': 'application/json', 'X-Trace': ['one', 'two'], Cookie: 'theme=dark; lang=en', 'User-Agent': 'vitest' },
      body,
    })
    expect(reply.status).toBe(200)
    const event = reply.json()
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /cases/{id}/notes',
      rawPath: '/cases/c-1/notes',
      rawQueryString: 'status=open&status=escalated&limit=5&q=a%20b',
      queryStringParameters: { status: 'open,escalated', limit: '5', q: 'a b' },
      pathParameters: { id: 'c-1' },
      cookies: ['theme=dark', 'lang=en'],
      body,
      isBase64Encoded: false,
    })
    expect(event.headers).toMatchObject({ 'content-type': 'application/json', 'x-trace': 'one,two', 'user-agent': 'vitest', authorization: `Bearer ${token}`, 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http' })
    expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true)
    expect(event.headers.cookie).toBeUndefined()
    expect(event.requestContext).toMatchObject({
      routeKey: 'POST /cases/{id}/notes',
      stage: '$default',
      http: { method: 'POST', path: '/cases/c-1/notes', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      authorizer: { jwt: { claims: { username: 'alice' }, scopes: ['aws.cognito.signin.user.admin', 'vigil-api/analyst'] } },
    })
    expect(event.requestContext.requestId).toMatch(/^[A-Za-z0-9+/]{15}=$/)
    expect(reply.headers['apigw-requestid']).toBe(event.requestContext.requestId)
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(10_000)
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/)
    // The event the handler got is the one it echoed.
    expect(events[0]).toEqual(event)
  })

  it('leaves out what the request does not have: no query, no cookies, no body', async () => {
    const event = (await send(server.url, { path: '/cases', headers: bearer(await analyst()) })).json()
    expect(event.rawQueryString).toBe('')
    expect(event.queryStringParameters).toBeUndefined()
    expect(event.cookies).toBeUndefined()
    expect(event.body).toBeUndefined()
    expect(event.isBase64Encoded).toBe(false)
  })

  it('base64-encodes a body that is not text, and one without a content type', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255])
    const binary = (await send(server.url, { method: 'PUT', path: '/rules', headers: { ...bearer(await supervisor()), 'content-type': 'application/octet-stream' }, body: bytes })).json()
    expect(binary.isBase64Encoded).toBe(true)
    expect(Buffer.from(binary.body, 'base64')).toEqual(bytes)
    const untyped = (await send(server.url, { method: 'PUT', path: '/rules', headers: bearer(await supervisor()), body: '{"version":2}' })).json()
    expect(untyped).toMatchObject({ isBase64Encoded: true, body: Buffer.from('{"version":2}').toString('base64') })
  })
})

describe('the response: the handler’s result written back', () => {
  it('writes status, headers, cookies (one set-cookie each) and a base64 body', async () => {
    respond = async () => ({ statusCode: 201, headers: { 'content-type': 'image/png', 'x-count': 3 }, cookies: ['a=1; Path=/', 'b=2'], body: Buffer.from([137, 80, 78, 71]).toString('base64'), isBase64Encoded: true })
    const reply = await send(server.url, { method: 'POST', path: '/cases/c-1/claim', headers: bearer(await analyst()) })
    expect(reply.status).toBe(201)
    expect(reply.headers).toMatchObject({ 'content-type': 'image/png', 'x-count': '3', 'set-cookie': ['a=1; Path=/', 'b=2'] })
    expect(reply.body).toEqual(Buffer.from([137, 80, 78, 71]))
  })

  it('sends a result without statusCode as a 200 JSON body, as API Gateway infers it', async () => {
    respond = async () => ({ cases: [] })
    const reply = await send(server.url, { path: '/cases', headers: bearer(await analyst()) })
    expect(reply.status).toBe(200)
    expect(reply.headers['content-type']).toBe('application/json')
    expect(reply.json()).toEqual({ cases: [] })
  })

  it('answers 500 {"message":"Internal Server Error"} when the handler throws or returns a malformed result', async () => {
    const errors: unknown[] = []
    const failing = await startApiServer({
      handler: async (event) => {
        if (event.rawPath === '/cases') throw new Error('boom')
        return { statusCode: 'two hundred' }
      },
      routes: caseApiRoutes,
      jwt: { issuer: devIssuer, audience: devAudience, jwks: key.jwks },
      onHandlerError: (error) => errors.push(error),
    })
    try {
      for (const path of ['/cases', '/rules']) {
        const reply = await send(failing.url, { path, headers: bearer(await analyst()) })
        expect(reply.status).toBe(500)
        expect(reply.json()).toEqual({ message: 'Internal Server Error' })
      }
      expect(errors).toHaveLength(2)
    } finally {
      await failing.stop()
    }
  })

  it('answers 503 {"message":"Service Unavailable"} when the handler outlasts the integration timeout', async () => {
    const slow = await startApiServer({
      handler: () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200 }), 2_000)),
      routes: caseApiRoutes,
      jwt: { issuer: devIssuer, audience: devAudience, jwks: key.jwks },
      integrationTimeoutMs: 100,
    })
    try {
      const reply = await send(slow.url, { path: '/cases', headers: bearer(await analyst()) })
      expect(reply.status).toBe(503)
      expect(reply.json()).toEqual({ message: 'Service Unavailable' })
    } finally {
      await slow.stop()
    }
  })

  it('refuses a body over the payload limit with 413 without calling the handler', async () => {
    let calls = 0
    const small = await startApiServer({
      handler: async () => {
        calls++
        return { statusCode: 204 }
      },
      routes: caseApiRoutes,
      jwt: { issuer: devIssuer, audience: devAudience, jwks: key.jwks },
      maxBodyBytes: 1024,
    })
    try {
      const headers = { ...bearer(await supervisor()), 'content-type': 'application/json' }
      const over = await send(small.url, { method: 'PUT', path: '/rules', headers, body: 'x'.repeat(1025) })
      expect(over.status).toBe(413)
      expect(over.json()).toEqual({ message: 'Request Entity Too Large' })
      // Chunked, with no content-length to refuse it up front: counted as it arrives.
      const chunked = await send(small.url, { method: 'PUT', path: '/rules', headers: { ...headers, 'transfer-encoding': 'chunked' }, body: 'x'.repeat(5000) })
      expect(chunked.status).toBe(413)
      expect(calls).toBe(0)
      expect((await send(small.url, { method: 'PUT', path: '/rules', headers, body: 'x'.repeat(1024) })).status).toBe(204)
      expect(calls).toBe(1)
    } finally {
      await small.stop()
    }
  })
})

describe('vigil token', () => {
  let dataDir: string
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vigil-token-'))
  })
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true })
  })

  const vigilToken = async (...args: string[]) => (await exec(process.execPath, [join(root, 'cli/vigil.ts'), 'token', '--data-dir', dataDir, ...args], { cwd: root })).stdout.trim()

  it('prints a token signed by the persisted dev key, which the local server accepts', async () => {
    const token = await vigilToken('--role', 'supervisor', '--user', 'sam')
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
    // The key the CLI created is the one a local server loads from the same data directory.
    const persisted = await devSigningKey({ dataDir })
    expect((await stat(persisted.path!)).mode & 0o777).toBe(0o600)
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(persisted.jwks), { issuer: devIssuer })
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: persisted.kid })
    expect(payload).toMatchObject({ username: 'sam', 'cognito:groups': ['supervisor'], client_id: devAudience, token_use: 'access' })

    const local = await startApiServer({ handler: echo, routes: caseApiRoutes, jwt: { issuer: devIssuer, audience: devAudience, jwks: persisted.jwks } })
    try {
      const reply = await send(local.url, { method: 'POST', path: '/rules/3/activate', headers: bearer(token) })
      expect(reply.status).toBe(200)
      expect(reply.json().requestContext.authorizer.jwt.claims).toMatchObject({ username: 'sam', 'cognito:groups': '[supervisor]' })
      // A server with another key refuses it.
      expect((await send(server.url, { path: '/cases', headers: bearer(token) })).status).toBe(401)
    } finally {
      await local.stop()
    }
  })

  it('keeps using the same key across runs, and prints ID tokens (which the API refuses) and custom lifetimes on request', async () => {
    const first = await devSigningKey({ dataDir })
    const token = await vigilToken('--role', 'analyst', '--id-token', '--expires', '15m')
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(first.jwks), { issuer: devIssuer, audience: devAudience })
    expect(protectedHeader.kid).toBe(first.kid)
    expect(payload).toMatchObject({ 'cognito:username': 'analyst', 'cognito:groups': ['analyst'], token_use: 'id' })
    expect(payload.exp! - payload.iat!).toBe(900)
  })

  it('creates one key when several processes start at once', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'vigil-token-race-'))
    try {
      const keys = await Promise.all(Array.from({ length: 6 }, () => devSigningKey({ dataDir: fresh })))
      expect(new Set(keys.map((k) => k.kid)).size).toBe(1)
    } finally {
      await rm(fresh, { recursive: true, force: true })
    }
  })

  it('refuses an unknown role with the usage and exit code 2', async () => {
    const failed = await exec(process.execPath, [join(root, 'cli/vigil.ts'), 'token', '--role', 'admin', '--data-dir', dataDir], { cwd: root }).catch((e: { code: number; stderr: string }) => e)
    expect(failed).toMatchObject({ code: 2 })
    expect((failed as { stderr: string }).stderr).toMatch(/--role must be one of analyst, supervisor/)
  })
})
