import type { CaseApiEvent } from '../../functions/case-api/app.ts'
import type { Claims } from '../../functions/case-api/identity.ts'

/** An API Gateway payload v2 event for the case API handler, with the JWT authorizer's claims as the gateway passes them. */
export function jwtEvent(method: string, path: string, claims: Claims, body?: unknown): CaseApiEvent {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: {
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'vitest' },
      requestId: 'req',
      stage: '$default',
      authorizer: { jwt: { claims: claims as Record<string, string>, scopes: null } },
    } as CaseApiEvent['requestContext'],
    isBase64Encoded: false,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  }
}
