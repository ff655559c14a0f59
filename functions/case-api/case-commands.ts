import { addNote, claim, decide, type Actor, type Case, type CaseError, type DecideCommand } from '../core/cases/index.ts'
import { err, ok, type Result } from '../core/result.ts'
import type { DynamoCaseStore } from '../aws/case-store.ts'

/** The verdict the waiting workflow receives; it routes on `outcome`. */
export interface Verdict {
  outcome: 'fraud' | 'legitimate'
  reason: string
  decidedBy: string
}

/** Resumes the case workflow where it waits (Step Functions SendTaskSuccess in AWS). */
export interface WorkflowPort {
  /** 'stale' when the wait is over (its deadline passed): the workflow then reads the verdict from the case. */
  resume(taskToken: string, verdict: Verdict): Promise<'resumed' | 'stale'>
}

export interface CaseCommandDeps {
  cases: Pick<DynamoCaseStore, 'get' | 'update'>
  workflow: WorkflowPort
  now: () => number
}

export type CaseCommandError = CaseError | { code: 'not_found' | 'conflict'; message: string }

/**
 * Applies one analyst command to a stored case: the pure transition, then a write conditional on
 * the version read. Of two analysts acting at once, exactly one write lands; the other gets
 * `conflict`.
 */
async function change(deps: CaseCommandDeps, caseId: string, transition: (c: Case, now: number) => Result<Case, CaseError>): Promise<Result<{ case: Case; pendingToken: string | undefined }, CaseCommandError>> {
  const found = await deps.cases.get(caseId)
  if (!found) return err({ code: 'not_found', message: `no case ${caseId}` })
  const next = transition(found.case, deps.now())
  if (!next.ok) return next
  if ((await deps.cases.update(next.value, found.case.version)) === 'conflict') {
    return err({ code: 'conflict', message: `case ${caseId} changed meanwhile; reload it and try again` })
  }
  return ok({ case: next.value, pendingToken: found.pending?.token })
}

export async function claimCase(deps: CaseCommandDeps, caseId: string, actor: Actor): Promise<Result<Case, CaseCommandError>> {
  const changed = await change(deps, caseId, (c, now) => claim(c, actor, now))
  return changed.ok ? ok(changed.value.case) : changed
}

export async function noteCase(deps: CaseCommandDeps, caseId: string, actor: Actor, text: string): Promise<Result<Case, CaseCommandError>> {
  const changed = await change(deps, caseId, (c, now) => addNote(c, actor, text, now))
  return changed.ok ? ok(changed.value.case) : changed
}

/**
 * Records the verdict on the case, then resumes the workflow. The case is written first: if the
 * deadline fires in between, the workflow's escalate or expire step finds the case closed and
 * applies this verdict, so the decision wins the race either way and nothing is decided twice.
 */
export async function decideCase(deps: CaseCommandDeps, caseId: string, actor: Actor, command: DecideCommand): Promise<Result<Case, CaseCommandError>> {
  const changed = await change(deps, caseId, (c, now) => decide(c, actor, command, now))
  if (!changed.ok) return changed
  const { case: decided, pendingToken } = changed.value
  if (pendingToken) await deps.workflow.resume(pendingToken, { outcome: command.outcome, reason: command.reason, decidedBy: actor.username })
  return ok(decided)
}
