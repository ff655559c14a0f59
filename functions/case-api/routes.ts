/**
 * The case API's routes, named once: the handler dispatches on this list, the CDK construct and
 * the local server register exactly these routes. Plain data with no imports, so CDK code can
 * import it without pulling zod or the AWS SDK into a synth.
 *
 * The role is checked twice, in two places, from one token:
 * - `scopes`, at API Gateway's JWT authorizer (and the local server's): the token must carry the
 *   route's role scope, `vigil-api/analyst` or `vigil-api/supervisor` (the user pool's resource
 *   server). Cognito's pre-token-generation trigger (./token-scopes.ts) adds them to the access
 *   token of a user's sign-in from the user's groups, `scopesOfGroups`: a supervisor gets both.
 *   An ID token carries no scope at all, so only access tokens pass the gateway; an analyst's
 *   token never reaches the handler on a supervisor route.
 * - `role`, in the handler, from the same token's `cognito:groups`: `analyst` admits analysts and
 *   supervisors, `supervisor` only supervisors. It holds whatever sits in front.
 *
 * A route with a `clientScope` also admits a machine client (an app client of the user pool that
 * signs in with client credentials, as a chargeback feed does), whose access token carries that
 * scope and no user. Such a token may call no other route: its audience (its own client id) is
 * accepted only by these routes' authorizer, it carries no role scope, and the handler checks the
 * scope again (./identity.ts).
 */

export type CaseApiMethod = 'GET' | 'POST' | 'PUT'
export type CaseApiRole = 'analyst' | 'supervisor'

export interface CaseApiRoute {
  readonly method: CaseApiMethod
  /** API Gateway's path syntax: `{name}` is one path segment. */
  readonly path: string
  readonly role: CaseApiRole
  /** Stable id: the OpenAPI operationId, and the name a construct can give the route. */
  readonly operationId: string
  /** Largest request body accepted (bytes, after base64 decoding); larger ones get 413. */
  readonly maxBodyBytes?: number
  /** The scope that admits a machine client (client credentials) besides the role's users. */
  readonly clientScope?: string
  /** The authorizer's scopes: the token must carry one of them (API Gateway answers 403 otherwise). */
  readonly scopes: readonly string[]
}

/** The scope of every Cognito user's access token from a sign-in (never in an ID token). */
export const userAccessScope = 'aws.cognito.signin.user.admin'

/** The user pool's resource server for this API: its scopes are `<id>/<role>`. */
export const apiResourceServer = 'vigil-api'

/** The scope a role's routes require. */
export const roleScope = (role: CaseApiRole): string => `${apiResourceServer}/${role}`

/**
 * The role scopes of a member of `groups`, as the user pool adds them to the access token: a
 * supervisor may do what an analyst may, so gets both; anyone else none.
 */
export function scopesOfGroups(groups: readonly string[]): string[] {
  if (groups.includes('supervisor')) return [roleScope('analyst'), roleScope('supervisor')]
  return groups.includes('analyst') ? [roleScope('analyst')] : []
}

/** The scope of a machine client that reports labels (chargeback feeds): `POST /labels` and nothing else. */
export const labelsWriteScope = `${apiResourceServer}/labels.write`

/** The limit for a JSON command (a note is at most 2,000 characters). */
export const defaultMaxBodyBytes = 64 * 1024

/** A rule set is stored as one DynamoDB item (400 KB at most, with its keys and attributes). */
export const ruleSetMaxBodyBytes = 256 * 1024

/** Labels per `POST /labels`: what one request may carry (and `vigil labels import` sends at a time). */
export const maxLabelsPerRequest = 1000

/**
 * 1,000 of the largest labels fit: a 128-character id and a 500-character reason of three-byte
 * characters (UTF-8 of the Basic Multilingual Plane) make a label of about 1.8 KB.
 */
export const labelsMaxBodyBytes = 2 * 1024 * 1024

/**
 * A model file is JSON of a few megabytes at most (a 300-tree, depth-6 ensemble is about 1.2 MB):
 * under Lambda's 6 MB synchronous payload, with room for base64. Stored in chunks (lib/table-schema.ts).
 */
export const modelMaxBodyBytes = 4 * 1024 * 1024

const routes = [
  { method: 'GET', path: '/cases', role: 'analyst', operationId: 'listCases' },
  { method: 'GET', path: '/cases/{id}', role: 'analyst', operationId: 'getCase' },
  { method: 'POST', path: '/cases/{id}/claim', role: 'analyst', operationId: 'claimCase' },
  { method: 'POST', path: '/cases/{id}/notes', role: 'analyst', operationId: 'addNote' },
  { method: 'POST', path: '/cases/{id}/decision', role: 'analyst', operationId: 'decideCase' },
  { method: 'GET', path: '/transactions/{id}/decision', role: 'analyst', operationId: 'getDecision' },
  { method: 'GET', path: '/rules', role: 'analyst', operationId: 'listRuleSets' },
  { method: 'PUT', path: '/rules', role: 'supervisor', operationId: 'putRuleSet', maxBodyBytes: ruleSetMaxBodyBytes },
  { method: 'GET', path: '/rules/stats', role: 'analyst', operationId: 'ruleStats' },
  { method: 'POST', path: '/rules/{version}/activate', role: 'supervisor', operationId: 'activateRuleSet' },
  { method: 'POST', path: '/rules/{version}/approve', role: 'supervisor', operationId: 'approveRuleSet' },
  { method: 'GET', path: '/rules/audit', role: 'analyst', operationId: 'ruleSetAudit' },
  { method: 'GET', path: '/models', role: 'analyst', operationId: 'listModels' },
  { method: 'PUT', path: '/models', role: 'supervisor', operationId: 'putModel', maxBodyBytes: modelMaxBodyBytes },
  { method: 'POST', path: '/labels', role: 'analyst', operationId: 'postLabels', maxBodyBytes: labelsMaxBodyBytes, clientScope: labelsWriteScope },
  { method: 'GET', path: '/openapi.json', role: 'analyst', operationId: 'openApi' },
] as const satisfies ReadonlyArray<Omit<CaseApiRoute, 'scopes'>>

export type CaseApiOperation = (typeof routes)[number]['operationId']

export const caseApiRoutes: ReadonlyArray<CaseApiRoute & { readonly operationId: CaseApiOperation }> = routes.map((route) => ({
  ...route,
  scopes: 'clientScope' in route ? [roleScope(route.role), route.clientScope] : [roleScope(route.role)],
}))
/** The operations a machine client may call (their routes have a `clientScope`). */
export type ClientOperation = Extract<(typeof routes)[number], { clientScope: string }>['operationId']

/** `GET /cases/{id}`: the form of API Gateway's route keys. */
export const routeKey = (route: Pick<CaseApiRoute, 'method' | 'path'>): string => `${route.method} ${route.path}`
