import middy from '@middy/core'
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda'
import { telemetryMiddlewares, type Telemetry } from '../aws/telemetry.ts'
import type { ScorerAdapters } from './dependencies.ts'
import { recordBatchMetrics } from './metrics.ts'
import { scoreKinesisEvent } from './score-event.ts'
import { keyringOf, type KeyedContext, type tokenizationKeyMiddleware } from './tokenization-key.ts'

/** Kinesis → decisions, exactly once; a partial failure names the first unfinished record. */
export function scorerHandler(deps: ScorerAdapters, telemetry: Telemetry, tokenizationKey: ReturnType<typeof tokenizationKeyMiddleware>) {
  const { logger, metrics } = telemetry
  return middy(async (event: KinesisStreamEvent, context: KeyedContext): Promise<KinesisStreamBatchResponse> => {
    const { response, outcome, records } = await scoreKinesisEvent(event, { ...deps, keyring: keyringOf(context) })
    recordBatchMetrics(metrics, records, outcome)
    for (const { position, code, issues } of outcome.quarantinedEntries) {
      logger.warn('record quarantined', { shardId: position.shardId, sequenceNumber: position.sequenceNumber, reason: code, issues })
    }
    const unfinishedAt = response.batchItemFailures[0]?.itemIdentifier
    for (const error of outcome.errors) logger.error('batch stopped before its end', { error: error as Error, unfinishedAt })
    return response
  })
    .use(telemetryMiddlewares<KinesisStreamEvent>(telemetry))
    .use(tokenizationKey)
}
