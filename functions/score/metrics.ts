import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics'
import type { BatchOutcome } from './process-batch.ts'

/** What one batch did, as CloudWatch EMF metrics. */
export function recordBatchMetrics(metrics: Metrics, records: number, outcome: BatchOutcome): void {
  metrics.addMetric('BatchSize', MetricUnit.Count, records)
  for (const kind of ['approve', 'review', 'block'] as const) {
    metrics.addMetric(`Decisions_${kind}`, MetricUnit.Count, outcome.decided.filter((d) => d.outcome === kind).length)
  }
  metrics.addMetric('DuplicatesSkipped', MetricUnit.Count, outcome.duplicates)
  metrics.addMetric('Redelivered', MetricUnit.Count, outcome.redelivered)
  metrics.addMetric('Quarantined', MetricUnit.Count, outcome.quarantined)
  metrics.addMetric('EntityWriteConflicts', MetricUnit.Count, outcome.conflicts)
  metrics.addMetric('UnfinishedBatches', MetricUnit.Count, outcome.firstUnfinished === undefined ? 0 : 1)
}
