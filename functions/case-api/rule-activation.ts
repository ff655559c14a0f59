/**
 * Four eyes on the rule set the scorers run. A supervisor uploads a version (stored, never active)
 * and asks for its activation; a different supervisor approves, and only then do the scorers switch.
 * Rolling back to a version that was active before is single-handed: that set already ran, and a
 * rollback is what an incident needs at once. Every step is appended to the administration trail,
 * and every activation is reported (`onActivated`: a metric that raises an alarm).
 *
 * Seeding the first rule set at deploy (lib/scoring.ts) or at `npm start` (`publishRuleSet`) is not
 * a person's activation and points the scorers at it directly.
 */
import type { DynamoRuleAdmin, ActivationRequest, RuleSetAuditEntry } from '../aws/rule-admin.ts'
import type { Actor } from '../core/cases/index.ts'
import { err, ok, type Result } from '../core/result.ts'
import type { ApiIssue } from './schemas.ts'

export interface RuleActivationDeps {
  rules: Pick<DynamoRuleAdmin, 'activeVersion' | 'stored' | 'activate' | 'activationRequest' | 'requestActivation' | 'takeActivationRequest' | 'appendAudit'>
  /** Whether a stored body may run: the issues that stop it, none if it may. Checked at every step. */
  check: (body: unknown) => Promise<ApiIssue[]>
  now: () => number
  onActivated?: (activation: Activation) => void
}

export interface Activation {
  version: number
  previous: number | null
  by: string
  /** How it came about: approved by a second supervisor, or a single-handed rollback. */
  how: 'approved' | 'rolled_back'
  requestedBy?: string
}

export type ActivationOutcome = { kind: 'activated'; activation: Activation } | { kind: 'requested'; request: ActivationRequest }

export type ActivationError =
  | { code: 'not_found' | 'activation_pending' | 'self_approval' | 'conflict'; message: string }
  | { code: 'not_runnable'; message: string; issues: ApiIssue[] }

type Checked = Result<{ wasActive: boolean }, ActivationError>

async function runnable(deps: RuleActivationDeps, version: number): Promise<Checked> {
  const stored = await deps.rules.stored(version)
  if (!stored) return err({ code: 'not_found', message: `no rule set version ${version}` })
  // Stored versions passed the check when they were stored; a scorer cold-starting on one that no
  // longer does would have no rule set at all, so check again before pointing the scorers at it.
  const issues = await deps.check(stored.body)
  if (issues.length) return err({ code: 'not_runnable', message: `stored rule set version ${version} cannot run`, issues })
  return ok({ wasActive: stored.wasActive })
}

async function switchTo(deps: RuleActivationDeps, version: number, actor: Actor, how: Activation['how'], requestedBy?: string): Promise<Activation> {
  const at = new Date(deps.now()).toISOString()
  const previous = (await deps.rules.activate(version, { activatedAt: at, activatedBy: actor.username, ...(requestedBy === undefined ? {} : { requestedBy }) })) ?? null
  const activation: Activation = { version, previous, by: actor.username, how, ...(requestedBy === undefined ? {} : { requestedBy }) }
  // Reported as soon as the scorers point at it: the alarm must fire even if the trail's write fails.
  deps.onActivated?.(activation)
  const entry: RuleSetAuditEntry = { at, action: how === 'approved' ? 'activated' : 'rolled_back', version, from: previous, by: actor.username }
  if (requestedBy !== undefined) entry.requestedBy = requestedBy
  await deps.rules.appendAudit(entry)
  return activation
}

/**
 * `POST /rules/{version}/activate`: a rollback to a version that ran before (or is running) takes
 * effect at once; any other version gets a pending request for a second supervisor to approve.
 * Asking again for one's own pending request is harmless; asking for someone else's is refused:
 * approve it instead.
 */
export async function requestActivation(deps: RuleActivationDeps, version: number, actor: Actor): Promise<Result<ActivationOutcome, ActivationError>> {
  const checked = await runnable(deps, version)
  if (!checked.ok) return checked
  const active = (await deps.rules.activeVersion()) ?? null
  if (checked.value.wasActive || version === active) return ok({ kind: 'activated', activation: await switchTo(deps, version, actor, 'rolled_back') })
  const requestedAt = new Date(deps.now()).toISOString()
  const { created, request } = await deps.rules.requestActivation({ version, requestedBy: actor.username, requestedAt, from: active })
  if (!created && request.requestedBy !== actor.username) {
    return err({ code: 'activation_pending', message: `${request.requestedBy} asked for version ${version} to be activated: approve it with POST /rules/${version}/approve` })
  }
  if (created) await deps.rules.appendAudit({ at: requestedAt, action: 'activation_requested', version, from: active, by: actor.username })
  return ok({ kind: 'requested', request })
}

/**
 * `POST /rules/{version}/approve`: a second supervisor activates a requested version. The requester
 * approving their own request is refused (`self_approval`); of two approvers at once, one activates.
 */
export async function approveActivation(deps: RuleActivationDeps, version: number, actor: Actor): Promise<Result<Activation, ActivationError>> {
  const request = await deps.rules.activationRequest(version)
  if (!request) return err({ code: 'not_found', message: `no pending activation request for rule set version ${version}: ask for one with POST /rules/${version}/activate` })
  if (request.requestedBy === actor.username) {
    return err({ code: 'self_approval', message: `${actor.username} asked for version ${version} to be activated: a different supervisor must approve it` })
  }
  const checked = await runnable(deps, version)
  if (!checked.ok) return checked
  if (!(await deps.rules.takeActivationRequest(version, { requestedBy: request.requestedBy, approvedBy: actor.username, approvedAt: new Date(deps.now()).toISOString() }))) {
    return err({ code: 'conflict', message: `the activation request of version ${version} was acted on meanwhile; reload the rule sets` })
  }
  return ok(await switchTo(deps, version, actor, 'approved', request.requestedBy))
}
