/**
 * The analyst case-review API as one function of an API Gateway HTTP API (payload v2) event,
 * with every adapter injected: routing, identity and roles, validation, and the mapping of
 * domain results to HTTP. `handler.ts` wires it to AWS; tests and the local server call it directly.
 */
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda'
import type { z } from 'zod'
import type { DynamoCaseQueries } from '../aws/case-queries.ts'
import type { DynamoDecisionQueries } from '../aws/decision-queries.ts'
import type { DynamoRuleAdmin } from '../aws/rule-admin.ts'
import type { DynamoCaseStore } from '../aws/case-store.ts'
import type { DynamoModelStore } from '../aws/model-store.ts'
import { pinnedModels } from '../aws/rule-set-store.ts'
import { containsPan, summarize, type CaseStatus } from '../core/cases/index.ts'
import { compileModel, type ModelFile } from '../core/models/model-file.ts'
import { compileRuleSet, type RuleSetIssue } from '../core/rules/compile.ts'
import { ruleSetSchema } from '../core/rules/rule-set.ts'
import { checkRuleSetCost } from '../rule-budget/budget.ts'
import { claimCase, decideCase, noteCase, type CaseCommandDeps, type CaseCommandError, type WorkflowPort } from './case-commands.ts'
import { decodeCursor, encodeCursor, type CaseListFilter } from './cursor.ts'
import { checkBodySize, json, problem, readJsonBody, validate, type ApiResponse } from './http.ts'
import { callerOf, hasRole, type Claims, type Principal, type UserPrincipal } from './identity.ts'
import { takeLabels, type LabelPorts } from './label-intake.ts'
import { openApiDocument, operations } from './openapi.ts'
import { approveActivation, requestActivation, type Activation, type ActivationError, type RuleActivationDeps } from './rule-activation.ts'
import { caseApiRoutes, defaultMaxBodyBytes, type CaseApiOperation, type CaseApiRoute, type ClientOperation } from './routes.ts'
import { labelsEnvelopeSchema, openStatuses, type ApiIssue, type listCasesQuerySchema, type ruleStatsQuerySchema } from './schemas.ts'

export interface CaseApiDeps {
  cases: Pick<DynamoCaseStore, 'get' | 'update'>
  queue: Pick<DynamoCaseQueries, 'list'>
  decisions: Pick<DynamoDecisionQueries, 'get' | 'decided'>
  rules: Pick<
    DynamoRuleAdmin,
    'activeVersion' | 'versions' | 'body' | 'stored' | 'create' | 'activate' | 'ruleCounts' | 'activationRequest' | 'activationRequests' | 'requestActivation' | 'takeActivationRequest' | 'appendAudit' | 'audit'
  >
  /** Model versions: uploaded here, pinned by rule sets, loaded to check a rule set that names them. */
  models: Pick<DynamoModelStore, 'put' | 'list' | 'load'>
  workflow: WorkflowPort
  /** POST /labels: what stands, and where labels go. */
  labels: LabelPorts
  /** Epoch ms. */
  now: () => number
  /** Unexpected failures (a 500, or a verdict recorded whose workflow could not be resumed). */
  onError?: (error: unknown, context: { operation: string; requestId?: string }) => void
  /** A rule set became active (approved or rolled back): the handler counts it, and an alarm fires. */
  onRuleSetActivated?: (activation: Activation) => void
}

export type CaseApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer

interface Request {
  event: CaseApiEvent
  actor: UserPrincipal['actor']
  path: Record<string, unknown>
  query: Record<string, unknown>
  body: unknown
}

type Handler = (request: Request, deps: CaseApiDeps) => Promise<ApiResponse>

/** A route a machine client may call too: its handler gets the principal, user or client. */
type ClientRouteHandler = (request: Omit<Request, 'actor'> & { principal: Principal }, deps: CaseApiDeps) => Promise<ApiResponse>

// ---------------------------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------------------------

type Route = CaseApiRoute & { operationId: CaseApiOperation }

const table = caseApiRoutes.map((route) => ({ route: route as Route, segments: route.path.split('/').slice(1) }))

/** The request path without the stage prefix (a named stage's rawPath carries it) or a trailing slash. */
function requestPath(event: CaseApiEvent): string {
  let path = event.rawPath || event.requestContext?.http?.path || '/'
  const stage = event.requestContext?.stage
  if (stage && stage !== '$default' && (path === `/${stage}` || path.startsWith(`/${stage}/`))) path = path.slice(stage.length + 1) || '/'
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}

/** Every route whose path matches, with its parameters (decoded); undefined for an undecodable path. */
function matchPath(path: string): Array<{ route: Route; params: Record<string, string> }> | undefined {
  const parts = path.split('/').slice(1)
  let decoded: string[]
  try {
    decoded = parts.map((part) => decodeURIComponent(part))
  } catch {
    return undefined
  }
  const matches: Array<{ route: Route; params: Record<string, string> }> = []
  for (const { route, segments } of table) {
    if (segments.length !== decoded.length) continue
    const params: Record<string, string> = {}
    const fits = segments.every((segment, i) => {
      const value = decoded[i]!
      if (segment.startsWith('{') && segment.endsWith('}')) {
        params[segment.slice(1, -1)] = value
        return value !== ''
      }
      return segment === value
    })
    if (fits) matches.push({ route, params })
  }
  return matches
}

/** Query parameters as API Gateway gives them (repeated keys joined with commas), from the raw string if it did not. */
function queryOf(event: CaseApiEvent): Record<string, string> {
  if (event.queryStringParameters) return Object.fromEntries(Object.entries(event.queryStringParameters).filter((entry): entry is [string, string] => entry[1] !== undefined))
  const out: Record<string, string> = {}
  for (const [key, value] of new URLSearchParams(event.rawQueryString ?? '')) out[key] = key in out ? `${out[key]},${value}` : value
  return out
}

export async function handleApiRequest(event: CaseApiEvent, deps: CaseApiDeps): Promise<ApiResponse> {
  try {
    return await dispatch(event, deps)
  } catch (error) {
    deps.onError?.(error, { operation: 'request', requestId: event.requestContext?.requestId })
    return problem('internal', 'the request could not be completed; try again later')
  }
}

async function dispatch(event: CaseApiEvent, deps: CaseApiDeps): Promise<ApiResponse> {
  const method = (event.requestContext?.http?.method ?? '').toUpperCase()
  const matches = matchPath(requestPath(event))
  if (!matches?.length) return problem('not_found', 'no such route')
  const matched = matches.find((m) => m.route.method === method)
  if (!matched) {
    const allow = [...new Set(matches.map((m) => m.route.method))].join(', ')
    return problem('method_not_allowed', `this path takes ${allow}`, { headers: { allow } })
  }
  const { route, params } = matched

  const caller = callerOf(event.requestContext?.authorizer?.jwt?.claims as Claims | undefined)
  if (!caller.ok) {
    return caller.status === 401 ? problem('unauthenticated', caller.detail, { headers: { 'www-authenticate': 'Bearer' } }) : problem('forbidden', caller.detail)
  }
  if (caller.kind === 'client') {
    if (route.clientScope === undefined || !caller.scopes.includes(route.clientScope)) return problem('forbidden', `a machine client may not call ${route.method} ${route.path}`)
  } else if (!hasRole(caller.actor.role, route.role)) return problem('forbidden', `${route.method} ${route.path} needs the ${route.role} role`)

  const spec = operations[route.operationId]
  const maxBytes = route.maxBodyBytes ?? defaultMaxBodyBytes
  const tooLarge = checkBodySize(event, maxBytes)
  if (tooLarge) return tooLarge
  const path: Record<string, unknown> = {}
  for (const [name, schema] of Object.entries(spec.path ?? {})) {
    const parsed = validate(schema as z.ZodType, params[name], `path parameter ${name}`, name)
    if (!parsed.ok) return parsed.response
    path[name] = parsed.value
  }
  const query = validate(spec.query, queryOf(event), 'query parameters')
  if (!query.ok) return query.response
  let body: unknown
  if (spec.body) {
    const read = readJsonBody(event, maxBytes)
    if (!read.ok) return read.response
    body = read.value
  }
  const request = { event, path, query: query.value as Record<string, unknown>, body }
  if (isClientOperation(route.operationId)) return clientRouteHandlers[route.operationId]({ ...request, principal: caller }, deps)
  // Only a client route admits a client (checked above).
  return handlers[route.operationId]({ ...request, actor: (caller as UserPrincipal).actor }, deps)
}

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

const listCases: Handler = async (request, deps) => {
  const query = request.query as z.output<typeof listCasesQuerySchema>
  const filter: CaseListFilter = {
    statuses: query.status ?? (openStatuses as readonly CaseStatus[]),
    ...(query.priority ? { priorities: query.priority } : {}),
    ...(query.assignee !== undefined ? { assignee: query.assignee } : {}),
  }
  let after
  if (query.cursor !== undefined) {
    const decoded = decodeCursor(query.cursor, filter)
    if (!decoded.ok) return problem('invalid_cursor', decoded.detail, { issues: [{ path: 'cursor', message: decoded.detail }] })
    after = decoded.position
  }
  const page = await deps.queue.list({ ...filter, limit: query.limit ?? 25, ...(after ? { after } : {}) })
  return json(200, { items: page.items.map(summarize), ...(page.next ? { cursor: encodeCursor(filter, page.next) } : {}) })
}

const getCase: Handler = async (request, deps) => {
  const id = request.path.id as string
  const found = await deps.cases.get(id)
  // The workflow's task token sits beside the case and is never served.
  return found ? json(200, found.case) : problem('not_found', `no case ${id}`)
}

/** not_found 404; conflict, already_claimed, case_closed, illegal_transition (and the other refusals) 409; not_assignee, forbidden 403; invalid_input 400. */
function commandProblem(error: CaseCommandError): ApiResponse {
  return problem(error.code, error.message, 'issues' in error && error.issues ? { issues: error.issues } : {})
}

function commandDeps(deps: CaseApiDeps, requestId: string | undefined): CaseCommandDeps {
  return {
    cases: deps.cases,
    now: deps.now,
    workflow: {
      // The verdict is on the case before the workflow is resumed. If resuming fails, the verdict
      // stands (a retry would only meet a closed case), and the workflow applies it at its
      // deadline at the latest, when its escalate or expire step finds the case closed.
      resume: async (token, verdict) => {
        try {
          return await deps.workflow.resume(token, verdict)
        } catch (error) {
          deps.onError?.(error, { operation: 'resume-workflow', requestId })
          return 'stale'
        }
      },
    },
  }
}

const claim: Handler = async (request, deps) => {
  const result = await claimCase(commandDeps(deps, request.event.requestContext?.requestId), request.path.id as string, request.actor)
  return result.ok ? json(200, result.value) : commandProblem(result.error)
}

const note: Handler = async (request, deps) => {
  const body = validate(operations.addNote.body!, request.body, 'note')
  if (!body.ok) return body.response
  const result = await noteCase(commandDeps(deps, request.event.requestContext?.requestId), request.path.id as string, request.actor, (body.value as { text: string }).text)
  return result.ok ? json(200, result.value) : commandProblem(result.error)
}

const decision: Handler = async (request, deps) => {
  const body = validate(operations.decideCase.body!, request.body, 'decision')
  if (!body.ok) return body.response
  const command = body.value as { outcome: 'fraud' | 'legitimate'; reason: string }
  const result = await decideCase(commandDeps(deps, request.event.requestContext?.requestId), request.path.id as string, request.actor, command)
  return result.ok ? json(200, result.value) : commandProblem(result.error)
}

const getDecision: Handler = async (request, deps) => {
  const id = request.path.id as string
  const [decision, items] = await Promise.all([deps.decisions.get(id, deps.now()), deps.labels.items.read([id])])
  if (!decision) return problem('not_found', `no decision for transaction ${id}`)
  const standing = items.get(id)?.standing
  return json(200, standing ? { decision, label: standing } : { decision })
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

const listRuleSets: Handler = async (_request, deps) => {
  const [active, versions, requests] = await Promise.all([deps.rules.activeVersion(), deps.rules.versions(), deps.rules.activationRequests()])
  const body = active === undefined ? undefined : await deps.rules.body(active)
  return json(200, {
    active: active !== undefined && body !== undefined ? { version: active, ruleSet: body } : null,
    versions: versions.map((v) => ({ ...v, active: v.version === active })),
    requests,
  })
}

/** Zod issues under `rules[i]` name the rule too, as the compiler's expression issues do. */
function withRuleIds(issues: readonly RuleSetIssue[], input: unknown): ApiIssue[] {
  const rules = (input as { rules?: unknown } | null)?.rules
  return issues.map((issue) => {
    if (issue.ruleId !== undefined || !Array.isArray(rules)) return { ...issue }
    const index = /^rules\[(\d+)\]/.exec(issue.path)?.[1]
    const id = index === undefined ? undefined : (rules[Number(index)] as { id?: unknown } | undefined)?.id
    return typeof id === 'string' && /^[a-z0-9][a-z0-9_.-]{0,63}$/.test(id) ? { ...issue, ruleId: id } : { ...issue }
  })
}

/**
 * Card numbers have no place in a rule set (lists hold card tokens, and a PAN would be served back
 * by GET /rules): list values, rule ids, expressions, descriptions and tags that look like one are refused.
 */
function panIssues(input: z.input<typeof ruleSetSchema>): ApiIssue[] {
  const issues: ApiIssue[] = []
  const message = 'looks like a card number; list card tokens (or refer to a card by its last four digits)'
  if (input.description && containsPan(input.description)) issues.push({ path: 'description', message })
  for (const [name, values] of Object.entries(input.lists ?? {})) {
    values.forEach((value, i) => {
      if (containsPan(value)) issues.push({ path: `lists.${name}[${i}]`, message })
    })
  }
  input.rules.forEach((rule, i) => {
    if (containsPan(rule.id)) issues.push({ path: `rules[${i}].id`, message })
    if (containsPan(rule.description)) issues.push({ path: `rules[${i}].description`, message, ruleId: rule.id })
    if (containsPan(rule.when)) issues.push({ path: `rules[${i}].when`, message, ruleId: rule.id })
    rule.tags?.forEach((tag, j) => {
      if (containsPan(tag)) issues.push({ path: `rules[${i}].tags[${j}]`, message, ruleId: rule.id })
    })
  })
  return issues
}

/**
 * Why a rule set may not run, as issues (none if it may): what upload, activation requests,
 * approvals and rollbacks all check, so a set refused at upload is refused at activation too.
 */
async function ruleSetIssues(deps: CaseApiDeps, body: unknown): Promise<ApiIssue[]> {
  const models = await pinnedModels(deps.models, body)
  const compiled = compileRuleSet(body, { models: models.loaded })
  if (!compiled.ok) return withRuleIds(compiled.error.issues, body)
  // A set that compiles is measured on worst-case transactions: one over the per-transaction budget would stall the scorer.
  const cost = checkRuleSetCost(compiled.value)
  if (!cost.ok) return withRuleIds(cost.error.issues, body)
  return panIssues(body as z.input<typeof ruleSetSchema>)
}

const putRuleSet: Handler = async (request, deps) => {
  const issues = await ruleSetIssues(deps, request.body)
  if (issues.length) return problem('invalid_rule_set', `the rule set cannot run: ${issues.length} issue${issues.length === 1 ? '' : 's'}`, { issues })
  const { version } = request.body as { version: number }
  const meta = { createdAt: new Date(deps.now()).toISOString(), createdBy: request.actor.username }
  // Stored as sent (durations as text): the scorers parse and compile the stored JSON.
  if ((await deps.rules.create(version, request.body, meta)) === 'exists') {
    return problem('version_exists', `rule set version ${version} exists; versions are immutable: upload it under a new version number`)
  }
  await deps.rules.appendAudit({ at: meta.createdAt, action: 'uploaded', version, from: (await deps.rules.activeVersion()) ?? null, by: meta.createdBy })
  return json(201, { version, active: false, ...meta })
}

const listModels: Handler = async (_request, deps) => json(200, { models: await deps.models.list() })

/**
 * `PUT /models`: stores a model version for rule sets to pin. The file's checksum must hold (a file
 * edited after it was written is refused); the same file again is answered 200 (an upload retried),
 * another file under a stored version 409: versions are immutable, as rule sets' are. Storing does
 * not run it: a rule-set version naming it does, once activated (four eyes).
 */
const putModel: Handler = async (request, deps) => {
  const compiled = compileModel(request.body)
  if (!compiled.ok) return problem('invalid_model', `the model cannot be scored: ${compiled.error.issues.length} issue${compiled.error.issues.length === 1 ? '' : 's'}`, { issues: compiled.error.issues })
  const file = request.body as ModelFile
  if (containsPan(file.source) || Object.keys(file.metrics ?? {}).some(containsPan)) {
    return problem('invalid_model', 'the model cannot be stored: 1 issue', { issues: [{ path: 'source', message: 'looks like a card number' }] })
  }
  const meta = { createdAt: new Date(deps.now()).toISOString(), createdBy: request.actor.username }
  const { outcome, stored } = await deps.models.put(file, meta)
  if (outcome === 'conflict') return problem('version_exists', `model ${file.name} version ${file.version} holds another file; versions are immutable: upload it under a new version number`)
  return json(outcome === 'created' ? 201 : 200, stored)
}

function activationDeps(deps: CaseApiDeps): RuleActivationDeps {
  return { rules: deps.rules, check: (body) => ruleSetIssues(deps, body), now: deps.now, ...(deps.onRuleSetActivated ? { onActivated: deps.onRuleSetActivated } : {}) }
}

/** not_found 404; self_approval 403; activation_pending, conflict and a stored set that cannot run 409. */
function activationProblem(error: ActivationError): ApiResponse {
  if (error.code === 'not_runnable') return problem('conflict', error.message, { issues: error.issues })
  return problem(error.code, error.message)
}

const activated = (activation: Activation) => json(200, { active: activation.version, previous: activation.previous })

const activateRuleSet: Handler = async (request, deps) => {
  const result = await requestActivation(activationDeps(deps), request.path.version as number, request.actor)
  if (!result.ok) return activationProblem(result.error)
  return result.value.kind === 'activated' ? activated(result.value.activation) : json(202, result.value.request)
}

const approveRuleSet: Handler = async (request, deps) => {
  const result = await approveActivation(activationDeps(deps), request.path.version as number, request.actor)
  return result.ok ? activated(result.value) : activationProblem(result.error)
}

const ruleSetAudit: Handler = async (_request, deps) => json(200, { items: await deps.rules.audit() })

export const statsNote =
  'hits: decisions the rule fired in under this version, as the scorer counts them (once per batch, after writing its decisions: a batch that fails in between is not counted, and decisions scored before hit counting was deployed are not either). fraud, legitimate: the labels of the transactions it fired on, from every source (analysts\' verdicts, chargebacks, issuer and customer reports; a flipped label moves its count), and bySource says which; counted once per label the applier records (a crash between recording a label and counting it loses that count, never doubles it). precision = fraud / (fraud + legitimate), null until such a label. Shadow rules are counted too: their precision is what activating them would give.'

const ruleStats: Handler = async (request, deps) => {
  const query = request.query as z.output<typeof ruleStatsQuerySchema>
  const active = await deps.rules.activeVersion()
  const version = query.version ?? active
  if (version === undefined) return problem('not_found', 'no rule set is active; name a version')
  const body = await deps.rules.body(version)
  if (body === undefined) return problem('not_found', `no rule set version ${version}`)
  const counts = new Map((await deps.rules.ruleCounts(version)).map((c) => [c.ruleId, c]))
  const parsed = ruleSetSchema.safeParse(body)
  const rules: Array<{ id: string; mode?: 'active' | 'shadow' }> = parsed.success ? parsed.data.rules.map((r) => ({ id: r.id, mode: r.mode })) : []
  for (const id of counts.keys()) if (!rules.some((r) => r.id === id)) rules.push({ id })
  return json(200, {
    version,
    active: version === active,
    note: statsNote,
    rules: rules.map((rule) => {
      const { hits = 0, fraud = 0, legitimate = 0, bySource = { fraud: {}, legitimate: {} } } = counts.get(rule.id) ?? {}
      return { ...rule, hits, fraud, legitimate, bySource, precision: fraud + legitimate === 0 ? null : fraud / (fraud + legitimate) }
    }),
  })
}

// ---------------------------------------------------------------------------------------------
// Labels
// ---------------------------------------------------------------------------------------------

const postLabels: ClientRouteHandler = async (request, deps) => {
  const envelope = validate(labelsEnvelopeSchema, request.body, 'labels')
  if (!envelope.ok) return envelope.response
  const answer = await takeLabels({ ...deps.labels, decisions: deps.decisions, now: deps.now }, envelope.value.labels)
  if (answer.counts.failed > 0) {
    const codes = [...new Set(answer.items.flatMap((item) => (item.status === 'failed' ? (item.issues ?? []).map((issue) => issue.message) : [])))]
    deps.onError?.(new Error(`labels stream refused ${answer.counts.failed} label(s): ${codes.join('; ')}`), { operation: 'send-labels', requestId: request.event.requestContext?.requestId })
  }
  return json(200, answer)
}

const clientRouteHandlers: Record<ClientOperation, ClientRouteHandler> = { postLabels }

const isClientOperation = (operation: CaseApiOperation): operation is ClientOperation => operation in clientRouteHandlers

const handlers: Record<Exclude<CaseApiOperation, ClientOperation>, Handler> = {
  listCases,
  getCase,
  claimCase: claim,
  addNote: note,
  decideCase: decision,
  getDecision,
  listRuleSets,
  putRuleSet,
  ruleStats,
  activateRuleSet,
  approveRuleSet,
  ruleSetAudit,
  listModels,
  putModel,
  openApi: async () => json(200, openApiDocument()),
}
