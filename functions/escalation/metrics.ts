import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics'
import type { Logger } from '@aws-lambda-powertools/logger'
import type { CaseOutcome } from '../core/cases/index.ts'

/**
 * What a case task changed, reported once: each comes from a transition the task itself stored,
 * so a retried state (which finds the transition already made) reports nothing again.
 */
export type CaseEvent =
  | { kind: 'opened' }
  | { kind: 'escalated' }
  /** A deadline passed with no verdict: the analyst's (→ escalated) or the supervisors' (→ expired). */
  | { kind: 'slaBreached'; deadline: 'analyst' | 'supervisor' }
  | { kind: 'closed'; outcome: CaseOutcome }

/**
 * Case events as CloudWatch EMF metrics (namespace Vigil, dimension `service`): CasesOpened,
 * CasesEscalated, SlaBreaches, and CasesClosed by `outcome` (its own metric set); and a log line
 * each, with the invocation's caseId.
 */
export function caseEventRecorder(metrics: Metrics, logger: Logger): (event: CaseEvent) => void {
  return (event) => {
    switch (event.kind) {
      case 'opened':
        metrics.addMetric('CasesOpened', MetricUnit.Count, 1)
        logger.info('case opened')
        return
      case 'escalated':
        metrics.addMetric('CasesEscalated', MetricUnit.Count, 1)
        logger.info('case escalated')
        return
      case 'slaBreached':
        metrics.addMetric('SlaBreaches', MetricUnit.Count, 1)
        logger.info('case deadline passed without a verdict', { deadline: event.deadline })
        return
      case 'closed': {
        const single = metrics.singleMetric()
        single.addDimension('outcome', event.outcome)
        single.addMetric('CasesClosed', MetricUnit.Count, 1)
        logger.info('case closed', { outcome: event.outcome })
      }
    }
  }
}
