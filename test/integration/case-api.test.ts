/**
 * The case API handler against dynalite through the real SDK: API Gateway payload v2 events built
 * with the authorizer's claims directly (the JWT and HTTP layer is the local server's concern).
 * Every response is checked for the security headers, problem+json on errors, no 5xx, and no PAN.
 */
import { labelStreamEnvVar } from '../../functions/aws/service-names.ts'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb'
import fc from 'fast-check'
import type { Context } from 'aws-lambda'
import { describe, expect, it, vi } from 'vitest'
import { DynamoCaseQueries, type CaseQueryOptions } from '../../functions/aws/case-queries.ts'
import { DynamoCaseStore } from '../../functions/aws/case-store.ts'
import { DynamoDecisionStore } from '../../functions/aws/decision-store.ts'
import { DynamoLabelItemStore } from '../../functions/aws/label-item-store.ts'
import { DynamoRuleSetSource } from '../../functions/aws/rule-set-store.ts'
import { DynamoRuleStatsStore } from '../../functions/aws/rule-stats-store.ts'
import { handleApiRequest, type CaseApiDeps, type CaseApiEvent } from '../../functions/case-api/app.ts'
import type { Verdict, WorkflowPort } from '../../functions/case-api/case-commands.ts'
import { caseApiDependencies } from '../../functions/case-api/dependencies.ts'
import { securityHeaders } from '../../functions/case-api/http.ts'
import type { Claims } from '../../functions/case-api/identity.ts'
import { caseApiRoutes, ruleSetMaxBodyBytes } from '../../functions/case-api/routes.ts'
import {
  activationRequestSchema,
  activationResponseSchema,
  caseListSchema,
  caseResponseSchema,
  decisionResponseSchema,
  problemSchema,
  ruleSetAuditResponseSchema,
  ruleSetsResponseSchema,
  ruleSetVersionSchema,
  ruleStatsResponseSchema,
} from '../../functions/case-api/schemas.ts'
import {
  caseStatuses,
  claim,
  decide,
  defaultSlaTable,
  escalate,
  openCase,
  priorities,
  type Case,
  type CaseDecision,
  type CaseStatus,
  type Priority,
} from '../../functions/core/cases/index.ts'
import type { RuleSetInput } from '../../functions/core/rules/rule-set.ts'
import { parseTransaction } from '../../functions/core/transaction.ts'
import { ruleStatsItems } from '../../lib/table-schema.ts'
import { createTables, tableEnvironment } from '../../local/emulators.ts'
import { uniqueName, useEmulators } from '../support/emulators.ts'
import { panLikeRuns } from '../support/pan-scan.ts'
import { testKey, wireExample, withLuhnDigit } from '../support/transactions.ts'

const aws = useEmulators()

const minute = 60_000
const hour = 60 * minute
const t0 = Date.parse('2026-11-24T09:00:00.000Z')

const ana: Claims = { sub: 'sub-ana', username: 'ana', 'cognito:groups': ['analyst'], token_use: 'access' }
// API Gateway flattens an array claim to "[a b]"; the user's name may come as cognito:username.
const bob: Claims = { sub: 'sub-bob', 'cognito:username': 'bob', 'cognito:groups': '[analyst]', token_use: 'access' }
const sam: Claims = { sub: 'sub-sam', username: 'sam', 'cognito:groups': 'analyst,supervisor', token_use: 'access' }
// A second supervisor: activating a rule set takes two (four eyes).
const sue: Claims = { sub: 'sub-sue', username: 'sue', 'cognito:groups': '[supervisor]', token_use: 'access' }
const outsider: Claims = { sub: 'sub-eve', username: 'eve', 'cognito:groups': '[marketing]', token_use: 'access' }

const defaultRules = JSON.parse(readFileSync(new URL('../../rules/default.json', import.meta.url), 'utf8')) as RuleSetInput

// ---------------------------------------------------------------------------------------------
// Requests and the invariants every response keeps
// ---------------------------------------------------------------------------------------------

/** Every PAN a test has fed in anywhere (transactions, notes, paths, rule sets): none may come back. */
const fedPans = new Set<string>(['4111111111111111'])

interface Call {
  claims?: Claims | null
  body?: unknown
  rawBody?: string
  base64?: boolean
  query?: Record<string, string>
  headers?: Record<string, string>
  stage?: string
}

function apiEvent(method: string, rawPath: string, options: Call = {}): CaseApiEvent {
  const claims = options.claims === undefined ? ana : options.claims
  const text = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body))
  const stage = options.stage ?? '$default'
  const query = options.query ?? {}
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: stage === '$default' ? rawPath : `/${stage}${rawPath}`,
    rawQueryString: new URLSearchParams(query).toString(),
    headers: { 'content-type': 'application/json', ...options.headers },
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'vitest' },
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      routeKey: '$default',
      stage,
      time: '24/Nov/2026:09:00:00 +0000',
      timeEpoch: t0,
      ...(claims === null ? {} : { authorizer: { jwt: { claims: claims as Record<string, string | string[]>, scopes: null } } }),
    } as CaseApiEvent['requestContext'],
    isBase64Encoded: options.base64 ?? false,
    ...(text === undefined ? {} : { body: options.base64 ? Buffer.from(text).toString('base64') : text }),
  }
}

interface Reply {
  status: number
  headers: Record<string, string>
  body: any
  raw: string
}

async function call(deps: CaseApiDeps, method: string, path: string, options: Call = {}): Promise<Reply> {
  const response = await handleApiRequest(apiEvent(method, path, options), deps)
  const raw = response.body
  for (const [name, value] of Object.entries(securityHeaders)) expect(response.headers[name]).toBe(value)
  expect(response.statusCode).toBeLessThan(500)
  // Also as written with spaces or dashes between the digits.
  const joined = raw.replace(/(?<=\d)[ -](?=\d)/g, '')
  for (const pan of fedPans) expect(joined).not.toContain(pan)
  if (path !== '/openapi.json') expect(panLikeRuns(raw)).toEqual([])
  const body = JSON.parse(raw)
  if (response.statusCode >= 400) {
    expect(response.headers['content-type']).toBe('application/problem+json')
    expect(problemSchema.parse(body).status).toBe(response.statusCode)
  } else {
    expect(response.headers['content-type']).toBe('application/json')
  }
  return { status: response.statusCode, headers: response.headers, body, raw }
}

// ---------------------------------------------------------------------------------------------
// Tables, deps and cases
// ---------------------------------------------------------------------------------------------

function recordingWorkflow() {
  const resumed: Array<{ token: string; verdict: Verdict }> = []
  const port: WorkflowPort = {
    resume: async (token, verdict) => {
      resumed.push({ token, verdict })
      return 'resumed'
    },
  }
  return { port, resumed }
}

async function fresh(options: { queries?: CaseQueryOptions; workflow?: WorkflowPort } = {}) {
  const names = { cases: uniqueName('cases'), decisions: uniqueName('decisions'), rules: uniqueName('rules'), labels: uniqueName('labels') }
  await createTables(aws.dynamo, names)
  const recording = recordingWorkflow()
  const errors: unknown[] = []
  let now = t0 + hour
  const deps: CaseApiDeps = {
    ...caseApiDependencies({ ...tableEnvironment(names), [labelStreamEnvVar]: uniqueName('labels') }, { dynamo: aws.dynamo, workflow: options.workflow ?? recording.port, now: () => now }),
    onError: (error) => errors.push(error),
  }
  if (options.queries) deps.queue = new DynamoCaseQueries(aws.dynamo, names.cases, options.queries)
  return {
    names,
    deps,
    errors,
    resumed: recording.resumed,
    store: new DynamoCaseStore(aws.dynamo, names.cases),
    setNow: (at: number) => (now = at),
  }
}

const amounts: Record<Priority, number> = { low: 1_000, medium: 15_000, high: 150_000, critical: 1_500_000 }

/** An opened case: review, score 60, one fired rule with its values, priority from the amount. */
function opened(id: string, options: { priority?: Priority; at?: number } = {}): Case {
  const parsed = parseTransaction(wireExample({ transactionId: `tx-${id}`, amount: amounts[options.priority ?? 'low'] }), testKey)
  if (!parsed.ok) throw new Error('bad fixture')
  const decision: CaseDecision = {
    transactionId: parsed.value.transactionId,
    outcome: 'review',
    score: 60,
    ruleSetVersion: 1,
    rules: [{ id: 'spend-spike', mode: 'active', status: 'fired', score: 60, values: { 'txn.amount': parsed.value.amount, 'features.card_avg_amount_30d': 80 } }],
    decidedAt: '2026-11-24T08:59:59.000Z',
  }
  const result = openCase({ caseId: `case-${id}`, decision, transaction: parsed.value }, options.at ?? t0, defaultSlaTable)
  if (!result.ok) throw new Error(result.error.message)
  return result.value
}

const must = (result: { ok: true; value: Case } | { ok: false; error: { message: string } }): Case => {
  if (!result.ok) throw new Error(result.error.message)
  return result.value
}

/** A case in `status`, by the domain's own transitions. */
function inStatus(c: Case, status: CaseStatus, assignee = 'ana'): Case {
  const actor = { username: assignee, role: 'analyst' as const }
  if (status === 'open') return c
  if (status === 'in_review') return must(claim(c, actor, Date.parse(c.openedAt) + minute))
  const escalated = must(escalate(c, Date.parse(c.slaDueAt), defaultSlaTable))
  if (status === 'escalated') return escalated
  const held = must(claim(c, actor, Date.parse(c.openedAt) + minute))
  return must(decide(held, actor, { outcome: 'fraud', reason: 'confirmed by the cardholder' }, Date.parse(c.openedAt) + 2 * minute))
}

/**
 * 40 cases over every status and priority, opened at scattered times (SLA order is not insertion
 * order), with two pairs sharing a deadline across statuses.
 */
function population(): Case[] {
  const out: Case[] = []
  for (let i = 0; i < 40; i++) {
    const status = caseStatuses[i % 4]!
    const priority = priorities[(i * 7) % 4]!
    const at = t0 + ((i * 7919) % 97) * minute
    out.push(inStatus(opened(`p${String(i).padStart(2, '0')}`, { priority, at }), status, i % 3 === 0 ? 'bob' : 'ana'))
  }
  // Same priority and opening time → same deadline, in two statuses.
  out.push(opened('tie-a', { priority: 'high', at: t0 + 13 * minute }))
  out.push(inStatus(opened('tie-b', { priority: 'high', at: t0 + 13 * minute }), 'in_review'))
  return out
}

async function seed(store: DynamoCaseStore, cases: readonly Case[]): Promise<void> {
  await Promise.all(cases.map((c) => store.create(c)))
}

/** Follows the cursor to the end; checks every page. */
async function listAll(deps: CaseApiDeps, query: Record<string, string>, claims: Claims = ana): Promise<{ items: any[]; pages: number }> {
  const items: any[] = []
  let cursor: string | undefined
  let pages = 0
  do {
    const reply = await call(deps, 'GET', '/cases', { claims, query: { ...query, ...(cursor ? { cursor } : {}) } })
    expect(reply.status).toBe(200)
    const page = caseListSchema.parse(reply.body)
    expect(page.items.length).toBeLessThanOrEqual(Number(query.limit ?? 25))
    items.push(...page.items)
    cursor = page.cursor
    pages++
    expect(pages).toBeLessThan(500)
  } while (cursor)
  return { items, pages }
}

function expectOldestFirst(items: ReadonlyArray<{ slaDueAt: string }>): void {
  for (let i = 1; i < items.length; i++) expect(items[i]!.slaDueAt >= items[i - 1]!.slaDueAt).toBe(true)
}

const ids = (items: ReadonlyArray<{ caseId: string }>) => items.map((c) => c.caseId).sort()

// ---------------------------------------------------------------------------------------------

describe('GET /cases', () => {
  it('lists the open statuses by default, oldest SLA first, over pages of `limit`, each case once', async () => {
    const { deps, store } = await fresh()
    const cases = population()
    await seed(store, cases)
    const { items, pages } = await listAll(deps, { limit: '7' })
    const expected = cases.filter((c) => c.status !== 'closed')
    expect(items).toHaveLength(expected.length)
    expect(ids(items)).toEqual(ids(expected))
    expect(pages).toBe(Math.ceil(expected.length / 7))
    expectOldestFirst(items)
    // Summaries: no notes, audit or transaction; the list shows what sorts and picks a case.
    expect(Object.keys(items[0]).sort()).toEqual(expect.arrayContaining(['caseId', 'status', 'priority', 'slaDueAt', 'score', 'amount', 'currency', 'decisionOutcome']))
    expect(items[0]).not.toHaveProperty('audit')
    expect(items[0]).not.toHaveProperty('transaction')
  })

  it('filters by status, priority and assignee, across pages', async () => {
    const { deps, store } = await fresh()
    const cases = population()
    await seed(store, cases)
    const closed = await listAll(deps, { status: 'closed', limit: '4' })
    expect(ids(closed.items)).toEqual(ids(cases.filter((c) => c.status === 'closed')))
    const urgent = await listAll(deps, { status: 'open,escalated,closed', priority: 'high,critical', limit: '3' })
    expect(ids(urgent.items)).toEqual(ids(cases.filter((c) => ['open', 'escalated', 'closed'].includes(c.status) && ['high', 'critical'].includes(c.priority))))
    expectOldestFirst(urgent.items)
    const bobs = await listAll(deps, { status: 'in_review,closed', assignee: 'bob', limit: '2' })
    expect(ids(bobs.items)).toEqual(ids(cases.filter((c) => ['in_review', 'closed'].includes(c.status) && c.assignee === 'bob')))
    expect(bobs.items.every((c) => c.assignee === 'bob')).toBe(true)
    const none = await call(deps, 'GET', '/cases', { query: { assignee: 'nobody-here' } })
    expect(none.body).toEqual({ items: [] })
  })

  it('pages the same whatever the query budget and page size (property, against dynalite)', async () => {
    const cases = population()
    const env = await fresh()
    await seed(env.store, cases)
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          limit: fc.integer({ min: 1, max: 9 }),
          statuses: fc.subarray([...caseStatuses], { minLength: 1 }),
          priorities: fc.option(fc.subarray([...priorities], { minLength: 1 }), { nil: undefined }),
          assignee: fc.option(fc.constantFrom('ana', 'bob'), { nil: undefined }),
          pagesPerStatus: fc.integer({ min: 1, max: 2 }),
          filteredPageSize: fc.integer({ min: 1, max: 4 }),
        }),
        async (q) => {
          const deps = { ...env.deps, queue: new DynamoCaseQueries(aws.dynamo, env.names.cases, { pagesPerStatus: q.pagesPerStatus, filteredPageSize: q.filteredPageSize }) }
          const query: Record<string, string> = { limit: String(q.limit), status: q.statuses.join(',') }
          if (q.priorities) query.priority = q.priorities.join(',')
          if (q.assignee) query.assignee = q.assignee
          const { items } = await listAll(deps, query)
          const expected = cases.filter((c) => q.statuses.includes(c.status) && (!q.priorities || q.priorities.includes(c.priority)) && (!q.assignee || c.assignee === q.assignee))
          expect(ids(items)).toEqual(ids(expected))
          expectOldestFirst(items)
        },
      ),
      { numRuns: 50 },
    )
  })

  it('rejects bad parameters and tampered cursors with 400 and the failing paths', async () => {
    const { deps, store } = await fresh()
    await seed(store, population())
    for (const limit of ['0', '101', 'ten', '-1', '2.5']) {
      const reply = await call(deps, 'GET', '/cases', { query: { limit } })
      expect(reply.status).toBe(400)
      expect(reply.body.issues.map((i: { path: string }) => i.path)).toEqual(['limit'])
    }
    const bad = await call(deps, 'GET', '/cases', { query: { status: 'open,pending', priority: 'urgent', sort: 'asc' } })
    expect(bad.status).toBe(400)
    expect(bad.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['', 'priority[0]', 'status[1]'].sort())

    const first = await call(deps, 'GET', '/cases', { query: { limit: '5' } })
    const cursor = first.body.cursor as string
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/)
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString())
    const tampered = [
      'not a cursor!',
      cursor.slice(0, -3),
      Buffer.from('{"v":1').toString('base64url'),
      Buffer.from(JSON.stringify({ ...decoded, v: 2 })).toString('base64url'),
      Buffer.from(JSON.stringify({ ...decoded, p: { open: ['yesterday', 'case-x'] } })).toString('base64url'),
      Buffer.from(JSON.stringify({ ...decoded, p: { closed: 'done' } })).toString('base64url'),
      Buffer.from(JSON.stringify({ ...decoded, x: 1 })).toString('base64url'),
    ]
    for (const c of tampered) {
      const reply = await call(deps, 'GET', '/cases', { query: { limit: '5', cursor: c } })
      expect(reply.status).toBe(400)
      expect(reply.body.type).toBe('urn:vigil:problem:invalid_cursor')
    }
    // A cursor taken under other filters.
    const other = await call(deps, 'GET', '/cases', { query: { limit: '5', cursor, priority: 'high' } })
    expect(other.status).toBe(400)
    expect(other.body.detail).toContain('other filters')
    // The page size may change between pages.
    expect((await call(deps, 'GET', '/cases', { query: { limit: '50', cursor } })).status).toBe(200)
  })
})

describe('GET /cases/{id}', () => {
  it('serves the case in full: tokenized transaction, fired rules with their values, notes, audit; never the task token', async () => {
    const { deps, store } = await fresh()
    const c = opened('full')
    await store.create(c)
    await store.setPendingTask(c.caseId, { token: 'secret-task-token', role: 'analyst' })
    await call(deps, 'POST', `/cases/${c.caseId}/notes`, { body: { text: 'called the cardholder, no answer' } })
    const reply = await call(deps, 'GET', `/cases/${c.caseId}`)
    expect(reply.status).toBe(200)
    const served = caseResponseSchema.parse(reply.body)
    expect(served.transaction.card).toEqual({ token: c.transaction.card.token, bin: '411111', last4: '1111' })
    expect(served.decision.rules).toEqual([expect.objectContaining({ id: 'spend-spike', status: 'fired', values: { 'txn.amount': 1_000, 'features.card_avg_amount_30d': 80 } })])
    expect(served.notes).toEqual([expect.objectContaining({ author: 'ana', text: 'called the cardholder, no answer' })])
    expect(served.audit.map((e) => e.action)).toEqual(['opened', 'noted'])
    expect(reply.raw).not.toContain('secret-task-token')
  })

  it('404 for an unknown case (the id is not echoed if it could be a PAN), 400 for an impossible id', async () => {
    const { deps } = await fresh()
    const missing = await call(deps, 'GET', '/cases/case-nope')
    expect(missing.status).toBe(404)
    expect(missing.body.detail).toContain('case-nope')
    expect((await call(deps, 'GET', '/cases/4111111111111111')).status).toBe(404)
    expect((await call(deps, 'GET', '/cases/4111-1111-1111-1111')).status).toBe(404)
    const long = await call(deps, 'GET', `/cases/${'x'.repeat(129)}`)
    expect(long.status).toBe(400)
    expect(long.body.issues[0].path).toBe('id')
    expect((await call(deps, 'GET', '/cases/%E0%A4%A')).status).toBe(404)
  })
})

describe('case commands', () => {
  it('claim: 200 in review; a second analyst 409; unknown case 404', async () => {
    const { deps, store } = await fresh()
    const c = opened('claim')
    await store.create(c)
    const claimed = await call(deps, 'POST', `/cases/${c.caseId}/claim`)
    expect(claimed.status).toBe(200)
    expect(caseResponseSchema.parse(claimed.body)).toMatchObject({ status: 'in_review', assignee: 'ana' })
    const again = await call(deps, 'POST', `/cases/${c.caseId}/claim`, { claims: bob })
    expect(again).toMatchObject({ status: 409, body: { type: 'urn:vigil:problem:already_claimed' } })
    expect((await call(deps, 'POST', '/cases/case-nope/claim')).status).toBe(404)
  })

  it('two analysts claiming at once: one 200, one 409', async () => {
    const { deps, store } = await fresh()
    const c = opened('race-claim')
    await store.create(c)
    const replies = await Promise.all([call(deps, 'POST', `/cases/${c.caseId}/claim`), call(deps, 'POST', `/cases/${c.caseId}/claim`, { claims: bob })])
    expect(replies.map((r) => r.status).sort()).toEqual([200, 409])
  })

  it('notes: 200 with the note; invalid bodies 400 with their paths; a pasted PAN is refused and not echoed; closed 409', async () => {
    const { deps, store } = await fresh()
    const c = opened('notes')
    await store.create(c)
    const noted = await call(deps, 'POST', `/cases/${c.caseId}/notes`, { claims: bob, body: { text: '  merchant says it shipped  ' } })
    expect(noted.status).toBe(200)
    expect(noted.body.notes).toEqual([{ at: expect.any(String), author: 'bob', text: 'merchant says it shipped' }])

    const empty = await call(deps, 'POST', `/cases/${c.caseId}/notes`, { body: { text: '   ' } })
    expect(empty).toMatchObject({ status: 400, body: { issues: [expect.objectContaining({ path: 'text' })] } })
    const extra = await call(deps, 'POST', `/cases/${c.caseId}/notes`, { body: { text: 'x', author: 'mallory' } })
    expect(extra.status).toBe(400)
    expect(extra.body.issues.map((i: { path: string }) => i.path)).toEqual([''])
    const wrongType = await call(deps, 'POST', `/cases/${c.caseId}/notes`, { body: { text: 42 } })
    expect(wrongType.body.issues.map((i: { path: string }) => i.path)).toEqual(['text'])
    const pan = await call(deps, 'POST', `/cases/${c.caseId}/notes`, { body: { text: 'card 4111 1111 1111 1111 per the caller' } })
    expect(pan.status).toBe(400)
    expect(pan.body.issues[0]).toMatchObject({ path: 'text', message: expect.stringContaining('card number') })

    await store.create(inStatus(opened('notes-closed'), 'closed'))
    const closed = await call(deps, 'POST', '/cases/case-notes-closed/notes', { body: { text: 'too late' } })
    expect(closed).toMatchObject({ status: 409, body: { type: 'urn:vigil:problem:case_closed' } })
  })

  it('decision: resumes the waiting workflow with the verdict; the rules of the transitions map to 400/403/409', async () => {
    const { deps, store, resumed } = await fresh()
    const c = opened('decide')
    await store.create(c)
    await store.setPendingTask(c.caseId, { token: 'task-token-1', role: 'analyst' })
    const path = `/cases/${c.caseId}/decision`
    const verdict = { outcome: 'fraud', reason: 'cardholder denies the purchase' }

    expect(await call(deps, 'POST', path, { body: verdict })).toMatchObject({ status: 409, body: { type: 'urn:vigil:problem:illegal_transition' } })
    await call(deps, 'POST', `/cases/${c.caseId}/claim`)
    expect(await call(deps, 'POST', path, { claims: bob, body: verdict })).toMatchObject({ status: 403, body: { type: 'urn:vigil:problem:not_assignee' } })
    const invalid = await call(deps, 'POST', path, { body: { outcome: 'expired', reason: '' } })
    expect(invalid.status).toBe(400)
    expect(invalid.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['outcome', 'reason'])
    expect(resumed).toEqual([])

    const decided = await call(deps, 'POST', path, { body: verdict })
    expect(decided.status).toBe(200)
    expect(caseResponseSchema.parse(decided.body)).toMatchObject({ status: 'closed', outcome: 'fraud', assignee: 'ana' })
    expect(resumed).toEqual([{ token: 'task-token-1', verdict: { outcome: 'fraud', reason: 'cardholder denies the purchase', decidedBy: 'ana' } }])

    const late = await call(deps, 'POST', path, { claims: sam, body: { outcome: 'legitimate', reason: 'second thoughts' } })
    expect(late).toMatchObject({ status: 409, body: { type: 'urn:vigil:problem:case_closed' } })
    expect(resumed).toHaveLength(1)
  })

  it('an escalated case is the supervisors\': no analyst claims or decides it, its former holder included; a supervisor\'s verdict resumes the workflow', async () => {
    const { deps, store, resumed } = await fresh()
    const held = inStatus(opened('escalated'), 'in_review')
    const c = must(escalate(held, Date.parse(held.slaDueAt), defaultSlaTable))
    await store.create(c)
    await store.setPendingTask(c.caseId, { token: 'supervisor-task-token', role: 'supervisor' })
    const path = `/cases/${c.caseId}`
    const verdict = { outcome: 'legitimate', reason: 'the cardholder confirmed it' }

    const byHolder = await call(deps, 'POST', `${path}/decision`, { body: verdict })
    expect(byHolder).toMatchObject({ status: 403, body: { type: 'urn:vigil:problem:supervisor_only' } })
    expect(await call(deps, 'POST', `${path}/claim`, { claims: bob })).toMatchObject({ status: 403, body: { type: 'urn:vigil:problem:supervisor_only' } })
    expect(await call(deps, 'POST', `${path}/claim`)).toMatchObject({ status: 403, body: { type: 'urn:vigil:problem:supervisor_only' } })
    expect(resumed).toEqual([])
    // Notes stay open to everyone.
    expect((await call(deps, 'POST', `${path}/notes`, { claims: bob, body: { text: 'called the cardholder' } })).status).toBe(200)

    expect(await call(deps, 'POST', `${path}/claim`, { claims: sam })).toMatchObject({ status: 200, body: { status: 'in_review', assignee: 'sam' } })
    expect(await call(deps, 'POST', `${path}/decision`, { body: verdict })).toMatchObject({ status: 403, body: { type: 'urn:vigil:problem:supervisor_only' } })
    expect(resumed).toEqual([])
    expect(await call(deps, 'POST', `${path}/decision`, { claims: sam, body: verdict })).toMatchObject({ status: 200, body: { status: 'closed', outcome: 'legitimate' } })
    expect(resumed).toEqual([{ token: 'supervisor-task-token', verdict: { ...verdict, decidedBy: 'sam' } }])
  })

  it('two deciding one case at once (the assignee and a supervisor, or a double submit): one 200, one 409', async () => {
    const { deps, store, resumed } = await fresh()
    for (const [id, second] of [['race-a', sam], ['race-b', ana]] as const) {
      const c = inStatus(opened(id), 'in_review')
      await store.create(c)
      await store.setPendingTask(c.caseId, { token: `token-${id}`, role: 'analyst' })
      const replies = await Promise.all([
        call(deps, 'POST', `/cases/${c.caseId}/decision`, { body: { outcome: 'fraud', reason: 'first' } }),
        call(deps, 'POST', `/cases/${c.caseId}/decision`, { claims: second, body: { outcome: 'legitimate', reason: 'second' } }),
      ])
      expect(replies.map((r) => r.status).sort()).toEqual([200, 409])
      expect(replies.find((r) => r.status === 409)!.body.type).toMatch(/conflict|case_closed/)
    }
    expect(resumed).toHaveLength(2)
  })

  it('a verdict stands when resuming the workflow fails: 200, and the failure is reported', async () => {
    const failing: WorkflowPort = { resume: async () => Promise.reject(new Error('states.amazonaws.com unreachable')) }
    const { deps, store, errors } = await fresh({ workflow: failing })
    const c = inStatus(opened('resume-fails'), 'in_review')
    await store.create(c)
    await store.setPendingTask(c.caseId, { token: 'tok', role: 'analyst' })
    const reply = await call(deps, 'POST', `/cases/${c.caseId}/decision`, { body: { outcome: 'legitimate', reason: 'known customer' } })
    expect(reply.status).toBe(200)
    expect((await store.get(c.caseId))!.case.status).toBe('closed')
    expect(errors).toHaveLength(1)
  })

  it('an unexpected failure is a 500 problem without internals', async () => {
    const { deps, errors } = await fresh()
    const broken = { ...deps, cases: { ...deps.cases, get: () => Promise.reject(new Error('ProvisionedThroughputExceeded at table xyz')) } }
    const response = await handleApiRequest(apiEvent('GET', '/cases/case-1'), broken)
    expect(response.statusCode).toBe(500)
    expect(response.headers['content-type']).toBe('application/problem+json')
    expect(response.body).not.toContain('xyz')
    expect(errors).toHaveLength(1)
  })
})

describe('the workflow, end to end', () => {
  it('an analyst claims and decides through the API; the synthesized state machine resumes, labels, and the stats count it', async () => {
    // Imported here: it synthesizes the whole stack, which only this test needs.
    const { workflowFixture, scored } = await import('../support/workflow.ts')
    // An hour of SLA takes 3.6 s: room to claim and decide before the deadline, even on a loaded machine.
    const flow = await workflowFixture(aws, { timeScale: 1e-3 })
    const deps = caseApiDependencies(flow.apiEnvironment, { dynamo: aws.dynamo, workflow: flow.commands.workflow, now: flow.now })
    await call(deps, 'PUT', '/rules', { claims: sam, body: defaultRules })
    await call(deps, 'POST', '/rules/1/activate', { claims: sam })
    await call(deps, 'POST', '/rules/1/approve', { claims: sue })

    const { decision, transaction } = scored('block')
    await flow.recordDecision(decision)
    const id = flow.start(decision, transaction)
    await flow.waitingFor(id, 'analyst')

    const listed = await call(deps, 'GET', '/cases')
    expect(listed.body.items.map((c: { caseId: string }) => c.caseId)).toEqual([id])
    expect((await call(deps, 'POST', `/cases/${id}/claim`)).status).toBe(200)
    expect((await call(deps, 'POST', `/cases/${id}/decision`, { body: { outcome: 'fraud', reason: 'cardholder denies it' } })).status).toBe(200)
    expect(await flow.machine.wait(id)).toMatchObject({ status: 'SUCCEEDED' })
    expect(await flow.listed(transaction.card.token)).toBe(true)

    // The verdict went out as a label; once the label applier has recorded it, it stands and counts.
    await flow.applyLabels()
    const stored = await call(deps, 'GET', `/transactions/${decision.transactionId}/decision`)
    const closedAt = (await flow.cases.get(id))!.case.closedAt
    expect(decisionResponseSchema.parse(stored.body)).toMatchObject({
      decision: { transactionId: decision.transactionId, outcome: 'block' },
      label: { transactionId: decision.transactionId, fraud: true, source: 'analyst', reportedAt: closedAt },
    })
    const stats = ruleStatsResponseSchema.parse((await call(deps, 'GET', '/rules/stats')).body)
    // Hits come from the scorer, which this test does not run.
    expect(stats.rules.find((r) => r.id === 'card-testing')).toEqual({
      id: 'card-testing',
      mode: 'active',
      hits: 0,
      fraud: 1,
      legitimate: 0,
      bySource: { fraud: { analyst: 1 }, legitimate: {} },
      precision: 1,
    })
    expect((await call(deps, 'GET', '/cases')).body.items).toEqual([])
  })
})

describe('GET /transactions/{id}/decision', () => {
  it('serves the stored decision, its label once there is one, and 404 for none or an expired one', async () => {
    const { deps, names, setNow } = await fresh()
    const store = new DynamoDecisionStore(aws.dynamo, names.decisions, { ttlDays: 30 })
    const c = inStatus(opened('labeled'), 'closed')
    await store.write({ ...c.decision, decidedAt: '2026-11-24T08:59:59.000Z' }, { shardId: 'shardId-000000000000', sequenceNumber: '7', subSequenceNumber: 0 }, { time: Date.parse('2026-11-24T08:59:59.000Z'), entities: {} })
    const before = await call(deps, 'GET', '/transactions/tx-labeled/decision')
    expect(before.status).toBe(200)
    expect(decisionResponseSchema.parse(before.body)).toEqual({ decision: expect.objectContaining({ transactionId: 'tx-labeled', outcome: 'review', score: 60 }) })
    expect(before.body.decision.rules[0].values).toEqual({ 'txn.amount': 1_000, 'features.card_avg_amount_30d': 80 })

    // What the label applier keeps standing: the newest report, here a chargeback after the verdict.
    const chargeback = { transactionId: 'tx-labeled', fraud: true, reportedAt: '2026-12-20T00:00:00.000Z', source: 'chargeback' } as const
    await new DynamoLabelItemStore(aws.dynamo, names.labels, { ttlDays: 400 }).write('tx-labeled', { standing: chargeback, applied: [], waiting: [], unmatched: [], version: 1 }, 0, '2026-12-20T00:00:00.000Z')
    const after = await call(deps, 'GET', '/transactions/tx-labeled/decision')
    expect(after.body.label).toEqual(chargeback)

    expect((await call(deps, 'GET', '/transactions/tx-none/decision')).status).toBe(404)
    expect((await call(deps, 'GET', '/transactions/tx%20with%20spaces/decision')).status).toBe(400)
    setNow(t0 + 31 * 24 * hour)
    expect((await call(deps, 'GET', '/transactions/tx-labeled/decision')).status).toBe(404)
  })
})

describe('rules', () => {
  const broken = (): RuleSetInput => ({
    ...defaultRules,
    version: 7,
    rules: [
      ...defaultRules.rules,
      { id: 'typo', description: 'a misspelt field', when: 'txn.amout > 5', score: 10 },
      { id: 'syntax', description: 'an unfinished expression', when: 'txn.amount >\n  && true', score: 10 },
    ],
  })

  it('GET /rules before any upload: nothing active, no versions', async () => {
    const { deps } = await fresh()
    expect((await call(deps, 'GET', '/rules')).body).toEqual({ active: null, versions: [], requests: [] })
    expect((await call(deps, 'GET', '/rules/stats')).status).toBe(404)
  })

  it('PUT stores a compiled version without activating it; a second supervisor approves its activation; rollback is single-handed; the scorer follows', async () => {
    const activations: unknown[] = []
    const { deps, names } = await fresh()
    deps.onRuleSetActivated = (activation) => activations.push(activation)
    // A second between steps: the trail is ordered by time.
    let clock = t0 + hour
    deps.now = () => (clock += 1_000)
    const v1 = await call(deps, 'PUT', '/rules', { claims: sam, body: defaultRules })
    expect(v1.status).toBe(201)
    expect(ruleSetVersionSchema.parse(v1.body)).toEqual({ version: 1, active: false, createdAt: expect.any(String), createdBy: 'sam' })
    expect((await call(deps, 'GET', '/rules')).body).toMatchObject({ active: null, versions: [{ version: 1, active: false }] })
    expect((await call(deps, 'PUT', '/rules', { claims: sam, body: defaultRules })).body.type).toBe('urn:vigil:problem:version_exists')

    // Sam asks; nothing is active until Sue approves.
    const requested = await call(deps, 'POST', '/rules/1/activate', { claims: sam })
    expect(requested.status).toBe(202)
    expect(activationRequestSchema.parse(requested.body)).toEqual({ version: 1, requestedBy: 'sam', requestedAt: expect.any(String), from: null })
    expect(ruleSetsResponseSchema.parse((await call(deps, 'GET', '/rules')).body)).toMatchObject({ active: null, requests: [{ version: 1, requestedBy: 'sam' }] })
    const activated = await call(deps, 'POST', '/rules/1/approve', { claims: sue })
    expect(activationResponseSchema.parse(activated.body)).toEqual({ active: 1, previous: null })
    expect((await call(deps, 'GET', '/rules')).body.requests).toEqual([])

    const v2 = { ...defaultRules, version: 2, thresholds: { review: 40, block: 80 } }
    expect((await call(deps, 'PUT', '/rules', { claims: sue, body: v2 })).status).toBe(201)
    expect((await call(deps, 'POST', '/rules/2/activate', { claims: sue })).status).toBe(202)
    expect((await call(deps, 'POST', '/rules/2/approve', { claims: sam })).body).toEqual({ active: 2, previous: 1 })
    const scorer = () => new DynamoRuleSetSource(aws.dynamo, names.rules, { refreshMs: 0 }).current()
    expect((await scorer()).thresholds).toEqual({ review: 40, block: 80 })

    const listed = ruleSetsResponseSchema.parse((await call(deps, 'GET', '/rules')).body)
    expect(listed.active?.version).toBe(2)
    expect((await call(deps, 'GET', '/rules')).body.active.ruleSet).toEqual(v2)
    expect(listed.versions.map((v) => [v.version, v.active])).toEqual([[1, false], [2, true]])

    // Roll back to a version that ran before: one supervisor, at once; the pointer moves, the versions stay.
    expect(await call(deps, 'POST', '/rules/1/activate', { claims: sam })).toMatchObject({ status: 200, body: { active: 1, previous: 2 } })
    expect((await scorer()).version).toBe(1)
    expect((await call(deps, 'GET', '/rules')).body.versions.map((v: { active: boolean }) => v.active)).toEqual([true, false])
    // And forward again to 2, which ran too.
    expect(await call(deps, 'POST', '/rules/2/activate', { claims: sam })).toMatchObject({ status: 200, body: { active: 2, previous: 1 } })

    expect(activations).toEqual([
      { version: 1, previous: null, by: 'sue', how: 'approved', requestedBy: 'sam' },
      { version: 2, previous: 1, by: 'sam', how: 'approved', requestedBy: 'sue' },
      { version: 1, previous: 2, by: 'sam', how: 'rolled_back' },
      { version: 2, previous: 1, by: 'sam', how: 'rolled_back' },
    ])
    const audit = ruleSetAuditResponseSchema.parse((await call(deps, 'GET', '/rules/audit', { claims: bob })).body)
    expect(audit.items.map(({ action, version, from, by, requestedBy }) => ({ action, version, from, by, ...(requestedBy ? { requestedBy } : {}) })).reverse()).toEqual([
      { action: 'uploaded', version: 1, from: null, by: 'sam' },
      { action: 'activation_requested', version: 1, from: null, by: 'sam' },
      { action: 'activated', version: 1, from: null, by: 'sue', requestedBy: 'sam' },
      { action: 'uploaded', version: 2, from: 1, by: 'sue' },
      { action: 'activation_requested', version: 2, from: 1, by: 'sue' },
      { action: 'activated', version: 2, from: 1, by: 'sam', requestedBy: 'sue' },
      { action: 'rolled_back', version: 1, from: 2, by: 'sam' },
      { action: 'rolled_back', version: 2, from: 1, by: 'sam' },
    ])
    expect(audit.items.every((e) => !Number.isNaN(Date.parse(e.at)))).toBe(true)

    expect((await call(deps, 'POST', '/rules/99/activate', { claims: sam })).status).toBe(404)
    expect((await call(deps, 'POST', '/rules/99/approve', { claims: sam })).status).toBe(404)
    const notANumber = await call(deps, 'POST', '/rules/latest/activate', { claims: sam })
    expect(notANumber).toMatchObject({ status: 400, body: { issues: [expect.objectContaining({ path: 'version' })] } })
  })

  it('four eyes: one supervisor alone cannot activate a rule set that never ran, by any route', async () => {
    const { deps, names } = await fresh()
    const allowAll = { ...defaultRules, version: 5, thresholds: { review: 10_000, block: 20_000 }, rules: defaultRules.rules.map((r) => ({ ...r, mode: 'shadow' as const })) }
    expect((await call(deps, 'PUT', '/rules', { claims: sam, body: allowAll })).status).toBe(201)
    expect((await call(deps, 'POST', '/rules/5/activate', { claims: sam })).status).toBe(202)
    // Asking again is harmless; approving one's own request is refused.
    expect((await call(deps, 'POST', '/rules/5/activate', { claims: sam })).status).toBe(202)
    const self = await call(deps, 'POST', '/rules/5/approve', { claims: sam })
    expect(self).toMatchObject({ status: 403, body: { type: 'urn:vigil:problem:self_approval' } })
    expect(self.body.detail).toMatch(/different supervisor/)
    // Another supervisor asking for the same version is pointed at the approval instead.
    expect(await call(deps, 'POST', '/rules/5/activate', { claims: sue })).toMatchObject({ status: 409, body: { type: 'urn:vigil:problem:activation_pending' } })
    // Analysts can neither ask nor approve.
    expect((await call(deps, 'POST', '/rules/5/approve', { claims: ana })).status).toBe(403)
    expect((await call(deps, 'GET', '/rules')).body.active).toBeNull()
    await expect(new DynamoRuleSetSource(aws.dynamo, names.rules, { refreshMs: 0 }).current()).rejects.toThrow(/no active rule set/)

    // Two approvers at once: one activates, the other finds the request gone.
    const approvals = await Promise.all([call(deps, 'POST', '/rules/5/approve', { claims: sue }), call(deps, 'POST', '/rules/5/approve', { claims: { ...sue, username: 'sol', sub: 'sub-sol' } })])
    const [winner, loser] = [...approvals].sort((a, b) => a.status - b.status)
    expect(winner!.status).toBe(200)
    expect([404, 409]).toContain(loser!.status) // the request already approved, or approved meanwhile
    expect((await call(deps, 'GET', '/rules')).body.active.version).toBe(5)
  })

  it('PUT refuses a broken rule set with every issue: rule id, line and column', async () => {
    const { deps } = await fresh()
    const reply = await call(deps, 'PUT', '/rules', { claims: sam, body: broken() })
    expect(reply.status).toBe(400)
    expect(reply.body.type).toBe('urn:vigil:problem:invalid_rule_set')
    expect(reply.body.issues).toEqual([
      expect.objectContaining({ path: `rules[${defaultRules.rules.length}].when`, ruleId: 'typo', line: 1, column: expect.any(Number) }),
      expect.objectContaining({ path: `rules[${defaultRules.rules.length + 1}].when`, ruleId: 'syntax', line: 2, column: 3 }),
    ])
    expect(reply.body.issues[0].message).toContain('txn.amout')
    expect((await call(deps, 'GET', '/rules')).body.versions).toEqual([])

    // Schema issues carry their paths, and the rule id where the rule has one.
    const shapeless = await call(deps, 'PUT', '/rules', {
      claims: sam,
      body: { version: 0, thresholds: { review: 90, block: 50 }, rules: [{ id: 'no-effect', description: 'd', when: 'true' }] },
    })
    expect(shapeless.status).toBe(400)
    expect(shapeless.body.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'version' }),
        expect.objectContaining({ path: 'thresholds.review' }),
        expect.objectContaining({ path: 'rules[0].score', ruleId: 'no-effect' }),
      ]),
    )
    // A PAN in a list is refused without being echoed.
    const withPan = { ...defaultRules, version: 3, lists: { ...defaultRules.lists, blocked_cards: ['4111111111111111'] } }
    const pan = await call(deps, 'PUT', '/rules', { claims: sam, body: withPan })
    expect(pan).toMatchObject({ status: 400, body: { issues: [{ path: 'lists.blocked_cards[0]', message: expect.stringContaining('card number') }] } })
  })

  it('PUT and activation refuse a rule set over the per-transaction budget, naming the slowest rule (functions/rule-budget/)', async () => {
    const { deps } = await fresh()
    const scan = "lists.prefixes.exists(p, p.split('a').size() > 300 || txn.merchant.id.startsWith(p))"
    const slow: RuleSetInput = {
      ...defaultRules,
      version: 8,
      lists: { ...defaultRules.lists, prefixes: ['m-'] },
      rules: [...defaultRules.rules, { id: 'scan-prefixes', description: 'every prefix, once per transaction', score: 10, mode: 'shadow', when: scan }],
    }
    const reply = await call(deps, 'PUT', '/rules', { claims: sam, body: slow })
    expect(reply).toMatchObject({ status: 400, body: { type: 'urn:vigil:problem:invalid_rule_set', issues: [{ path: `rules[${defaultRules.rules.length}].when`, ruleId: 'scan-prefixes' }] } })
    expect(reply.body.issues[0].message).toMatch(/over the budget of 2 ms; its slowest rule, scan-prefixes/)
    expect((await call(deps, 'GET', '/rules')).body.versions).toEqual([])
    // A version stored without the check (written to the table directly) cannot be activated either.
    await deps.rules.create(8, slow, { createdAt: new Date(t0).toISOString(), createdBy: 'sam' })
    const activation = await call(deps, 'POST', '/rules/8/activate', { claims: sam })
    expect(activation).toMatchObject({ status: 409, body: { issues: [expect.objectContaining({ ruleId: 'scan-prefixes' })] } })
  })

  it('only supervisors change rules; analysts read them and the stats', async () => {
    const { deps } = await fresh()
    expect((await call(deps, 'PUT', '/rules', { claims: sam, body: defaultRules })).status).toBe(201)
    expect(await call(deps, 'PUT', '/rules', { claims: ana, body: { ...defaultRules, version: 2 } })).toMatchObject({ status: 403, body: { type: 'urn:vigil:problem:forbidden' } })
    expect((await call(deps, 'POST', '/rules/1/activate', { claims: bob })).status).toBe(403)
    expect((await call(deps, 'GET', '/rules')).body.active).toBeNull()
    expect((await call(deps, 'GET', '/rules', { claims: bob })).status).toBe(200)
  })

  it('GET /rules/stats: hits, label counts and precision per rule of the active version or ?version=', async () => {
    const { deps, names } = await fresh()
    await call(deps, 'PUT', '/rules', { claims: sam, body: defaultRules })
    await call(deps, 'PUT', '/rules', { claims: sam, body: { ...defaultRules, version: 2 } })
    await call(deps, 'POST', '/rules/1/activate', { claims: sam })
    await call(deps, 'POST', '/rules/1/approve', { claims: sue })
    // As the label applier counts them (functions/aws/rule-stats-store.ts): by verdict, and by source.
    const counts = async (version: number, rule: string, fraud: number, legitimate: number) =>
      aws.dynamo.send(
        new PutItemCommand({ TableName: names.rules, Item: { pk: { S: ruleStatsItems.partition(version) }, sk: { S: rule }, fraud: { N: String(fraud) }, legitimate: { N: String(legitimate) }, fraud_chargeback: { N: String(fraud) }, legitimate_analyst: { N: String(legitimate) } } }),
      )
    await counts(1, 'card-testing', 3, 1)
    await counts(1, 'spend-spike', 0, 2)
    await counts(2, 'card-testing', 5, 0)
    // Only one verdict kind counted so far (ADD creates the attribute it adds to).
    await aws.dynamo.send(
      new UpdateItemCommand({ TableName: names.rules, Key: { pk: { S: ruleStatsItems.partition(1) }, sk: { S: 'velocity-1h' } }, UpdateExpression: 'ADD fraud :one', ExpressionAttributeValues: { ':one': { N: '1' } } }),
    )
    // The scorer's hit counts land on the same items.
    const scorerStats = new DynamoRuleStatsStore(aws.dynamo, names.rules)
    await scorerStats.addHits(1, new Map([['card-testing', 10], ['ip-many-cards', 4]]))
    await scorerStats.addHits(1, new Map([['card-testing', 2]]))

    const stats = ruleStatsResponseSchema.parse((await call(deps, 'GET', '/rules/stats', { claims: bob })).body)
    expect(stats).toMatchObject({ version: 1, active: true, note: expect.stringContaining('hits: decisions the rule fired in') })
    const byId = new Map(stats.rules.map((r) => [r.id, r]))
    expect(stats.rules).toHaveLength(defaultRules.rules.length)
    expect(byId.get('card-testing')).toEqual({ id: 'card-testing', mode: 'active', hits: 12, fraud: 3, legitimate: 1, bySource: { fraud: { chargeback: 3 }, legitimate: { analyst: 1 } }, precision: 0.75 })
    expect(byId.get('spend-spike')).toMatchObject({ hits: 0, fraud: 0, legitimate: 2, precision: 0 })
    expect(byId.get('velocity-1h')).toMatchObject({ fraud: 1, legitimate: 0, precision: 1 })
    const none = { fraud: {}, legitimate: {} }
    expect(byId.get('ip-many-cards')).toEqual({ id: 'ip-many-cards', mode: 'shadow', hits: 4, fraud: 0, legitimate: 0, bySource: none, precision: null })
    expect(byId.get('velocity-10m')).toEqual({ id: 'velocity-10m', mode: 'active', hits: 0, fraud: 0, legitimate: 0, bySource: none, precision: null })

    const v2 = ruleStatsResponseSchema.parse((await call(deps, 'GET', '/rules/stats', { query: { version: '2' } })).body)
    expect(v2).toMatchObject({ version: 2, active: false })
    expect(v2.rules.find((r) => r.id === 'card-testing')).toMatchObject({ fraud: 5, precision: 1 })
    expect((await call(deps, 'GET', '/rules/stats', { query: { version: '9' } })).status).toBe(404)
    expect((await call(deps, 'GET', '/rules/stats', { query: { version: 'one' } })).status).toBe(400)
  })
})

describe('authentication, authorization and routing', () => {
  it('every route refuses a request without claims (401) and a user in no role group (403)', async () => {
    const { deps } = await fresh()
    for (const route of caseApiRoutes) {
      const path = route.path.replace('{id}', 'case-1').replace('{version}', '1')
      const anonymous = await call(deps, route.method, path, { claims: null })
      expect(anonymous).toMatchObject({ status: 401, body: { type: 'urn:vigil:problem:unauthenticated' } })
      expect(anonymous.headers['www-authenticate']).toBe('Bearer')
      expect((await call(deps, route.method, path, { claims: {} })).status).toBe(401)
      expect((await call(deps, route.method, path, { claims: outsider })).status).toBe(403)
      expect((await call(deps, route.method, path, { claims: { 'cognito:groups': ['analyst'] } })).status).toBe(401)
      // An ID token (valid, a supervisor's) is not an access token: refused, whatever the gateway let through.
      const idToken = { sub: 'sub-sam', 'cognito:username': 'sam', 'cognito:groups': '[supervisor]', aud: 'client', token_use: 'id' }
      expect(await call(deps, route.method, path, { claims: idToken })).toMatchObject({ status: 401, body: { type: 'urn:vigil:problem:unauthenticated' } })
    }
  })

  it('unknown routes 404, wrong methods 405 with Allow; trailing slashes and a named stage prefix route as usual', async () => {
    const { deps } = await fresh()
    expect(await call(deps, 'GET', '/admin')).toMatchObject({ status: 404, body: { type: 'urn:vigil:problem:not_found' } })
    expect((await call(deps, 'GET', '/cases/a/b/c')).status).toBe(404)
    expect((await call(deps, 'GET', '/cases//claim')).status).toBe(404)
    const wrong = await call(deps, 'DELETE', '/cases/case-1')
    expect(wrong).toMatchObject({ status: 405, body: { type: 'urn:vigil:problem:method_not_allowed' } })
    expect(wrong.headers.allow).toBe('GET')
    expect((await call(deps, 'POST', '/rules')).headers.allow).toBe('GET, PUT')
    expect((await call(deps, 'GET', '/cases/')).status).toBe(200)
    expect((await call(deps, 'GET', '/cases', { stage: 'prod' })).status).toBe(200)
  })
})

describe('bad input is a 4xx problem, never a 5xx', () => {
  it('malformed JSON, a missing body, a non-JSON media type, invalid UTF-8 and oversized bodies', async () => {
    const { deps, store } = await fresh()
    await store.create(opened('bodies'))
    const path = '/cases/case-bodies/notes'
    const malformed = await call(deps, 'POST', path, { rawBody: '{"text": "card 4111111111111111' })
    expect(malformed).toMatchObject({ status: 400, body: { type: 'urn:vigil:problem:invalid_json', issues: [{ path: '', message: 'is not valid JSON' }] } })
    expect((await call(deps, 'POST', path)).status).toBe(400)
    expect((await call(deps, 'POST', path, { rawBody: 'text=hi', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(415)
    expect((await call(deps, 'POST', path, { body: { text: 'charset is fine' }, headers: { 'content-type': 'application/json; charset=utf-8' } })).status).toBe(200)
    expect((await call(deps, 'POST', path, { body: { text: 'base64 is fine' }, base64: true })).status).toBe(200)
    const invalidUtf8 = await handleApiRequest({ ...apiEvent('POST', path), body: Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'), isBase64Encoded: true }, deps)
    expect(invalidUtf8.statusCode).toBe(400)

    const huge = await call(deps, 'POST', path, { body: { text: 'x'.repeat(70_000) } })
    expect(huge).toMatchObject({ status: 413, body: { type: 'urn:vigil:problem:payload_too_large' } })
    expect((await call(deps, 'POST', '/cases/case-bodies/claim', { rawBody: 'y'.repeat(65 * 1024) })).status).toBe(413)
    const hugeRules = await call(deps, 'PUT', '/rules', { claims: sam, body: { ...defaultRules, description: 'z'.repeat(ruleSetMaxBodyBytes) } })
    expect(hugeRules.status).toBe(413)
    // Larger than a command, within a rule set's limit: validated, not refused for size.
    const bigRules = await call(deps, 'PUT', '/rules', { claims: sam, body: { ...defaultRules, lists: { ...defaultRules.lists, blocked_ips: Array.from({ length: 6_000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`) } } })
    expect(bigRules.status).toBe(201)
  })

  it('property: random bodies, paths and texts with PANs never cause a 5xx and never come back', async () => {
    const { deps, store } = await fresh()
    await store.create(opened('fuzz'))
    await store.create(inStatus(opened('fuzz-review'), 'in_review'))
    const pan = fc
      .tuple(fc.constantFrom('4', '51', '37', '6011'), fc.stringMatching(/^\d{11}$/))
      .map(([prefix, digits]) => withLuhnDigit((prefix + digits).slice(0, 15)))
    const separator = fc.constantFrom('', ' ', '-')
    const written = fc.tuple(pan, separator).map(([p, sep]) => ({ pan: p, text: p.replace(/(\d{4})(?=\d)/g, `$1${sep}`) }))
    await fc.assert(
      fc.asyncProperty(
        written,
        fc.string(),
        fc.jsonValue(),
        fc.constantFrom('notes', 'decision', 'claim'),
        fc.constantFrom('case-fuzz', 'case-fuzz-review'),
        async ({ pan: p, text }, noise, json, command, id) => {
          fedPans.add(p)
          const withPan = `${noise} ${text} ${noise}`
          const body = command === 'notes' ? { text: withPan } : { outcome: 'legitimate', reason: withPan }
          const refused = await call(deps, 'POST', `/cases/${id}/${command}`, { claims: sam, body })
          if (command !== 'claim') expect(refused.status).toBeGreaterThanOrEqual(400)
          await call(deps, 'POST', `/cases/${id}/${command}`, { claims: sam, body: json })
          await call(deps, 'PUT', '/rules', { claims: sam, body: json })
          await call(deps, 'PUT', '/rules', { claims: sam, rawBody: `${noise}${text}` })
          await call(deps, 'GET', `/cases/${encodeURIComponent(withPan)}`)
          await call(deps, 'GET', `/transactions/${encodeURIComponent(text)}/decision`)
          await call(deps, 'GET', '/cases', { query: { cursor: text, status: noise } })
          await call(deps, 'GET', `/cases/${id}`)
        },
      ),
      { numRuns: 60 },
    )
  })
})

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document with every route, its role and the JWT bearer scheme on each', async () => {
    const { deps } = await fresh()
    const reply = await call(deps, 'GET', '/openapi.json', { claims: bob })
    expect(reply.status).toBe(200)
    const doc = reply.body
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    for (const route of caseApiRoutes) {
      const operation = doc.paths[route.path]?.[route.method.toLowerCase()]
      expect(operation, `${route.method} ${route.path}`).toBeDefined()
      expect(operation.security).toEqual([{ bearerAuth: [] }])
      expect(operation['x-vigil-role']).toBe(route.role)
      expect(operation.responses['401'].content['application/problem+json']).toBeDefined()
    }
    expect(doc.paths['/cases/{id}/decision'].post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/DecisionRequest' })
    expect(doc.components.schemas.DecisionRequest.properties.outcome.enum).toEqual(['fraud', 'legitimate'])
    // The one label format, documented before the routes that take it.
    expect(doc.components.schemas.Label.properties.source.enum).toEqual(['analyst', 'chargeback', 'issuer', 'customer'])
    expect(doc.components.schemas.Label.required).toEqual(['transactionId', 'fraud', 'reportedAt', 'source'])
    expect(doc.paths['/cases'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['status', 'priority', 'assignee', 'limit', 'cursor'])
    expect(doc.paths['/rules/{version}/activate'].post.responses['202'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ActivationRequest' })
    expect(doc.paths['/rules/{version}/approve'].post['x-vigil-role']).toBe('supervisor')
    expect(doc.paths['/rules/audit'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/RuleSetAudit' })
    expect((await call(deps, 'GET', '/openapi.json', { claims: null })).status).toBe(401)
  })

  const validator = spawnSync('openapi-spec-validator', ['--version'], { encoding: 'utf8' })
  it.skipIf(validator.error !== undefined || validator.status !== 0)('passes openapi-spec-validator (where installed)', async () => {
    const { deps } = await fresh()
    const dir = mkdtempSync(join(tmpdir(), 'vigil-openapi-'))
    try {
      const file = join(dir, 'openapi.json')
      writeFileSync(file, (await call(deps, 'GET', '/openapi.json')).raw)
      const run = spawnSync('openapi-spec-validator', ['--schema', '3.1', file], { encoding: 'utf8' })
      expect(run.stdout + run.stderr).toContain('OK')
      expect(run.status).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('handler.ts: the deployed wiring (middy, Powertools logger, deps from the environment)', () => {
  it('serves requests against the tables its environment names', async () => {
    const { names, store } = await fresh()
    await store.create(opened('wired'))
    for (const [name, value] of Object.entries({ ...aws.env, ...tableEnvironment(names), [labelStreamEnvVar]: uniqueName('labels') })) vi.stubEnv(name, value)
    try {
      const { handler } = await import('../../functions/case-api/handler.ts')
      const context = { functionName: 'vigil-case-api', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 10_000 } as unknown as Context
      const response = await handler(apiEvent('GET', '/cases/case-wired'), context)
      expect(response).toMatchObject({ statusCode: 200, headers: { 'content-type': 'application/json' } })
      expect(JSON.parse((response as { body: string }).body).caseId).toBe('case-wired')
      const listed = await handler(apiEvent('GET', '/cases', { query: { limit: '1' } }), context)
      expect(JSON.parse((listed as { body: string }).body).items).toHaveLength(1)
    } finally {
      vi.unstubAllEnvs()
    }
  })

  it('an activation writes a RuleSetActivated EMF metric (the alarm\'s), a request alone does not', async () => {
    const { names } = await fresh()
    for (const [name, value] of Object.entries({ ...aws.env, ...tableEnvironment(names), [labelStreamEnvVar]: uniqueName('labels') })) vi.stubEnv(name, value)
    const written: string[] = []
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk))
      return true
    })
    const emf = () => written.flatMap((chunk) => chunk.split('\n')).filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line) as Record<string, unknown>)
    try {
      const { handler } = await import('../../functions/case-api/handler.ts')
      const context = { functionName: 'vigil-case-api', awsRequestId: 'req-2', getRemainingTimeInMillis: () => 10_000 } as unknown as Context
      expect(await handler(apiEvent('PUT', '/rules', { claims: sam, body: defaultRules }), context)).toMatchObject({ statusCode: 201 })
      expect(await handler(apiEvent('POST', '/rules/1/activate', { claims: sam }), context)).toMatchObject({ statusCode: 202 })
      expect(emf().filter((m) => 'RuleSetActivated' in m)).toEqual([])
      expect(await handler(apiEvent('POST', '/rules/1/approve', { claims: sue }), context)).toMatchObject({ statusCode: 200 })
      expect(emf().filter((m) => 'RuleSetActivated' in m)).toEqual([expect.objectContaining({ RuleSetActivated: 1, service: 'vigil-case-api' })])
    } finally {
      write.mockRestore()
      vi.unstubAllEnvs()
    }
  })
})
