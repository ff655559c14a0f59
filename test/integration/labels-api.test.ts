/**
 * POST /labels against dynalite and kinesalite through the real SDK: what each label is answered,
 * what lands on the labels stream (GetRecords), and what the label applier then makes of it.
 * Events carry the authorizer's claims directly; test/integration/labels-api-http.test.ts covers
 * the tokens through the local API server.
 */
import { describe, expect, it } from 'vitest'
import { handleApiRequest, type CaseApiDeps } from '../../functions/case-api/app.ts'
import type { Claims } from '../../functions/case-api/identity.ts'
import { labelsMaxBodyBytes, labelsWriteScope, maxLabelsPerRequest } from '../../functions/case-api/routes.ts'
import { labelsResponseSchema, problemSchema } from '../../functions/case-api/schemas.ts'
import type { Label } from '../../functions/core/labels/label.ts'
import { jwtEvent } from '../support/api-request.ts'
import { useEmulators } from '../support/emulators.ts'
import { labelsApiFixture } from '../support/labels-api.ts'
import { panLikeRuns } from '../support/pan-scan.ts'
import { fixedNow } from '../support/scorer.ts'
import { withLuhnDigit } from '../support/transactions.ts'

const aws = useEmulators()

const ana: Claims = { sub: 'sub-ana', username: 'ana', 'cognito:groups': ['analyst'], token_use: 'access' }
const sam: Claims = { sub: 'sub-sam', username: 'sam', 'cognito:groups': '[supervisor]', token_use: 'access' }
const eve: Claims = { sub: 'sub-eve', username: 'eve', 'cognito:groups': '[marketing]', token_use: 'access' }
// A client-credentials token as Cognito issues it: sub = client_id, no user, no group.
const feed: Claims = { sub: 'feed-client', client_id: 'feed-client', token_use: 'access', scope: labelsWriteScope }
const feedWithoutScope: Claims = { ...feed, scope: 'vigil-api/other' }

const pan = withLuhnDigit('411111111111111')
const hour = 3_600_000
const at = (offsetHours: number) => new Date(fixedNow.getTime() + offsetHours * hour).toISOString()
const label = (transactionId: string, fraud: boolean, reportedAt = at(-1), source: Label['source'] = 'chargeback'): Label => ({ transactionId, fraud, reportedAt, source })

async function post(deps: CaseApiDeps, body: unknown, claims: Claims = ana) {
  const response = await handleApiRequest(jwtEvent('POST', '/labels', claims, body), deps)
  expect(response.body).not.toContain(pan)
  expect(panLikeRuns(response.body)).toEqual([])
  const parsed = JSON.parse(response.body)
  if (response.statusCode >= 400) problemSchema.parse(parsed)
  else labelsResponseSchema.parse(parsed)
  return { status: response.statusCode, body: parsed }
}

const statuses = (body: { items: Array<{ status: string }> }) => body.items.map((item) => item.status)

describe('POST /labels', () => {
  it('answers every label in order, sends only what tells something new, keyed by its transaction, and counts', async () => {
    const f = await labelsApiFixture(aws)
    const labels = [
      label('tx-0', true),
      label('tx-0', true, at(-2)), // the same again, reported earlier: duplicate
      label('tx-1', true, at(-3)),
      label('tx-1', false, at(-4)), // older and contrary: the newer word stands
      label('tx-2', false),
      label('tx-2', true, at(-0.5)), // newer and contrary: a flip, sent
      label('tx-unscored', true), // no decision yet: sent, applied when the transaction comes
    ]
    const { status, body } = await post(f.deps, { labels })
    expect(status).toBe(200)
    expect(statuses(body)).toEqual(['accepted', 'duplicate', 'accepted', 'superseded', 'accepted', 'accepted', 'unknown_transaction'])
    expect(body.items.map((item: { index: number; transactionId: string }) => [item.index, item.transactionId])).toEqual(labels.map((l, i) => [i, l.transactionId]))
    expect(body.counts).toEqual({ accepted: 4, duplicate: 1, superseded: 1, unknown_transaction: 1, invalid: 0, failed: 0 })
    // A transaction's second label goes out after its first is on the stream (functions/aws/label-stream.ts).
    const records = await f.newRecords()
    expect(records).toEqual([0, 2, 4, 6, 5].map((i) => ({ label: labels[i], partitionKey: labels[i]!.transactionId })))
    expect(f.errors).toEqual([])
  })

  it('resolves against the label the applier keeps: after it applied a request, the same request is all duplicates and sends nothing', async () => {
    const f = await labelsApiFixture(aws)
    const labels = [label('tx-0', true), label('tx-1', false), label('tx-2', true, at(-5), 'analyst')]
    expect(statuses((await post(f.deps, { labels })).body)).toEqual(['accepted', 'accepted', 'accepted'])
    await f.newRecords()
    await f.apply()

    const again = await post(f.deps, { labels }, feed)
    expect(statuses(again.body)).toEqual(['duplicate', 'duplicate', 'duplicate'])
    expect(await f.newRecords()).toEqual([])

    // Against what stands now: an older contrary report is superseded, a newer one flips, a later
    // confirmation is a duplicate that is still sent (it is the newest word from now on).
    const next = [label('tx-0', false, at(-2)), label('tx-1', true, at(-0.5)), label('tx-2', true, at(-1), 'chargeback')]
    expect(statuses((await post(f.deps, { labels: next })).body)).toEqual(['superseded', 'accepted', 'duplicate'])
    expect((await f.newRecords()).map((r) => r.label)).toEqual([next[1], next[2]])
  })

  it('answers a label waiting for its transaction as a duplicate when sent again', async () => {
    const f = await labelsApiFixture(aws)
    const waiting = label('tx-later', true)
    expect(statuses((await post(f.deps, { labels: [waiting] })).body)).toEqual(['unknown_transaction'])
    await f.newRecords()
    await f.apply()
    expect(statuses((await post(f.deps, { labels: [waiting, label('tx-later', false)] })).body)).toEqual(['duplicate', 'unknown_transaction'])
    expect((await f.newRecords()).map((r) => r.label.fraud)).toEqual([false])
  })

  it('validates each label on its own: issues under labels[i], no card number echoed, the rest still sent', async () => {
    const f = await labelsApiFixture(aws)
    const labels: unknown[] = [
      label('tx-0', true),
      { ...label('tx-1', true), reportedAt: 'yesterday' },
      { ...label('tx-2', true), source: 'rumour', [pan]: 1 },
      { ...label('tx-3', true), reportedAt: new Date(fixedNow.getTime() + 61_000).toISOString() },
      label(pan, true),
      { ...label('tx-3', true), reason: `card ${pan} disputed` },
      'not a label',
      { ...label('tx-3', true), reportedAt: new Date(fixedNow.getTime() + 60_000).toISOString() },
    ]
    const { status, body } = await post(f.deps, { labels })
    expect(status).toBe(200)
    expect(statuses(body)).toEqual(['accepted', 'invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'accepted'])
    const paths = body.items.map((item: { issues?: Array<{ path: string }> }) => (item.issues ?? []).map((issue) => issue.path))
    expect(paths).toEqual([[], ['labels[1].reportedAt'], ['labels[2].source', 'labels[2]'], ['labels[3].reportedAt'], ['labels[4].transactionId'], ['labels[5].reason'], ['labels[6]'], []])
    expect(body.items[3].issues[0].message).toContain('future')
    // The id of an invalid label is answered when it is valid itself (never a PAN: that is not a valid id).
    expect(body.items.map((item: { transactionId?: string }) => item.transactionId)).toEqual(['tx-0', 'tx-1', 'tx-2', 'tx-3', undefined, 'tx-3', undefined, 'tx-3'])
    expect((await f.newRecords()).map((r) => r.label)).toEqual([labels[0], labels[7]])
  })

  it(`takes ${maxLabelsPerRequest} labels in one request within the body limit, and refuses more (400 naming labels) or none`, async () => {
    const f = await labelsApiFixture(aws)
    const many = Array.from({ length: maxLabelsPerRequest }, (_, i) => ({ ...label(`tx-bulk-${i}`, i % 2 === 0), reason: 'é'.repeat(500) }))
    expect(Buffer.byteLength(JSON.stringify({ labels: many }))).toBeLessThan(labelsMaxBodyBytes)
    const { status, body } = await post(f.deps, { labels: many })
    expect(status).toBe(200)
    expect(body.counts.unknown_transaction).toBe(maxLabelsPerRequest)
    expect((await f.newRecords()).length).toBe(maxLabelsPerRequest)

    const tooMany = await post(f.deps, { labels: [...many, label('tx-0', true)] })
    expect(tooMany.status).toBe(400)
    expect(tooMany.body.issues).toEqual([{ path: 'labels', message: expect.stringContaining(`at most ${maxLabelsPerRequest}`) }])
    expect((await post(f.deps, { labels: [] })).status).toBe(400)
    expect((await post(f.deps, { label: label('tx-0', true) })).status).toBe(400)
    expect((await post(f.deps, '{"labels": [')).status).toBe(400)
    expect(await f.newRecords()).toEqual([])
  })

  it('admits analysts, supervisors and a client with labels.write; a client may call no other route', async () => {
    const f = await labelsApiFixture(aws)
    for (const claims of [ana, sam, feed]) expect((await post(f.deps, { labels: [label('tx-0', true)] }, claims)).status).toBe(200)
    expect((await post(f.deps, { labels: [label('tx-0', true)] }, eve)).status).toBe(403)
    expect((await post(f.deps, { labels: [label('tx-0', true)] }, feedWithoutScope)).status).toBe(403)
    for (const [method, path] of [['GET', '/cases'], ['GET', '/transactions/tx-0/decision'], ['GET', '/rules'], ['GET', '/openapi.json']] as const) {
      const response = await handleApiRequest(jwtEvent(method, path, feed), f.deps)
      expect([method, path, response.statusCode]).toEqual([method, path, 403])
    }
    // An ID token is no caller, whatever it claims.
    expect((await post(f.deps, { labels: [label('tx-0', true)] }, { ...feed, token_use: 'id' })).status).toBe(401)
  })

  it('answers failed, with the stream\'s error code, what the stream refused, and reports it', async () => {
    const f = await labelsApiFixture(aws, { stream: 'missing' })
    const { status, body } = await post(f.deps, { labels: [label('tx-0', true), label('tx-1', true), { fraud: 'yes' }] })
    expect(status).toBe(200)
    expect(statuses(body)).toEqual(['failed', 'failed', 'invalid'])
    expect(body.items[0].issues[0]).toEqual({ path: 'labels[0]', message: expect.stringContaining('ResourceNotFoundException') })
    expect(f.errors).toHaveLength(1)
  })
})
