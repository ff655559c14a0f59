/**
 * The case API's routes, named once: the handler dispatches on this list, the CDK construct and
 * the local server register exactly these routes. Plain data with no imports, so CDK code can
 * import it without pulling zod or the AWS SDK into a synth.
 *
 * `role` is the least role a caller needs: `analyst` admits analysts and supervisors,
 * `supervisor` only supervisors. Every route requires a valid JWT (API Gateway's JWT authorizer);
 * the handler checks the role from the token's `cognito:groups` claim.
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
}

/** The limit for a JSON command (a note is at most 2,000 characters). */
export const defaultMaxBodyBytes = 64 * 1024

/** A rule set is stored as one DynamoDB item (400 KB at most, with its keys and attributes). */
export const ruleSetMaxBodyBytes = 256 * 1024

export const caseApiRoutes = [
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
  { method: 'GET', path: '/openapi.json', role: 'analyst', operationId: 'openApi' },
] as const satisfies readonly CaseApiRoute[]

export type CaseApiOperation = (typeof caseApiRoutes)[number]['operationId']

/** `GET /cases/{id}`: the form of API Gateway's route keys. */
export const routeKey = (route: Pick<CaseApiRoute, 'method' | 'path'>): string => `${route.method} ${route.path}`
