/**
 * The analyst API as a user drives it: real HTTP to the local server, which verifies bearer tokens
 * the way API Gateway's JWT authorizer does, in front of the real handler, the real stores on
 * dynalite and the synthesized case workflow on the ASL interpreter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { publishRuleSet } from '../../functions/aws/rule-set-store.ts'
import { handleApiRequest } from '../../functions/case-api/app.ts'
import { caseApiDependencies } from '../../functions/case-api/dependencies.ts'
import { caseApiRoutes } from '../../functions/case-api/routes.ts'
import { startApiServer, type ApiServer } from '../../local/api-server.ts'
import { devAudience, devIssuer, generateDevSigningKey, signDevToken, type DevSigningKey } from '../../local/dev-tokens.ts'
import { useEmulators } from '../support/emulators.ts'
import { defaultRuleSet } from '../support/scenario.ts'
import { scored, workflowFixture } from '../support/workflow.ts'

const aws = useEmulators()
let flow: Awaited<ReturnType<typeof workflowFixture>>
let server: ApiServer
let key: DevSigningKey
let analyst: string
let supervisor: string
let secondSupervisor: string

beforeAll(async () => {
  flow = await workflowFixture(aws, { timeScale: 1e-2 })
  await publishRuleSet(aws.dynamo, flow.names.rules, defaultRuleSet(), new Date())
  key = await generateDevSigningKey()
  const deps = caseApiDependencies(flow.apiEnvironment, { dynamo: aws.dynamo, kinesis: aws.kinesis, workflow: flow.commands.workflow, now: flow.now })
  server = await startApiServer({
    handler: (event) => handleApiRequest(event, deps),
    routes: caseApiRoutes,
    jwt: { issuer: devIssuer, audience: devAudience, jwks: key.jwks },
  })
  analyst = await signDevToken(key, { username: 'ana', groups: ['analyst'] })
  supervisor = await signDevToken(key, { username: 'sam', groups: ['supervisor'] })
  secondSupervisor = await signDevToken(key, { username: 'sue', groups: ['supervisor'] })
})

afterAll(async () => {
  await server?.stop()
  await flow?.machine.close()
})

async function call(method: string, path: string, token: string | undefined, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, type: response.headers.get('content-type'), body: text ? JSON.parse(text) : undefined }
}

describe('the case API over HTTP with the JWT authorizer', () => {
  it('works a case from the queue to a verdict, and the workflow closes it', async () => {
    const { decision, transaction } = scored('block')
    await flow.recordDecision(decision)
    const id = flow.start(decision, transaction)
    await flow.waitingFor(id, 'analyst')

    const queue = await call('GET', '/cases?status=open', analyst)
    expect(queue.status).toBe(200)
    expect(queue.body.items.map((c: { caseId: string }) => c.caseId)).toContain(id)

    const detail = await call('GET', `/cases/${id}`, analyst)
    expect(detail.status).toBe(200)
    expect(JSON.stringify(detail.body)).not.toContain('4111111111111111')

    expect((await call('POST', `/cases/${id}/claim`, analyst)).status).toBe(200)
    expect((await call('POST', `/cases/${id}/notes`, analyst, { text: 'called the cardholder' })).status).toBe(200)
    const verdict = await call('POST', `/cases/${id}/decision`, analyst, { outcome: 'fraud', reason: 'cardholder denies it' })
    expect(verdict.status).toBe(200)
    expect(await flow.machine.wait(id)).toMatchObject({ status: 'SUCCEEDED' })

    const again = await call('POST', `/cases/${id}/decision`, analyst, { outcome: 'legitimate', reason: 'second thoughts' })
    expect(again.status).toBe(409)
    expect(again.type).toContain('application/problem+json')

    await flow.applyLabels()
    const labeled = await call('GET', `/transactions/${decision.transactionId}/decision`, analyst)
    expect(labeled.body).toMatchObject({ decision: { transactionId: decision.transactionId }, label: { fraud: true, source: 'analyst' } })
  })

  it('pages through the queue with a cursor, oldest deadline first', async () => {
    const ids = []
    for (let i = 0; i < 3; i++) {
      const { decision, transaction } = scored('review')
      ids.push(flow.start(decision, transaction))
    }
    for (const id of ids) await flow.waitingFor(id, 'analyst')
    const seen: string[] = []
    const deadlines: string[] = []
    let cursor: string | undefined
    do {
      const page = await call('GET', `/cases?status=open&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, analyst)
      expect(page.status).toBe(200)
      expect(page.body.items.length).toBeLessThanOrEqual(1)
      for (const item of page.body.items) {
        seen.push(item.caseId)
        deadlines.push(item.slaDueAt)
      }
      cursor = page.body.cursor
    } while (cursor)
    expect(seen).toEqual(expect.arrayContaining(ids))
    expect(deadlines).toEqual([...deadlines].sort())
    expect((await call('GET', '/cases?cursor=not-a-cursor', analyst)).status).toBe(400)
  })

  it('answers 401 without a token or with a token for another audience, 403 to an analyst on a supervisor route', async () => {
    expect((await call('GET', '/cases', undefined)).status).toBe(401)
    const foreign = await signDevToken(key, { username: 'eve', groups: ['supervisor'], audience: 'some-other-client' })
    expect((await call('GET', '/cases', foreign)).status).toBe(401)
    const forged = await signDevToken(await generateDevSigningKey(), { username: 'eve', groups: ['supervisor'] })
    expect((await call('GET', '/cases', forged)).status).toBe(401)
    // The gateway refuses it: an analyst's token lacks the supervisors' scope.
    const upload = await call('PUT', '/rules', analyst, { ...defaultRuleSet(), version: 7 })
    expect(upload.status).toBe(403)
    expect((await call('POST', '/rules/1/activate', analyst)).status).toBe(403)
    // A supervisor's valid ID token: access tokens only.
    expect((await call('GET', '/cases', await signDevToken(key, { username: 'sam', groups: ['supervisor'], tokenUse: 'id' }))).status).toBe(403)
  })

  it('lets a supervisor upload a rule set and ask for its activation, a second one approve it, either roll back; analysts read rules, stats, the trail and the OpenAPI document', async () => {
    const v2 = { ...defaultRuleSet(), version: 2 }
    expect((await call('PUT', '/rules', supervisor, v2)).status).toBe(201)
    const broken = await call('PUT', '/rules', supervisor, { ...defaultRuleSet(), version: 3, rules: [{ id: 'oops', description: 'd', score: 1, when: 'txn.amount >' }] })
    expect(broken.status).toBe(400)
    expect(broken.body.issues[0]).toMatchObject({ ruleId: 'oops', line: 1 })
    expect((await call('POST', '/rules/2/activate', supervisor)).status).toBe(202)
    expect((await call('GET', '/rules', analyst)).body.active.version).toBe(1)
    expect((await call('POST', '/rules/2/approve', supervisor)).type).toContain('application/problem+json')
    expect((await call('POST', '/rules/2/approve', supervisor)).status).toBe(403)
    expect((await call('POST', '/rules/2/approve', secondSupervisor)).status).toBe(200)
    expect((await call('GET', '/rules', analyst)).body.active.version).toBe(2)
    expect((await call('POST', '/rules/1/activate', supervisor)).status).toBe(200)
    expect((await call('GET', '/rules', analyst)).body.active.version).toBe(1)
    expect((await call('GET', '/rules/stats', analyst)).status).toBe(200)
    expect((await call('GET', '/rules/audit', analyst)).body.items.map((e: { action: string }) => e.action)).toEqual(['rolled_back', 'activated', 'activation_requested', 'uploaded'])
    const openapi = await call('GET', '/openapi.json', analyst)
    expect(openapi.body.openapi).toMatch(/^3\.1\./)
    expect((await call('GET', '/no/such/route', analyst)).status).toBe(404)
  })
})
