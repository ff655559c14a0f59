import { describe, expect, it } from 'vitest'
import { caseApiRoutes, roleScope, scopesOfGroups } from '../../../functions/case-api/routes.ts'
import { handler } from '../../../functions/case-api/token-scopes.ts'
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda'

/** A version-2 pre-token-generation event as Cognito sends it, for a member of `groups`. */
const event = (groups: string[] | undefined): PreTokenGenerationV2TriggerEvent => ({
  version: '2',
  triggerSource: 'TokenGeneration_Authentication',
  region: 'eu-west-1',
  userPoolId: 'eu-west-1_pool',
  userName: 'sam',
  callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: 'client' },
  request: { userAttributes: { sub: 'sub-sam' }, groupConfiguration: { groupsToOverride: groups, iamRolesToOverride: [] }, scopes: ['aws.cognito.signin.user.admin'] },
  response: { claimsAndScopeOverrideDetails: {} },
})

describe('role scopes', () => {
  it('a supervisor gets both role scopes, an analyst the analyst one, anyone else none', () => {
    expect(scopesOfGroups(['supervisor'])).toEqual(['vigil-api/analyst', 'vigil-api/supervisor'])
    expect(scopesOfGroups(['analyst', 'supervisor'])).toEqual(['vigil-api/analyst', 'vigil-api/supervisor'])
    expect(scopesOfGroups(['analyst'])).toEqual(['vigil-api/analyst'])
    expect(scopesOfGroups([])).toEqual([])
    expect(scopesOfGroups(['analysts', 'Supervisor', 'admin'])).toEqual([])
  })

  it('each route requires its role\'s scope, which a member of exactly the roles that may use it carries', () => {
    for (const route of caseApiRoutes) {
      // Besides a client scope where a machine client may call the route: no user's groups give one.
      expect(route.scopes).toEqual([roleScope(route.role), ...(route.clientScope === undefined ? [] : [route.clientScope])])
      if (route.clientScope !== undefined) expect(scopesOfGroups(['analyst', 'supervisor'])).not.toContain(route.clientScope)
      expect(route.scopes.some((s) => scopesOfGroups(['supervisor']).includes(s))).toBe(true)
      expect(route.scopes.some((s) => scopesOfGroups(['analyst']).includes(s))).toBe(route.role === 'analyst')
    }
  })

  it('the pre-token-generation trigger adds the groups\' scopes to the access token and nothing else', async () => {
    expect((await handler(event(['supervisor'])))?.response).toEqual({ claimsAndScopeOverrideDetails: { accessTokenGeneration: { scopesToAdd: ['vigil-api/analyst', 'vigil-api/supervisor'] } } })
    expect((await handler(event(['analyst'])))?.response.claimsAndScopeOverrideDetails.accessTokenGeneration?.scopesToAdd).toEqual(['vigil-api/analyst'])
    expect((await handler(event(undefined)))?.response.claimsAndScopeOverrideDetails.accessTokenGeneration?.scopesToAdd).toEqual([])
  })
})
