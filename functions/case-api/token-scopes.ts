/**
 * The user pool's pre-token-generation trigger (event version 2): adds the role scopes of the
 * user's groups to the access token (`scopesOfGroups`), which the API's routes require (./routes.ts).
 * Groups as Cognito will write them into the token (`groupsToOverride`), so scopes and
 * `cognito:groups` always agree. Pure and synchronous: no SDK, no I/O; a sign-in waits for it.
 */
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda'
import { scopesOfGroups } from './routes.ts'

export const handler = async (event: PreTokenGenerationV2TriggerEvent): Promise<PreTokenGenerationV2TriggerEvent> => {
  const scopesToAdd = scopesOfGroups(event.request.groupConfiguration?.groupsToOverride ?? [])
  event.response = { claimsAndScopeOverrideDetails: { accessTokenGeneration: { scopesToAdd } } }
  return event
}
