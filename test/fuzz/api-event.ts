import { caseApiRoutes } from '../../functions/case-api/routes.ts'
import { buildEvent, compileRoutes, matchRoute, type ApiEvent } from '../../local/api-server.ts'
import type { ApiRequest } from './arbitraries/api-requests.ts'
import type { ClaimsCase } from './arbitraries/claims.ts'
import { fuzzNow } from './case-api-fixture.ts'

const routes = compileRoutes(caseApiRoutes)

/** What a `$default` route (a catch-all in front of the handler) would match: any request. */
const catchAll = { route: { method: 'ANY', path: '/{proxy+}' }, routeKey: '$default', pathParameters: {} }

/** The event of `request` as API Gateway builds it; repeated headers joined, names lower-cased. */
export function apiEvent(request: ApiRequest, claims: ClaimsCase): ApiEvent {
  const headers: Record<string, string> = {}
  for (const [name, value] of request.headers) {
    const key = name.toLowerCase()
    headers[key] = key in headers ? `${headers[key]},${value}` : value
  }
  const method = request.method.toUpperCase()
  const event = buildEvent({
    method,
    rawPath: request.path,
    rawQueryString: request.query,
    headers,
    body: Buffer.from(request.body ?? new Uint8Array()),
    route: matchRoute(routes, method, request.path) ?? catchAll,
    claims: claims.claims ?? {},
    scopes: null,
    requestId: 'fuzz',
    timeEpoch: fuzzNow,
    sourceIp: '203.0.113.9',
    apiId: 'fuzz',
    accountId: '000000000000',
  })
  if (claims.claims === undefined) delete (event.requestContext as Partial<ApiEvent['requestContext']>).authorizer
  return event
}
