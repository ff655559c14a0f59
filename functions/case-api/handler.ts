import middy from '@middy/core'
import { SFNClient } from '@aws-sdk/client-sfn'
import { dynamoDbClient } from '../aws/clients.ts'
import { createTelemetry, serviceNames, telemetryMiddlewares } from '../aws/telemetry.ts'
import { handleApiRequest, type CaseApiEvent } from './app.ts'
import { caseApiDependencies } from './dependencies.ts'

const telemetry = createTelemetry(serviceNames.caseApi)
const { logger, tracer } = telemetry
const deps = caseApiDependencies(process.env, {
  dynamo: tracer.captureAWSv3Client(dynamoDbClient()),
  sfn: tracer.captureAWSv3Client(new SFNClient({})),
  onError: (error, context) => logger.error('case API failure', { ...context, error: error as Error }),
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
