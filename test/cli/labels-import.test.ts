/**
 * `vigil labels import` and `vigil token --client` against the case API served by the local API
 * server (dev JWTs, the routes as lib/case-api.ts authorizes them) on dynalite and kinesalite,
 * with the label applier run on what lands on the labels stream.
 */
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runVigil } from '../support/cli.ts'
import { handleApiRequest } from '../../functions/case-api/app.ts'
import { caseApiRoutes } from '../../functions/case-api/routes.ts'
import { startApiServer, type ApiServer } from '../../local/api-server.ts'
import { devApiRoutes, devAudience, devIssuer, devSigningKey, signDevToken } from '../../local/dev-tokens.ts'
import { useEmulators } from '../support/emulators.ts'
import { labelsApiFixture, type LabelsApiFixture } from '../support/labels-api.ts'
import { fixedNow } from '../support/scorer.ts'
import { withLuhnDigit } from '../support/transactions.ts'

const aws = useEmulators()

let dir: string
let f: LabelsApiFixture
let server: ApiServer

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-labels-'))
  f = await labelsApiFixture(aws, { scored: 6 })
  const key = await devSigningKey({ dataDir: dir })
  server = await startApiServer({
    handler: (event) => handleApiRequest(event, f.deps),
    routes: devApiRoutes(caseApiRoutes),
    jwt: { issuer: devIssuer, audience: devAudience, jwks: key.jwks },
    // The dev tokens are minted now; the fixture's clock is the scorer's.
    now: () => Date.now(),
  })
})

afterAll(async () => {
  await server?.stop()
})

const vigil = (env: NodeJS.ProcessEnv, ...args: string[]) => runVigil({ ...process.env, ...env }, ...args)

const reportedAt = (hoursBefore: number) => new Date(fixedNow.getTime() - hoursBefore * 3_600_000).toISOString()
const pan = withLuhnDigit('411111111111111')

describe('vigil token --client', () => {
  it('mints a client-credentials token that the local API takes on POST /labels and refuses on every other route', async () => {
    const minted = await vigil({}, 'token', '--client', 'chargeback-feed', '--data-dir', dir)
    expect(minted.code).toBe(0)
    const token = minted.stdout.trim()
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))
    expect(claims).toMatchObject({ sub: 'vigil-dev-chargeback-feed', client_id: 'vigil-dev-chargeback-feed', token_use: 'access', scope: 'vigil-api/labels.write' })
    expect(claims).not.toHaveProperty('username')
    expect(claims).not.toHaveProperty('cognito:groups')

    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
    const posted = await fetch(`${server.url}/labels`, { method: 'POST', headers, body: JSON.stringify({ labels: [{ transactionId: 'tx-5', fraud: true, reportedAt: reportedAt(1), source: 'chargeback' }] }) })
    expect(posted.status).toBe(200)
    expect(((await posted.json()) as { items: Array<{ status: string }> }).items[0]!.status).toBe('accepted')
    // Its audience is the feed client's: only the labels route's authorizer accepts it.
    for (const path of ['/cases', '/rules', '/openapi.json', '/transactions/tx-5/decision']) expect([path, (await fetch(`${server.url}${path}`, { headers })).status]).toEqual([path, 401])
    // An analyst's token still passes everywhere it did.
    const analyst = await signDevToken(await devSigningKey({ dataDir: dir }), { username: 'ana', groups: ['analyst'] })
    expect((await fetch(`${server.url}/cases`, { headers: { authorization: `Bearer ${analyst}` } })).status).toBe(200)
    expect((await vigil({}, 'token', '--client', 'nobody', '--data-dir', dir)).code).toBe(2)
    expect((await vigil({}, 'token', '--client', 'chargeback-feed', '--role', 'analyst', '--data-dir', dir)).code).toBe(2)
    await f.newRecords()
    await f.apply()
  })
})

describe('vigil labels import', () => {
  it('sends a JSONL file with a local dev token, reports invalid lines by number without echoing a card number, and a re-run changes nothing', async () => {
    const file = join(dir, 'labels.jsonl')
    await writeFile(
      file,
      [
        JSON.stringify({ transactionId: 'tx-0', fraud: true, reportedAt: reportedAt(2), source: 'chargeback', reason: '4837' }),
        JSON.stringify({ transactionId: 'tx-1', fraud: false, reportedAt: reportedAt(2), source: 'issuer' }),
        '',
        `{"transactionId": "tx-2", "fraud": true, "card": "${pan}"`,
        JSON.stringify({ transactionId: 'tx-2', fraud: true, reportedAt: 'last week', source: 'customer' }),
        JSON.stringify({ transactionId: 'tx-unscored', fraud: true, reportedAt: reportedAt(2), source: 'chargeback' }),
      ].join('\n'),
    )
    const args = ['labels', 'import', file, '--api', server.url, '--data-dir', dir]
    const first = await vigil({}, ...args)
    expect(first.code).toBe(1)
    expect(first.stdout).toContain('5 labels')
    expect(first.stdout).toContain('accepted 2 · duplicate 0 · superseded 0 · unknown_transaction 1 · invalid 2 · failed 0')
    expect(first.stdout).toContain('line 4: is not valid JSON')
    expect(first.stdout).toMatch(/line 5: reportedAt: .*ISO 8601/)
    expect(first.stdout + first.stderr).not.toContain(pan)
    expect((await f.newRecords()).map((r) => r.label.transactionId)).toEqual(['tx-0', 'tx-1', 'tx-unscored'])
    await f.apply()

    const again = await vigil({}, ...args)
    expect(again.stdout).toContain('accepted 0 · duplicate 3 · superseded 0 · unknown_transaction 0 · invalid 2 · failed 0')
    expect(await f.newRecords()).toEqual([])
  })

  it('sends a CSV file (header row, quoted fields, any column order) with a token from the environment, in batches of 1000, and exits 0 when all is taken', async () => {
    const minted = (await vigil({}, 'token', '--client', 'chargeback-feed', '--data-dir', dir)).stdout.trim()
    const file = join(dir, 'chargebacks.csv')
    const rows = Array.from({ length: 1_500 }, (_, i) => `${reportedAt(1)},"late-${i}",true,chargeback,"reason ""${i}"", disputed"`)
    await writeFile(file, ['reportedAt,transactionId,fraud,source,reason', `${reportedAt(1)},tx-3,false,chargeback,`, ...rows].join('\r\n'))
    const env = { VIGIL_API_URL: server.url, VIGIL_API_TOKEN: minted }
    const run = await vigil(env, 'labels', 'import', file)
    expect([run.code, run.stderr]).toEqual([0, ''])
    expect(run.stdout).toContain('1501 labels → accepted 1 · duplicate 0 · superseded 0 · unknown_transaction 1500 · invalid 0 · failed 0')
    const records = await f.newRecords()
    expect(records).toHaveLength(1_501)
    expect(records[0]!.label).toEqual({ transactionId: 'tx-3', fraud: false, reportedAt: reportedAt(1), source: 'chargeback' })
    expect(records.find((r) => r.label.transactionId === 'late-7')!.label.reason).toBe('reason "7", disputed')
  })

  it('says why when the API refuses the request as a whole; a deployed API needs a token; import is the one subcommand', async () => {
    const file = join(dir, 'one.jsonl')
    await writeFile(file, JSON.stringify({ transactionId: 'tx-4', fraud: true, reportedAt: reportedAt(1), source: 'analyst' }))
    const refused = await vigil({}, 'labels', 'import', file, '--api', server.url, '--token', 'not-a-token')
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining('answered 401')])
    expect((await vigil({}, 'labels', 'import', file, '--api', 'https://api.example.com')).code).toBe(2)
    expect((await vigil({}, 'labels', 'export', file)).code).toBe(2)
  })
})
