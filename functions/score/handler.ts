import middy from '@middy/core'
import { Logger } from '@aws-lambda-powertools/logger'
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import { Metrics } from '@aws-lambda-powertools/metrics'
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda'
import { scorerDependencies } from './dependencies.ts'
import { recordBatchMetrics } from './metrics.ts'
import { scoreKinesisEvent } from './score-event.ts'

const logger = new Logger({ serviceName: 'vigil-scorer' })
const metrics = new Metrics({ namespace: 'Vigil', serviceName: 'vigil-scorer' })
const deps = await scorerDependencies(process.env, logger)

/** Kinesis → decisions, exactly once; a partial failure names the first unfinished record. */
export const handler = middy(async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
  const { response, outcome, records } = await scoreKinesisEvent(event, deps)
  recordBatchMetrics(metrics, records, outcome)
  for (const error of outcome.errors) logger.error('batch stopped before its end', { error: error as Error })
  return response
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
