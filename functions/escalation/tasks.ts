import * as z from 'zod'
import type { LabelSendResult } from '../aws/label-stream.ts'
import { escalate, expire, labelOf, markBlocked, markUnblocked, openCase, type Case, type CaseError, type SlaTable } from '../core/cases/index.ts'
import type { Label } from '../core/labels/label.ts'
import type { Result } from '../core/result.ts'
import type { CaseEvent } from './metrics.ts'

/** What each task state of the case workflow sends the task Lambda. */
export const caseTaskEventSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('open'), caseId: z.string(), decision: z.unknown(), transaction: z.unknown() }),
  z.object({ action: z.literal('markBlocked'), caseId: z.string() }),
  z.object({ action: z.literal('markUnblocked'), caseId: z.string() }),
  z.object({ action: z.literal('await'), caseId: z.string(), role: z.enum(['analyst', 'supervisor']), taskToken: z.string().min(1) }),
  z.object({ action: z.literal('escalate'), caseId: z.string() }),
  z.object({ action: z.literal('expire'), caseId: z.string() }),
  z.object({ action: z.literal('label'), caseId: z.string() }),
  z.object({ action: z.literal('close'), caseId: z.string() }),
])
export type CaseTaskEvent = z.infer<typeof caseTaskEventSchema>

/** What the state machine routes on, under `$.case`: small, and never the transaction itself. */
export interface WorkflowCase {
  caseId: string
  transactionId: string
  status: Case['status']
  outcome: Case['outcome'] | null
  priority: Case['priority']
  entity: string
  slaDueAt: string
  /** Seconds left to the deadline: the timeout of the state that waits for a verdict. */
  slaSeconds: number
  /** Epoch seconds until which a listing of the card made now applies (the list item's expiresAt). */
  listUntil: number
}

/**
 * How long a card this case lists stays on the block list: a year, past which an issuer has long
 * replaced a card used for fraud. Without an end the run-time list would only grow.
 */
export const blockListingSeconds = 365 * 86_400

export interface CaseTaskDeps {
  cases: {
    get(caseId: string): Promise<{ case: Case } | undefined>
    create(c: Case): Promise<{ case: Case; created: boolean }>
    update(c: Case, previousVersion: number): Promise<'written' | 'conflict'>
    setPendingTask(caseId: string, pending: { token: string; role: 'analyst' | 'supervisor' }): Promise<void>
  }
  /** The labels stream (functions/aws/label-stream.ts): a verdict is a label like any other, applied by the label applier. */
  labels: { send(labels: readonly Label[]): Promise<LabelSendResult[]> }
  sla: SlaTable
  now: () => number
  /** Told of each opening, escalation, missed deadline and closing, once (see CaseEvent). */
  record: (event: CaseEvent) => void
}

export class CaseTaskError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.name = `Vigil.${code}`
    this.code = code
  }
}

/**
 * Runs one task of the case workflow. Every task is safe to retry: opening returns the case
 * already opened under the id; a transition the case has already been through is not applied
 * twice (a case decided while its deadline ran out stays decided: that verdict wins the race).
 * Events are recorded only for what this task stored, so a retry records nothing twice; `close`
 * changes nothing and records each time it runs, which the workflow does once per case.
 */
export async function runCaseTask(input: unknown, deps: CaseTaskDeps): Promise<WorkflowCase | null> {
  const event = caseTaskEventSchema.parse(input)
  const now = deps.now()
  if (event.action === 'open') {
    const opened = orThrow(openCase({ caseId: event.caseId, decision: event.decision as never, transaction: event.transaction as never }, now, deps.sla))
    const stored = await deps.cases.create(opened)
    if (stored.created) deps.record({ kind: 'opened' })
    return view(stored.case, now)
  }
  const current = await load(deps, event.caseId)
  switch (event.action) {
    case 'await':
      await deps.cases.setPendingTask(current.caseId, { token: event.taskToken, role: event.role })
      return null
    case 'markBlocked':
      return view(current.blocked ? current : await apply(deps, current, markBlocked(current, now)), now)
    case 'markUnblocked':
      return view(current.blocked ? await apply(deps, current, markUnblocked(current, now)) : current, now)
    case 'escalate': {
      if (current.status === 'closed' || current.escalatedAt) return view(current, now)
      const escalated = await apply(deps, current, escalate(current, now, deps.sla))
      deps.record({ kind: 'slaBreached', deadline: 'analyst' })
      deps.record({ kind: 'escalated' })
      return view(escalated, now)
    }
    case 'expire': {
      if (current.status === 'closed') return view(current, now)
      const expired = await apply(deps, current, expire(current, now))
      deps.record({ kind: 'slaBreached', deadline: 'supervisor' })
      return view(expired, now)
    }
    case 'label': {
      // Sending again is harmless (the applier counts a label once), so a retried task may.
      const label = labelOf(current)
      if (label) {
        const [result] = await deps.labels.send([label])
        if (!result?.sent) throw new CaseTaskError('LabelNotSent', `the label of case ${current.caseId} was not sent: ${result?.errorCode ?? 'no result'}`)
      }
      return view(current, now)
    }
    case 'close':
      if (current.status === 'closed' && current.outcome) deps.record({ kind: 'closed', outcome: current.outcome })
      return view(current, now)
  }
}

async function load(deps: CaseTaskDeps, caseId: string): Promise<Case> {
  const found = await deps.cases.get(caseId)
  if (!found) throw new CaseTaskError('CaseNotFound', `no case ${caseId}`)
  return found.case
}

/** Stores a transition's result; a concurrent change (an analyst's verdict) makes the task retry on the fresh case. */
async function apply(deps: CaseTaskDeps, current: Case, next: Result<Case, CaseError>): Promise<Case> {
  const changed = orThrow(next)
  if ((await deps.cases.update(changed, current.version)) === 'conflict') throw new CaseTaskError('CaseChanged', `case ${current.caseId} changed meanwhile`)
  return changed
}

function orThrow(result: Result<Case, CaseError>): Case {
  if (!result.ok) throw new CaseTaskError(result.error.code, result.error.message)
  return result.value
}

export function view(c: Case, now: number): WorkflowCase {
  return {
    caseId: c.caseId,
    transactionId: c.transactionId,
    status: c.status,
    outcome: c.outcome ?? null,
    priority: c.priority,
    entity: c.entity,
    slaDueAt: c.slaDueAt,
    slaSeconds: Math.max(1, Math.ceil((Date.parse(c.slaDueAt) - now) / 1000)),
    listUntil: Math.floor(now / 1000) + blockListingSeconds,
  }
}

