import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import * as z from 'zod'
import { labelStreamEnvVar } from '../aws/service-names.ts'
import { tableSchemas } from '../../lib/table-schema.ts'
import { dynamoDbClient } from '../aws/clients.ts'
import { DynamoCaseStore } from '../aws/case-store.ts'
import { createKinesisClient } from '../aws/kinesis-client.ts'
import { KinesisLabelStream } from '../aws/label-stream.ts'
import { slaTableSchema } from '../core/cases/index.ts'
import type { CaseTaskDeps } from './tasks.ts'

const configSchema = z.object({
  [tableSchemas.cases.envVar]: z.string().min(1),
  [labelStreamEnvVar]: z.string().min(1),
  VIGIL_SLA_SECONDS: z.string().transform((text) => slaTableSchema.parse(JSON.parse(text))),
})

/**
 * The case tasks' adapters, from their environment; `now` is injectable so a local run can scale
 * time. Case events go to `record` (the handler's metrics); without it they are not reported.
 */
export function caseTaskDependencies(
  env: Record<string, string | undefined>,
  options: { dynamo?: DynamoDBClient; kinesis?: KinesisClient; now?: () => number; record?: CaseTaskDeps['record'] } = {},
): CaseTaskDeps {
  const config = configSchema.parse(env)
  const dynamo = options.dynamo ?? dynamoDbClient()
  return {
    cases: new DynamoCaseStore(dynamo, config[tableSchemas.cases.envVar]!),
    labels: new KinesisLabelStream(options.kinesis ?? createKinesisClient(), config[labelStreamEnvVar]),
    sla: config.VIGIL_SLA_SECONDS,
    now: options.now ?? (() => Date.now()),
    record: options.record ?? (() => {}),
  }
}
