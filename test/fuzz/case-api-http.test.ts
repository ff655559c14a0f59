/**
 * The case API over real HTTP: raw requests on a socket (any method, path, header and body bytes,
 * repeated headers) to local/api-server.ts with its JWT authorizer, in front of the real handler on
 * dynalite, with tokens of every kind. Whoever answers — Node's HTTP parser, the authorizer or the
 * handler — never answers 5xx, says why it refused, and never sends a planted card number back.
 */
import { connect } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { handleApiRequest } from '../../functions/case-api/app.ts'
import { caseApiRoutes } from '../../functions/case-api/routes.ts'
import { startApiServer, type ApiServer } from '../../local/api-server.ts'
import { devAudience, devIssuer, generateDevSigningKey } from '../../local/dev-tokens.ts'
import { useEmulators } from '../support/emulators.ts'
import { apiRequest, type ApiRequest } from './arbitraries/api-requests.ts'
import { authorizationHeaders, tokenCases, type TokenCase } from './arbitraries/tokens.ts'
import { expectHandlerResponse, expectNoPan } from './api-invariants.ts'
import { caseApiFixture } from './case-api-fixture.ts'
import { fuzzParameters, fuzzTimeout } from './fuzz-settings.ts'

const aws = useEmulators()
let server: ApiServer
let tokens: TokenCase[]
let ids: string[]
const handlerErrors: unknown[] = []

beforeAll(async () => {
  const fixture = await caseApiFixture(aws)
  ids = [...fixture.caseIds, ...fixture.transactionIds]
  const key = await generateDevSigningKey()
  tokens = await tokenCases(key, Date.now())
  server = await startApiServer({
    handler: (event) => handleApiRequest(event, fixture.deps),
    routes: caseApiRoutes,
    jwt: { issuer: devIssuer, audience: devAudience, jwks: key.jwks },
    onHandlerError: (error) => handlerErrors.push(error),
  })
})

afterAll(async () => {
  await server?.stop()
})

interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
  raw: string
}

/** One request written byte for byte on a fresh connection; whatever came back before it closed. */
function send(request: ApiRequest, authorization: Array<[string, string]>): Promise<RawResponse> {
  const body = Buffer.from(request.body ?? new Uint8Array())
  const lines = [`${request.method} ${request.path}${request.query ? `?${request.query}` : ''} HTTP/1.1`, `host: ${new URL(server.url).host}`, 'connection: close']
  for (const [name, value] of [...authorization, ...request.headers]) lines.push(`${name}: ${value}`)
  if (body.length > 0) lines.push(`content-length: ${body.length}`)
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1')
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = connect(server.port, '127.0.0.1', () => socket.write(Buffer.concat([head, body])))
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    // The server may close while a large body is still being written: the answer came before.
    socket.on('error', () => socket.destroy())
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      const match = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n((?:[^\r]+\r\n)*)\r\n([\s\S]*)$/.exec(raw)
      if (!match) return reject(new Error(`no HTTP response: ${JSON.stringify(raw.slice(0, 200))}`))
      const headers = Object.fromEntries(match[2]!.split('\r\n').filter(Boolean).map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]))
      resolve({ status: Number(match[1]), headers, body: match[3]!, raw })
    })
  })
}

const gatewayMessages: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 413: 'Request Entity Too Large' }

describe('fuzz: the case API over HTTP behind the JWT authorizer', () => {
  it('property: no 5xx from any layer; each refusal says why; a token is let through exactly when it is valid; no PAN comes back', async () => {
    const seen = new Set<string>()
    await fc.assert(
      fc.asyncProperty(apiRequest(ids), authorizationHeaders(tokens), async (request, auth) => {
        const label = `${request.method} ${request.path.slice(0, 100)} with ${auth.label}`
        const response = await send(request, auth.headers)
        expect(response.status, `${label}: ${response.raw.slice(0, 300)}`).toBeLessThan(500)
        expectNoPan(response.raw, request.pans, label)
        if (response.headers['x-content-type-options'] !== undefined) {
          // The handler answered: the authorizer let the token through.
          seen.add('handler')
          expect(auth.token?.accepted, `${label}: reached the handler`).toBe(true)
          expectHandlerResponse({ statusCode: response.status, headers: response.headers, body: response.body }, request.pans, label)
        } else if (response.headers['apigw-requestid'] !== undefined) {
          // The gateway answered: API Gateway's own JSON messages, and why a token was refused.
          seen.add(String(response.status))
          expect(JSON.parse(response.body), label).toEqual({ message: gatewayMessages[response.status] })
          if (response.status === 401) {
            expect(auth.token?.accepted, `${label}: a valid token refused`).not.toBe(true)
            if (auth.token) expect(response.headers['www-authenticate'], label).toMatch(/^Bearer error="invalid_token" error_description="[^"]+"$/)
          }
        } else {
          // Node's HTTP parser refused the request line or headers before anything ran.
          seen.add(`node ${response.status}`)
          expect([400, 431], `${label}: ${response.raw.slice(0, 200)}`).toContain(response.status)
        }
      }),
      fuzzParameters(1 / 3),
    )
    expect(handlerErrors).toEqual([])
    expect([...seen]).toEqual(expect.arrayContaining(['handler', '401', '404']))
  }, fuzzTimeout(45_000))
})
