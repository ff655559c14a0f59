import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import * as z from 'zod'
import { tableSchemas } from '../../lib/table-schema.ts'
import { dynamoDbClient } from '../aws/clients.ts'
import { DynamoCaseStore } from '../aws/case-store.ts'
import { DynamoLabelStore } from '../aws/label-store.ts'
import { slaTableSchema } from '../core/cases/index.ts'
import type { CaseTaskDeps } from './tasks.ts'

const configSchema = z.object({
  [tableSchemas.cases.envVar]: z.string().min(1),
  [tableSchemas.decisions.envVar]: z.string().min(1),
  [tableSchemas.rules.envVar]: z.string().min(1),
  VIGIL_SLA_SECONDS: z.string().transform((text) => slaTableSchema.parse(JSON.parse(text))),
})

/**
 * The case tasks' adapters, from their environment; `now` is injectable so a local run can scale
 * time. Case events go to `record` (the handler's metrics); without it they are not reported.
 */
export function caseTaskDependencies(
  env: Record<string, string | undefined>,
  options: { dynamo?: DynamoDBClient; now?: () => number; record?: CaseTaskDeps['record'] } = {},
): CaseTaskDeps {
  const config = configSchema.parse(env)
  const dynamo = options.dynamo ?? dynamoDbClient()
  return {
    cases: new DynamoCaseStore(dynamo, config[tableSchemas.cases.envVar]!),
    labels: new DynamoLabelStore(dynamo, { decisions: config[tableSchemas.decisions.envVar]!, rules: config[tableSchemas.rules.envVar]! }),
    sla: config.VIGIL_SLA_SECONDS,
    now: options.now ?? (() => Date.now()),
    record: options.record ?? (() => {}),
  }
}
