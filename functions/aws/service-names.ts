/**
 * The names both sides must agree on: Powertools' service names (the `service` of every log line
 * and the service dimension of every metric), the metrics namespace, and environment variables
 * that name no table. No imports, so the CDK app reads them without loading Powertools or the SDK.
 */
export const metricsNamespace = 'Vigil'

export const serviceNames = { scorer: 'vigil-scorer', labelApplier: 'vigil-label-applier', labelSweep: 'vigil-label-sweep', caseTasks: 'vigil-cases', caseApi: 'vigil-case-api', tokenScopes: 'vigil-token-scopes' } as const
export type ServiceName = (typeof serviceNames)[keyof typeof serviceNames]

/** The case API's count of rule-set activations (approved or rolled back); an alarm watches it. */
export const ruleSetActivatedMetric = 'RuleSetActivated'

/** The labels stream's name in the case API's environment (POST /labels writes to it). */
export const labelStreamEnvVar = 'VIGIL_LABELS_STREAM'
