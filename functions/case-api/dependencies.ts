import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import { SFNClient } from '@aws-sdk/client-sfn'
import * as z from 'zod'
import { tableSchemas } from '../../lib/table-schema.ts'
import { DynamoCaseQueries } from '../aws/case-queries.ts'
import { DynamoDecisionQueries } from '../aws/decision-queries.ts'
import { readLabelItems } from '../aws/label-item-store.ts'
import { KinesisLabelStream } from '../aws/label-stream.ts'
import { DynamoModelStore } from '../aws/model-store.ts'
import { DynamoRuleAdmin } from '../aws/rule-admin.ts'
import { DynamoCaseStore } from '../aws/case-store.ts'
import { dynamoDbClient } from '../aws/clients.ts'
import { createKinesisClient } from '../aws/kinesis-client.ts'
import { labelStreamEnvVar } from '../aws/service-names.ts'
import { StepFunctionsWorkflow } from '../aws/workflow.ts'
import type { CaseApiDeps } from './app.ts'
import type { WorkflowPort } from './case-commands.ts'

const configSchema = z.object({
  [tableSchemas.cases.envVar]: z.string().min(1),
  [tableSchemas.decisions.envVar]: z.string().min(1),
  [tableSchemas.rules.envVar]: z.string().min(1),
  [tableSchemas.labels.envVar]: z.string().min(1),
  [labelStreamEnvVar]: z.string().min(1),
})

/**
 * The case API's adapters from its environment (table and stream names). `dynamo`, `kinesis`,
 * `workflow` and `now` are injectable, so the local server can point it at the emulators and its
 * own workflow; `sfn` is the workflow's client when `workflow` is not given (the handler's, traced).
 */
export function caseApiDependencies(
  env: Record<string, string | undefined>,
  options: {
    dynamo?: DynamoDBClient
    kinesis?: KinesisClient
    sfn?: SFNClient
    workflow?: WorkflowPort
    now?: () => number
    onError?: CaseApiDeps['onError']
    onRuleSetActivated?: CaseApiDeps['onRuleSetActivated']
  } = {},
): CaseApiDeps {
  const config = configSchema.parse(env)
  const dynamo = options.dynamo ?? dynamoDbClient()
  const cases = config[tableSchemas.cases.envVar]!
  return {
    cases: new DynamoCaseStore(dynamo, cases),
    queue: new DynamoCaseQueries(dynamo, cases),
    decisions: new DynamoDecisionQueries(dynamo, config[tableSchemas.decisions.envVar]!),
    rules: new DynamoRuleAdmin(dynamo, config[tableSchemas.rules.envVar]!),
    models: new DynamoModelStore(dynamo, config[tableSchemas.rules.envVar]!),
    workflow: options.workflow ?? new StepFunctionsWorkflow(options.sfn ?? new SFNClient({})),
    now: options.now ?? Date.now,
    labels: {
      // Read only: label items are the applier's to write.
      items: { read: (ids) => readLabelItems(dynamo, config[tableSchemas.labels.envVar], ids) },
      stream: new KinesisLabelStream(options.kinesis ?? createKinesisClient(), config[labelStreamEnvVar]),
    },
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.onRuleSetActivated ? { onRuleSetActivated: options.onRuleSetActivated } : {}),
  }
}
