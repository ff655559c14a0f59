import { MetricUnit } from '@aws-lambda-powertools/metrics'
import middy from '@middy/core'
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda'
import { telemetryMiddlewares, type Telemetry } from '../aws/telemetry.ts'
import { applyLabelEvent } from './apply-event.ts'
import type { LabelApplierDeps } from './process-batch.ts'

/** Labels stream → label items and entity fraud counts, exactly once; a partial failure names the first unfinished record. */
export function labelApplierHandler(deps: LabelApplierDeps, telemetry: Telemetry) {
  const { logger, metrics } = telemetry
  return middy(async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
    const { response, outcome, records } = await applyLabelEvent(event, deps)
    metrics.addMetric('LabelBatchSize', MetricUnit.Count, records)
    for (const [kind, count] of Object.entries(outcome.outcomes)) metrics.addMetric(`Labels_${kind}`, MetricUnit.Count, count)
    metrics.addMetric('LabelsQuarantined', MetricUnit.Count, outcome.quarantined)
    metrics.addMetric('EntityWriteConflicts', MetricUnit.Count, outcome.conflicts)
    metrics.addMetric('UnfinishedBatches', MetricUnit.Count, outcome.firstUnfinished === undefined ? 0 : 1)
    const unfinishedAt = response.batchItemFailures[0]?.itemIdentifier
    for (const error of outcome.errors) logger.error('label batch stopped before its end', { error: error as Error, unfinishedAt })
    return response
  }).use(telemetryMiddlewares<KinesisStreamEvent>(telemetry))
}
