import middy from '@middy/core'
import { MetricUnit } from '@aws-lambda-powertools/metrics'
import { SFNClient } from '@aws-sdk/client-sfn'
import { dynamoDbClient } from '../aws/clients.ts'
import { createKinesisClient } from '../aws/kinesis-client.ts'
import { ruleSetActivatedMetric } from '../aws/service-names.ts'
import { createTelemetry, serviceNames, telemetryMiddlewares } from '../aws/telemetry.ts'
import { handleApiRequest, type CaseApiEvent } from './app.ts'
import { caseApiDependencies } from './dependencies.ts'

const telemetry = createTelemetry(serviceNames.caseApi)
const { logger, metrics, tracer } = telemetry
const deps = caseApiDependencies(process.env, {
  dynamo: tracer.captureAWSv3Client(dynamoDbClient()),
  kinesis: tracer.captureAWSv3Client(createKinesisClient()),
  sfn: tracer.captureAWSv3Client(new SFNClient({})),
  onError: (error, context) => logger.error('case API failure', { ...context, error: error as Error }),
  // The scorers now run another rule set: a metric the RuleSetActivated alarm watches, and a line.
  onRuleSetActivated: (activation) => {
    metrics.addMetric(ruleSetActivatedMetric, MetricUnit.Count, 1)
    logger.warn('rule set activated', { ...activation })
  },
})

/** The case API behind the HTTP API's JWT authorizer: routes in ./routes.ts, logic in ./app.ts. */
export const handler = middy((event: CaseApiEvent) => handleApiRequest(event, deps)).use(telemetryMiddlewares<CaseApiEvent>(telemetry, correlationOf))

/** The case or transaction a route is about, from its `{id}` path parameter. */
function correlationOf(event: CaseApiEvent) {
  const id = event.pathParameters?.id
  if (event.routeKey?.includes('/cases/{id}')) return { caseId: id }
  if (event.routeKey?.includes('/transactions/{id}')) return { transactionId: id }
  return {}
}
