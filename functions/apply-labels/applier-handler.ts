import middy from '@middy/core'
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda'
import { telemetryMiddlewares, type Telemetry } from '../aws/telemetry.ts'
import { applyLabelEvent } from './apply-event.ts'
import { recordLabelBatchMetrics } from './metrics.ts'
import type { LabelApplierDeps } from './process-batch.ts'

/** Labels stream → label items and entity fraud counts, exactly once; a partial failure names the first unfinished record. */
export function labelApplierHandler(deps: LabelApplierDeps, telemetry: Telemetry) {
  const { logger, metrics } = telemetry
  return middy(async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
    const { response, outcome, records } = await applyLabelEvent(event, deps)
    recordLabelBatchMetrics(metrics, records, outcome)
    const unfinishedAt = response.batchItemFailures[0]?.itemIdentifier
    for (const error of outcome.errors) logger.error('label batch stopped before its end', { error: error as Error, unfinishedAt })
    return response
  }).use(telemetryMiddlewares<KinesisStreamEvent>(telemetry))
}
