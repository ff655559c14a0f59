import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { Logger } from '@aws-lambda-powertools/logger'
import { tableSchemas } from '../../lib/table-schema.ts'
import { dynamoDbClient } from '../aws/clients.ts'
import { DynamoDecisionStore } from '../aws/decision-store.ts'
import { DynamoEntityStore } from '../aws/entity-store.ts'
import { DynamoLabelItemStore } from '../aws/label-item-store.ts'
import { DynamoQuarantineStore } from '../aws/quarantine-store.ts'
import { DynamoRuleSetSource } from '../aws/rule-set-store.ts'
import { DynamoRuleStatsStore } from '../aws/rule-stats-store.ts'
import { labelApplierConfigSchema } from './config.ts'
import type { LabelApplierDeps } from './process-batch.ts'

/** The applier's adapters from its environment: once per Lambda container, or per local runtime. */
export function labelApplierDependencies(env: Record<string, string | undefined>, logger: Logger, options: { dynamo?: DynamoDBClient } = {}): LabelApplierDeps {
  const config = labelApplierConfigSchema.parse(env)
  const dynamo = options.dynamo ?? dynamoDbClient()
  return {
    labels: new DynamoLabelItemStore(dynamo, config[tableSchemas.labels.envVar], { ttlDays: config.VIGIL_LABEL_TTL_DAYS }),
    // Read only: the decisions' TTL is the scorer's to set.
    decisions: new DynamoDecisionStore(dynamo, config[tableSchemas.decisions.envVar], { ttlDays: config.VIGIL_LABEL_TTL_DAYS }),
    entities: new DynamoEntityStore(dynamo, config[tableSchemas.entityState.envVar], {
      retentionDays: config.VIGIL_ENTITY_RETENTION_DAYS,
      eventMaxAheadMs: config.VIGIL_EVENT_MAX_AHEAD_SECONDS * 1000,
    }),
    rules: new DynamoRuleSetSource(dynamo, config[tableSchemas.rules.envVar], {
      refreshMs: config.VIGIL_RULES_REFRESH_SECONDS * 1000,
      onRejected: (version, issues) => logger.error('active rule set does not compile; applying labels with the previous version', { version, issues }),
      onStale: (error, staleMs) => logger.warn('rules table unreadable; applying labels with the cached rule set', { staleMs, error }),
    }),
    ruleStats: new DynamoRuleStatsStore(dynamo, config[tableSchemas.rules.envVar]),
    quarantine: new DynamoQuarantineStore(dynamo, config[tableSchemas.quarantine.envVar], { ttlDays: config.VIGIL_QUARANTINE_TTL_DAYS }),
    now: () => new Date(),
  }
}
