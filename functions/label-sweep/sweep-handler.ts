import { MetricUnit } from '@aws-lambda-powertools/metrics'
import middy from '@middy/core'
import type { ScheduledEvent } from 'aws-lambda'
import { telemetryMiddlewares, type Telemetry } from '../aws/telemetry.ts'
import { sweepLabels, type LabelSweepDeps, type LabelSweepOutcome } from './sweep.ts'

/** The scheduled sweep of waiting labels; `LabelsUnmatched` is what the alarm watches. */
export function labelSweepHandler(deps: LabelSweepDeps, telemetry: Telemetry) {
  const { logger, metrics } = telemetry
  return middy(async (_event: ScheduledEvent): Promise<LabelSweepOutcome> => {
    const outcome = await sweepLabels(deps)
    metrics.addMetric('LabelsResent', MetricUnit.Count, outcome.resent)
    metrics.addMetric('LabelsUnmatched', MetricUnit.Count, outcome.unmatched.reduce((sum, { labels }) => sum + labels, 0))
    metrics.addMetric('LabelsWaiting', MetricUnit.Count, outcome.stillWaiting)
    for (const { transactionId, labels } of outcome.unmatched) logger.warn('labels unmatched: their transaction was never scored', { transactionId, labels })
    if (outcome.notSent > 0) logger.warn('labels not resent: the stream refused them; the next sweep tries again', { notSent: outcome.notSent })
    return outcome
  }).use(telemetryMiddlewares<ScheduledEvent>(telemetry))
}
