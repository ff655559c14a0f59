import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
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
import type { TokenizationKey } from '../core/transaction.ts'
import { scorerConfigSchema } from './config.ts'
import type { ScorerDeps } from './process-batch.ts'

/** Builds the scorer's adapters from its environment: once per Lambda container. */
export async function scorerDependencies(
  env: Record<string, string | undefined>,
  logger: Logger,
  options: { dynamo?: DynamoDBClient; meter?: CapacityMeter } = {},
): Promise<ScorerDeps> {
  const config = scorerConfigSchema.parse(env)
  const dynamo = options.dynamo ?? dynamoDbClient()
  const meter = options.meter
  return {
    rules: new DynamoRuleSetSource(dynamo, config[tableSchemas.rules.envVar]!, {
      refreshMs: config.VIGIL_RULES_REFRESH_SECONDS * 1000,
      onRejected: (version, issues) => logger.error('active rule set does not compile; scoring with the previous version', { version, issues }),
    }),
    decisions: new DynamoDecisionStore(dynamo, config[tableSchemas.decisions.envVar]!, { ttlDays: config.VIGIL_DECISION_TTL_DAYS, meter }),
    entities: new DynamoEntityStore(dynamo, config[tableSchemas.entityState.envVar]!, { retentionDays: config.VIGIL_ENTITY_RETENTION_DAYS, meter }),
    ruleStats: new DynamoRuleStatsStore(dynamo, config[tableSchemas.rules.envVar]!),
    quarantine: new DynamoQuarantineStore(dynamo, config[tableSchemas.quarantine.envVar]!, { ttlDays: config.VIGIL_QUARANTINE_TTL_DAYS }),
    escalation: config.VIGIL_ESCALATION_STATE_MACHINE_ARN
      ? new StepFunctionsEscalation(new SFNClient({}), config.VIGIL_ESCALATION_STATE_MACHINE_ARN)
      : new LoggedEscalation(logger),
    tokenizationKey: await tokenizationKey(config.VIGIL_TOKENIZATION_SECRET_ARN, config.VIGIL_TOKENIZATION_KEY),
    now: () => new Date(),
  }
}

/** The PAN HMAC key: from Secrets Manager in AWS, from the environment on a laptop. */
async function tokenizationKey(secretArn: string | undefined, plain: string | undefined): Promise<TokenizationKey> {
  if (secretArn) {
    const secret = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretArn }))
    if (!secret.SecretString) throw new Error('the tokenization secret has no string value')
    return secret.SecretString
  }
  if (plain) return plain
  throw new Error('set VIGIL_TOKENIZATION_SECRET_ARN (AWS) or VIGIL_TOKENIZATION_KEY (local): PANs cannot be tokenized without a key')
}
