import middy from '@middy/core'
import { telemetryMiddlewares, type Telemetry } from '../aws/telemetry.ts'
import { runCaseTask, type CaseTaskDeps } from './tasks.ts'

/** The case workflow's task states (open, markBlocked, await, escalate, expire, label, close), each log line keyed by its case. */
export function caseTaskHandler(deps: CaseTaskDeps, telemetry: Telemetry) {
  return middy(async (event: unknown) => runCaseTask(event, deps)).use(telemetryMiddlewares<unknown>(telemetry, correlationOf))
}

function correlationOf(event: unknown) {
  const task = (typeof event === 'object' && event !== null ? event : {}) as { caseId?: unknown; decision?: { transactionId?: unknown } }
  return { caseId: task.caseId, transactionId: task.decision?.transactionId }
}
