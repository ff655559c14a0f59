import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics'
import type { LabelBatchOutcome } from './process-batch.ts'

/** What one label batch did, as CloudWatch EMF metrics (namespace Vigil, dimension `service`): Labels_<outcome> counts each label once. */
export function recordLabelBatchMetrics(metrics: Metrics, records: number, outcome: LabelBatchOutcome): void {
  metrics.addMetric('LabelBatchSize', MetricUnit.Count, records)
  for (const [kind, count] of Object.entries(outcome.outcomes)) metrics.addMetric(`Labels_${kind}`, MetricUnit.Count, count)
  metrics.addMetric('LabelsQuarantined', MetricUnit.Count, outcome.quarantined)
  metrics.addMetric('EntityWriteConflicts', MetricUnit.Count, outcome.conflicts)
  metrics.addMetric('UnfinishedBatches', MetricUnit.Count, outcome.firstUnfinished === undefined ? 0 : 1)
}
