import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import * as z from 'zod'
import { tableSchemas } from '../../lib/table-schema.ts'
import { dynamoDbClient } from '../aws/clients.ts'
import { DynamoDecisionQueries } from '../aws/decision-queries.ts'
import { createKinesisClient } from '../aws/kinesis-client.ts'
import { DynamoLabelItemStore } from '../aws/label-item-store.ts'
import { KinesisLabelStream } from '../aws/label-stream.ts'
import { labelStreamEnvVar } from '../aws/service-names.ts'
import type { LabelSweepDeps } from './sweep.ts'

const configSchema = z.object({
  [tableSchemas.labels.envVar]: z.string().min(1),
  [tableSchemas.decisions.envVar]: z.string().min(1),
  [labelStreamEnvVar]: z.string().min(1),
  // A transaction reaches the scorer within the mapping's maximum record age (a day by default);
  // a week leaves room for a producer that is down, not for one that never sends it.
  VIGIL_LABEL_MAX_WAIT_DAYS: z.coerce.number().positive().default(7),
  VIGIL_LABEL_TTL_DAYS: z.coerce.number().int().positive().default(400),
})

/** The sweep's adapters from its environment; `now` injectable so a local run can scale time. */
export function labelSweepDependencies(env: Record<string, string | undefined>, options: { dynamo?: DynamoDBClient; kinesis?: KinesisClient; now?: () => number } = {}): LabelSweepDeps {
  const config = configSchema.parse(env)
  const dynamo = options.dynamo ?? dynamoDbClient()
  return {
    labels: new DynamoLabelItemStore(dynamo, config[tableSchemas.labels.envVar], { ttlDays: config.VIGIL_LABEL_TTL_DAYS }),
    decisions: new DynamoDecisionQueries(dynamo, config[tableSchemas.decisions.envVar]),
    stream: new KinesisLabelStream(options.kinesis ?? createKinesisClient(), config[labelStreamEnvVar]),
    maxWaitMs: config.VIGIL_LABEL_MAX_WAIT_DAYS * 86_400_000,
    now: options.now ?? Date.now,
  }
}
