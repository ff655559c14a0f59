import middy from '@middy/core'
import { Logger } from '@aws-lambda-powertools/logger'
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import { handleApiRequest, type CaseApiEvent } from './app.ts'
import { caseApiDependencies } from './dependencies.ts'

const logger = new Logger({ serviceName: 'vigil-case-api' })
const deps = caseApiDependencies(process.env, {
  onError: (error, context) => logger.error('case API failure', { ...context, error: error as Error }),
})

/** The case API behind the HTTP API's JWT authorizer: routes in ./routes.ts, logic in ./app.ts. */
export const handler = middy((event: CaseApiEvent) => handleApiRequest(event, deps)).use(injectLambdaContext(logger))
