import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { SFNClient } from '@aws-sdk/client-sfn'
import type { Logger } from '@aws-lambda-powertools/logger'
import { tableSchemas } from '../../lib/table-schema.ts'
import { dynamoDbClient } from '../aws/clients.ts'
import type { CapacityMeter } from '../aws/capacity-meter.ts'
import { DynamoDecisionStore } from '../aws/decision-store.ts'
import { DynamoEntityStore } from '../aws/entity-store.ts'
import { LoggedEscalation, StepFunctionsEscalation } from '../aws/escalation.ts'
import { DynamoQuarantineStore } from '../aws/quarantine-store.ts'
import { DynamoRuleSetSource } from '../aws/rule-set-store.ts'
import { DynamoRuleStatsStore } from '../aws/rule-stats-store.ts'
import { scorerConfigSchema, type ScorerConfig } from './config.ts'
import type { ScorerDeps } from './process-batch.ts'
import { keyringFrom } from '../core/keyring.ts'

export type ScorerAdapters = Omit<ScorerDeps, 'keyring'>

interface AdapterOptions {
  dynamo?: DynamoDBClient
  sfn?: SFNClient
  meter?: CapacityMeter
}

/** Builds the scorer's adapters from its settings: once per Lambda container. The keyring comes per invocation (./tokenization-key.ts). */
export function scorerAdapters(config: ScorerConfig, logger: Logger, options: AdapterOptions = {}): ScorerAdapters {
  const dynamo = options.dynamo ?? dynamoDbClient()
  const meter = options.meter
  return {
    rules: new DynamoRuleSetSource(dynamo, config[tableSchemas.rules.envVar]!, {
      refreshMs: config.VIGIL_RULES_REFRESH_SECONDS * 1000,
      onRejected: (version, issues) => logger.error('active rule set does not compile; scoring with the previous version', { version, issues }),
      onStale: (error, staleMs) => logger.warn('rules table unreadable; scoring with the cached rule set', { staleMs, error }),
    }),
    decisions: new DynamoDecisionStore(dynamo, config[tableSchemas.decisions.envVar]!, { ttlDays: config.VIGIL_DECISION_TTL_DAYS, meter }),
    entities: new DynamoEntityStore(dynamo, config[tableSchemas.entityState.envVar]!, {
      retentionDays: config.VIGIL_ENTITY_RETENTION_DAYS,
      eventMaxAheadMs: config.VIGIL_EVENT_MAX_AHEAD_SECONDS * 1000,
      meter,
    }),
    ruleStats: new DynamoRuleStatsStore(dynamo, config[tableSchemas.rules.envVar]!),
    quarantine: new DynamoQuarantineStore(dynamo, config[tableSchemas.quarantine.envVar]!, { ttlDays: config.VIGIL_QUARANTINE_TTL_DAYS }),
    escalation: config.VIGIL_ESCALATION_STATE_MACHINE_ARN
      ? new StepFunctionsEscalation(options.sfn ?? new SFNClient({}), config.VIGIL_ESCALATION_STATE_MACHINE_ARN)
      : new LoggedEscalation(logger),
    eventTime: {
      maxAheadMs: config.VIGIL_EVENT_MAX_AHEAD_SECONDS * 1000,
      maxAgeMs: config.VIGIL_EVENT_MAX_AGE_SECONDS === undefined ? undefined : config.VIGIL_EVENT_MAX_AGE_SECONDS * 1000,
    },
    now: () => new Date(),
  }
}

/** The adapters with the plain VIGIL_TOKENIZATION_KEY: the local runtime, tests and benches. */
export function scorerDependencies(env: Record<string, string | undefined>, logger: Logger, options: AdapterOptions = {}): ScorerDeps {
  const config = scorerConfigSchema.parse(env)
  if (!config.VIGIL_TOKENIZATION_KEY) throw new Error('set VIGIL_TOKENIZATION_KEY: outside the Lambda handler the key is not read from Secrets Manager')
  return { ...scorerAdapters(config, logger, options), keyring: keyringFrom(config.VIGIL_TOKENIZATION_KEY, 'VIGIL_TOKENIZATION_KEY') }
}
