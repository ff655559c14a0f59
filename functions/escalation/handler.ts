import middy from '@middy/core'
import { Logger } from '@aws-lambda-powertools/logger'
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import { caseTaskDependencies } from './dependencies.ts'
import { runCaseTask } from './tasks.ts'

const logger = new Logger({ serviceName: 'vigil-cases' })
const deps = caseTaskDependencies(process.env)

/** The case workflow's task states: open, markBlocked, await, escalate, expire, label, close. */
export const handler = middy(async (event: unknown) => runCaseTask(event, deps)).use(injectLambdaContext(logger))
