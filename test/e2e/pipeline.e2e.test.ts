/**
 * The pipeline end to end against a target (`VIGIL_TARGET`: local by default, or localstack; see
 * ./target.ts): transactions put on the stream with the real SDK and the real AWS CLI are scored,
 * a malformed record does not stall its shard, a redelivered record is not scored twice, a
 * card-testing burst is blocked and opens a case, an analyst claims and decides it through the API,
 * the workflow closes it and the label is counted in the rule stats; a supervisor uploads and
 * activates a new rule set version and the scorer follows.
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { PutRecordCommand } from '@aws-sdk/client-kinesis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { caseId } from '../../functions/aws/escalation.ts'
import type { CaseApiRole } from '../../functions/case-api/routes.ts'
import { wireExample, withLuhnDigit } from '../support/transactions.ts'
import { panFindings, panLikeRuns, type Evidence } from '../support/pan-scan.ts'
import { planTarget, type E2ETarget } from './target.ts'

const run = promisify(execFile)
const plan = await planTarget()
if (!plan.available) console.warn(`vigil e2e: ${plan.reason}`)

const awsCli = await run('aws', ['--version'], { timeout: 15_000 })
  .then(({ stdout, stderr }) => `${stdout}${stderr}`.trim())
  .catch(() => undefined)

let target: E2ETarget
/** Every API response body, for the PAN scan at the end. */
const served: Evidence[] = []
/** Every payload put on the stream. */
const putPayloads: string[] = []
const stamp = Date.now()
const tx = (suffix: string) => `tx-e2e-${stamp}-${suffix}`

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

async function put(data: string, key: string): Promise<string> {
  putPayloads.push(data)
  const out = await target.kinesis.send(new PutRecordCommand({ StreamName: target.streamName, Data: Buffer.from(data), PartitionKey: key }))
  expect(out.SequenceNumber).toBeTruthy()
  return out.SequenceNumber!
}

/** The API with a token of the role; the step is skipped (not failed) when the target has no API or no token. */
async function apiOrSkip(skip: (note?: string) => never): Promise<void> {
  if (!target.apiUrl) skip(`${target.name}: the stack has no CaseApiUrl output (API Gateway v2 needs LocalStack Pro)`)
  if ((await target.token('analyst')) === undefined) {
    skip(`${target.name}: no token for the case API (Cognito is a LocalStack Pro feature): set VIGIL_E2E_TOKEN (and VIGIL_E2E_SUPERVISOR_TOKEN) to run the API steps`)
  }
}

async function api(method: 'GET' | 'POST' | 'PUT', path: string, role: CaseApiRole | 'approver' = 'analyst', body?: unknown) {
  const token = role === 'approver' ? await target.approverToken() : await target.token(role)
  const response = await fetch(`${target.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await response.text()
  served.push({ where: `API ${method} ${path} → ${response.status}`, text })
  return { status: response.status, body: text ? JSON.parse(text) : undefined }
}

async function decisionOf(id: string, timeoutMs = 30_000) {
  return eventually(
    `the decision of ${id}`,
    async () => {
      const response = await api('GET', `/transactions/${id}/decision`)
      if (response.status === 200) return response.body
      expect(response.status, JSON.stringify(response.body)).toBe(404)
      return undefined
    },
    timeoutMs,
  )
}

const validId = tx('valid')
const valid = wireExample({ transactionId: validId, occurredAt: new Date().toISOString(), amount: 1250 })
const pan = withLuhnDigit(`5${String(stamp).slice(-14)}`)
const burstBase = stamp - 4 * 60_000
const burst = [0, 1, 2, 3].map((i) =>
  wireExample({
    transactionId: tx(`burst-${i}`),
    occurredAt: new Date(burstBase + i * 60_000).toISOString(),
    amount: 100 + i * 25,
    card: { pan },
    merchant: { id: `m-e2e-${stamp}-${i}`, mcc: '5999', country: 'FR' },
  }),
)
const burstCase = caseId(burst[3]!.transactionId)

describe.skipIf(!plan.available)(`the pipeline end to end (target ${plan.name})`, () => {
  beforeAll(async () => {
    target = await plan.start()
  }, 120_000)

  afterAll(async () => {
    await target?.stop()
  })

  it('scores a valid transaction put with the SDK after a malformed one on the same shard', async ({ skip }) => {
    await put('{"transactionId":"broken", "amount": ', 'card-e2e')
    await put(JSON.stringify(valid), 'card-e2e')
    await apiOrSkip(skip)
    const served = await decisionOf(validId)
    expect(served.decision).toMatchObject({ transactionId: validId, outcome: 'approve' })
    expect(JSON.stringify(served)).not.toContain('4111111111111111')
  })

  it('does not score a duplicate again: the same record under a new sequence number', async ({ skip }) => {
    await apiOrSkip(skip)
    const before = await decisionOf(validId)
    const first = await put(JSON.stringify(valid), 'card-e2e')
    // A marker behind the duplicate on the same shard: once it is decided, the duplicate was seen.
    const markerId = tx('after-duplicate')
    const second = await put(JSON.stringify(wireExample({ transactionId: markerId, occurredAt: new Date().toISOString() })), 'card-e2e')
    expect(BigInt(second) > BigInt(first)).toBe(true)
    await decisionOf(markerId)
    expect(await decisionOf(validId)).toEqual(before)
  })

  it('scores a record put with the AWS CLI', async ({ skip }) => {
    if (!awsCli) skip('the AWS CLI (`aws`) is not on PATH')
    const id = tx('cli')
    const data = JSON.stringify(wireExample({ transactionId: id, occurredAt: new Date().toISOString() }))
    // CLI v2 reads blobs as base64 unless told otherwise; v1 takes the text as is and has no such option.
    const binaryFormat = awsCli!.startsWith('aws-cli/1') ? [] : ['--cli-binary-format', 'raw-in-base64-out']
    const { stdout } = await run(
      'aws',
      ['kinesis', 'put-record', '--endpoint-url', target.kinesisEndpoint, '--stream-name', target.streamName, '--partition-key', 'card-cli', '--data', data, ...binaryFormat, '--output', 'json'],
      {
        timeout: 60_000,
        // Dummy credentials and the region only: no profile, session token or config file of the user's.
        env: {
          ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_'))),
          AWS_ACCESS_KEY_ID: target.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: target.credentials.secretAccessKey,
          AWS_REGION: target.region,
          AWS_DEFAULT_REGION: target.region,
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
          AWS_PAGER: '',
        },
      },
    )
    expect(JSON.parse(stdout)).toMatchObject({ SequenceNumber: expect.any(String), ShardId: expect.any(String) })
    await apiOrSkip(skip)
    expect((await decisionOf(id)).decision).toMatchObject({ transactionId: id, outcome: 'approve' })
  })

  it('blocks a card-testing burst (4 small amounts at distinct merchants within minutes) and opens a case', async ({ skip }) => {
    for (const t of burst) await put(JSON.stringify(t), pan)
    await apiOrSkip(skip)
    const served = await decisionOf(burst[3]!.transactionId)
    expect(served.decision.outcome).toBe('block')
    expect(served.decision.rules.find((r: { id: string }) => r.id === 'card-testing')).toMatchObject({ status: 'fired' })
    const queued = await eventually('the case in GET /cases', async () => {
      const response = await api('GET', '/cases?limit=100')
      expect(response.status).toBe(200)
      return response.body.items.find((c: { caseId: string }) => c.caseId === burstCase)
    })
    expect(queued).toMatchObject({ caseId: burstCase, transactionId: burst[3]!.transactionId })
  })

  it('lets an analyst claim and decide the case; the workflow closes it and the label is counted', async ({ skip }) => {
    await apiOrSkip(skip)
    // The workflow must be waiting for an analyst before the claim and the verdict are accepted.
    await eventually('the case waiting for an analyst', async () => {
      const response = await api('POST', `/cases/${burstCase}/claim`)
      return response.status === 200 ? true : undefined
    })
    const verdict = await api('POST', `/cases/${burstCase}/decision`, 'analyst', { outcome: 'fraud', reason: 'e2e: cardholder denies the purchases' })
    expect(verdict.status, JSON.stringify(verdict.body)).toBe(200)
    const closed = await eventually('the case closed', async () => {
      const response = await api('GET', `/cases/${burstCase}`)
      return response.body?.status === 'closed' ? response.body : undefined
    })
    expect(closed).toMatchObject({ caseId: burstCase, status: 'closed' })
    // The verdict closes the case at once; the workflow then sends it as a label, which the label applier records.
    const labeled = await eventually('the label on the decision', async () => {
      const response = await api('GET', `/transactions/${burst[3]!.transactionId}/decision`)
      return response.body?.label ? response.body : undefined
    })
    expect(labeled).toMatchObject({ label: { transactionId: burst[3]!.transactionId, fraud: true, source: 'analyst' } })
    const cardTesting = await eventually('the fraud label in GET /rules/stats', async () => {
      const stats = await api('GET', '/rules/stats')
      const rule = stats.body?.rules?.find((r: { id: string }) => r.id === 'card-testing')
      return rule?.fraud >= 1 ? rule : undefined
    })
    expect(cardTesting.hits).toBeGreaterThanOrEqual(1)
    expect(cardTesting.bySource.fraud.analyst).toBeGreaterThanOrEqual(1)
  })

  it('follows a new rule set version a supervisor uploads and a second supervisor approves', async ({ skip }) => {
    await apiOrSkip(skip)
    if ((await target.approverToken()) === undefined) skip(`${target.name}: no second supervisor's token (VIGIL_E2E_APPROVER_TOKEN) to approve an activation`)
    const listed = await api('GET', '/rules')
    expect(listed.status).toBe(200)
    const version = Math.max(0, ...listed.body.versions.map((v: { version: number }) => v.version)) + 1
    const current = JSON.parse(readFileSync(new URL('../../rules/default.json', import.meta.url), 'utf8'))
    const next = {
      ...current,
      version,
      description: 'e2e: the default rules and one that sends everything to review',
      rules: [...current.rules, { id: 'review-everything', description: 'Every transaction goes to review (e2e)', when: 'true', action: 'review', mode: 'active' }],
    }
    expect((await api('PUT', '/rules', 'analyst', next)).status).toBe(403)
    const upload = await api('PUT', '/rules', 'supervisor', next)
    expect(upload.status, JSON.stringify(upload.body)).toBe(201)
    const requested = await api('POST', `/rules/${version}/activate`, 'supervisor')
    expect(requested.status, JSON.stringify(requested.body)).toBe(202)
    expect((await api('POST', `/rules/${version}/approve`, 'supervisor')).status).toBe(403)
    const activated = await api('POST', `/rules/${version}/approve`, 'approver')
    expect(activated.status, JSON.stringify(activated.body)).toBe(200)
    expect(activated.body).toMatchObject({ active: version })

    // The scorer re-reads the active version every few seconds (5 s by default): a transaction
    // scored before it does keeps its decision, so put a new one each second until one is
    // decided under the new version.
    const deadline = Date.now() + 20_000
    let served: { decision: { ruleSetVersion: number; outcome: string; rules: Array<{ id: string; status: string }> } } | undefined
    for (let i = 0; served === undefined; i++) {
      if (Date.now() > deadline) throw new Error(`no transaction was decided under version ${version} within 20 s`)
      const id = tx(`v${version}-${i}`)
      await put(JSON.stringify(wireExample({ transactionId: id, occurredAt: new Date().toISOString() })), `card-v${version}`)
      const decision = await decisionOf(id, 10_000)
      if (decision.decision.ruleSetVersion === version) served = decision
      else await new Promise((resolve) => setTimeout(resolve, 1_000))
    }
    expect(served.decision.outcome).toBe('review')
    expect(served.decision.rules.find((r) => r.id === 'review-everything')).toMatchObject({ status: 'fired' })
  })

  it('leaves no card number in any table, dead letter, log line, workflow execution or API response', async ({ skip }) => {
    // A malformed record carrying a PAN: quarantined with its shape, not its text.
    // Written in groups too, in the record and as its partition key: the PAN text policy's notations.
    const grouped = pan.replace(/(\d{4})(?=\d)/g, '$1 ')
    await put(JSON.stringify({ transactionId: tx('bad-pan'), card: { pan: grouped, [grouped]: pan }, amount: 'a lot' }), grouped)
    // A valid transaction whose merchant id is that card number: quarantined whole (pan_in_identifier),
    // so the id reaches no entity key, decision, case or log line.
    await put(JSON.stringify(wireExample({ transactionId: tx('pan-merchant'), occurredAt: new Date().toISOString(), merchant: { id: grouped } })), 'card-pan-scan')
    const markerId = tx('after-bad-pan')
    await put(JSON.stringify(wireExample({ transactionId: markerId, occurredAt: new Date().toISOString() })), 'card-pan-scan')
    await apiOrSkip(skip)
    await decisionOf(markerId)
    // The scan can see what it looks for: the input is full of PANs.
    const sent = new Set(putPayloads.flatMap(panLikeRuns))
    expect(sent).toContain(pan)
    expect(sent.size).toBeGreaterThanOrEqual(2)

    expect(panFindings(served)).toEqual([])
    // Storage and logs only where the target lets this process read them (not LocalStack's).
    const readStorage = target.evidence
    if (!readStorage) return skip(`${target.name}: only the API responses were scanned; its tables and logs cannot be read from here`)
    const stored = await readStorage([burstCase])
    expect(stored.filter((e) => e.where.startsWith('table ')).length).toBeGreaterThan(putPayloads.length)
    expect(stored.some((e) => e.where.startsWith('workflow execution'))).toBe(true)
    // The handlers' log lines are there, the quarantine warning and EMF lines among them.
    const handlerLog = stored.filter((e) => e.where.startsWith('handler log'))
    expect(handlerLog.some((e) => e.text.includes('"_aws"'))).toBe(true)
    expect(handlerLog.some((e) => e.text.includes('"record quarantined"'))).toBe(true)
    expect(panFindings(stored)).toEqual([])
  })
})
