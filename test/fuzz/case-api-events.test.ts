/**
 * The case API handler fed API Gateway payload v2 events built the way local/api-server.ts builds
 * them (routing, headers, query, body encoding), with the claims an authorizer would pass, against
 * the real stores on dynalite. Extends the property of test/integration/case-api.test.ts (bodies of
 * the commands, ids and cursors with PANs) to every route, method, path, query, header, body and
 * claim shape; test/fuzz/case-api-http.test.ts sends fewer over real HTTP with real tokens.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { handleApiRequest } from '../../functions/case-api/app.ts'
import { useEmulators } from '../support/emulators.ts'
import { apiEvent } from './api-event.ts'
import { apiRequest } from './arbitraries/api-requests.ts'
import { authorizerClaims } from './arbitraries/claims.ts'
import { expectHandlerResponse } from './api-invariants.ts'
import { caseApiFixture } from './case-api-fixture.ts'
import { fuzzParameters, fuzzTimeout } from './fuzz-settings.ts'

const aws = useEmulators()
describe('fuzz: the case API handler, payload v2 events', () => {
  it('property: never a 5xx; every 4xx is problem+json naming the reason (and the paths); no PAN comes back; nothing polluted', async () => {
    const fixture = await caseApiFixture(aws)
    const ids = [...fixture.caseIds, ...fixture.transactionIds, '1', '2']
    const seen = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(apiRequest(ids), authorizerClaims, async (request, claims) => {
        const label = `${request.method} ${request.path.slice(0, 120)}?${request.query.slice(0, 60)}`
        const response = await handleApiRequest(apiEvent(request, claims), fixture.deps)
        expectHandlerResponse(response, request.pans, label)
        const kind = response.statusCode < 400 ? String(response.statusCode) : (JSON.parse(response.body) as { type: string }).type.replace('urn:vigil:problem:', '')
        seen.set(kind, (seen.get(kind) ?? 0) + 1)
        expect(fixture.errors, label).toEqual([])
        expect(({} as Record<string, unknown>).polluted, `${label}: Object.prototype polluted`).toBeUndefined()
      }),
      // Four times the pure properties' runs (about 2 s): at one, one campaign in six never met a
      // malformed body on a route that reads one, since the rule-set routes of the four eyes joined.
      fuzzParameters(4),
    )
    // The generators reach past routing and authorization into every kind of answer.
    expect([...seen.keys()].sort()).toEqual(expect.arrayContaining(['200', 'forbidden', 'invalid_input', 'invalid_json', 'method_not_allowed', 'not_found', 'payload_too_large', 'unauthenticated']))
  }, fuzzTimeout(40_000))
})
