import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics'
import type { BatchOutcome } from './process-batch.ts'

/**
 * Rule ids with a RuleHits metric of their own per batch; the rest are summed under `_other`
 * (no rule id can start with `_`). Every rule id is a CloudWatch metric (billed monthly) and an EMF
 * line per batch; a rule set may hold 256 rules and each version may rename them, so the busiest 50
 * are kept apart and the total stays exact.
 */
export const maxRuleHitMetrics = 50
export const otherRules = '_other'

/**
 * What one batch did, as CloudWatch EMF metrics (namespace Vigil, dimension `service`).
 *
 * Metrics with a dimension of their own (RuleHits by `ruleId`, QuarantinedByReason by `reason`)
 * are a separate metric set each, published at once. The others go out in the invocation's EMF
 * line; EventTimeToDecision has one value per decided record, and Powertools starts a new line
 * whenever a metric reaches EMF's 100 values, so large batches are split, never truncated.
 */
export function recordBatchMetrics(metrics: Metrics, records: number, outcome: BatchOutcome): void {
  for (const [ruleId, hits] of busiestRules(outcome.ruleHits)) publishWithDimension(metrics, 'RuleHits', 'ruleId', ruleId, hits)
  // The reason is a QuarantineCode (process-batch.ts: invalid_json, pan_in_identifier, …): a closed type.
  for (const [code, count] of outcome.quarantinedByReason) publishWithDimension(metrics, 'QuarantinedByReason', 'reason', code, count)

  metrics.addMetric('BatchSize', MetricUnit.Count, records)
  for (const kind of ['approve', 'review', 'block'] as const) {
    metrics.addMetric(`Decisions_${kind}`, MetricUnit.Count, outcome.decided.filter((d) => d.outcome === kind).length)
  }
  metrics.addMetric('DuplicatesSkipped', MetricUnit.Count, outcome.duplicates)
  metrics.addMetric('Redelivered', MetricUnit.Count, outcome.redelivered)
  metrics.addMetric('Quarantined', MetricUnit.Count, outcome.quarantined)
  metrics.addMetric('EntityWriteConflicts', MetricUnit.Count, outcome.conflicts)
  metrics.addMetric('UnfinishedBatches', MetricUnit.Count, outcome.firstUnfinished === undefined ? 0 : 1)
  // CloudWatch computes no percentile over a period holding a negative value: an event time
  // ahead of our clock (a producer's clock skew) counts as 0.
  for (const ms of outcome.eventTimeToDecisionMs) metrics.addMetric('EventTimeToDecision', MetricUnit.Milliseconds, Math.max(0, ms))
}

/** The busiest `maxRuleHitMetrics` rules (ties by id), then the rest summed under `otherRules`. */
export function busiestRules(hits: ReadonlyMap<string, number>): Array<[string, number]> {
  const ranked = [...hits].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
  const kept = ranked.slice(0, maxRuleHitMetrics)
  const rest = ranked.slice(maxRuleHitMetrics).reduce((sum, [, count]) => sum + count, 0)
  return rest > 0 ? [...kept, [otherRules, rest]] : kept
}

function publishWithDimension(metrics: Metrics, name: string, dimension: string, value: string, count: number): void {
  const single = metrics.singleMetric()
  single.addDimension(dimension, value)
  single.addMetric(name, MetricUnit.Count, count)
}
