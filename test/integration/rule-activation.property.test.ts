/**
 * Four eyes, as a property: whatever two supervisors do with uploads, activation requests and
 * approvals, in any order, through the case API against dynalite, the scorers never switch to a
 * rule set that never ran unless a supervisor other than its requester approved it; a rollback (to
 * a version that ran, the seeded one included) is single-handed; and the trail records every switch.
 */
import { labelStreamEnvVar } from '../../functions/aws/service-names.ts'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DynamoRuleAdmin } from '../../functions/aws/rule-admin.ts'
import { publishRuleSet } from '../../functions/aws/rule-set-store.ts'
import { handleApiRequest, type CaseApiEvent } from '../../functions/case-api/app.ts'
import { caseApiDependencies } from '../../functions/case-api/dependencies.ts'
import { caseApiRoutes } from '../../functions/case-api/routes.ts'
import type { RuleSetInput } from '../../functions/core/rules/rule-set.ts'
import { createTables, tableEnvironment } from '../../local/emulators.ts'
import { buildEvent, compileRoutes, matchRoute } from '../../local/api-server.ts'
import { uniqueName, useEmulators } from '../support/emulators.ts'

const aws = useEmulators()
const defaultRules = JSON.parse(readFileSync(new URL('../../rules/default.json', import.meta.url), 'utf8')) as RuleSetInput
const routes = compileRoutes(caseApiRoutes)
const supervisors = ['sam', 'sue'] as const
type Supervisor = (typeof supervisors)[number]

type Step = { kind: 'upload' | 'activate' | 'approve'; by: Supervisor; version: number }

const step: fc.Arbitrary<Step> = fc.record({
  kind: fc.constantFrom('upload' as const, 'activate' as const, 'approve' as const),
  by: fc.constantFrom(...supervisors),
  version: fc.integer({ min: 1, max: 3 }),
})

function event(method: string, path: string, by: Supervisor, body?: unknown): CaseApiEvent {
  return buildEvent({
    method,
    rawPath: path,
    rawQueryString: '',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
    route: matchRoute(routes, method, path)!,
    claims: { sub: `sub-${by}`, username: by, 'cognito:groups': '[supervisor]', token_use: 'access' },
    scopes: null,
    requestId: 'property',
    timeEpoch: 0,
    sourceIp: '203.0.113.9',
    apiId: 'property',
    accountId: '000000000000',
  })
}

describe('rule-set activation', () => {
  it('property: a version that never ran goes live only on the approval of a supervisor other than its requester; rollbacks are single-handed; the trail has every switch', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(step, { minLength: 1, maxLength: 10 }), async (seeded, steps) => {
        const names = { rules: uniqueName('rules'), cases: uniqueName('cases'), decisions: uniqueName('decisions') }
        await createTables(aws.dynamo, { rules: names.rules })
        let clock = Date.parse('2026-11-24T09:00:00.000Z')
        const deps = caseApiDependencies({ ...tableEnvironment({ ...names, labels: uniqueName('labels') }), [labelStreamEnvVar]: uniqueName('labels') }, { dynamo: aws.dynamo, now: () => (clock += 1_000) })
        const admin = new DynamoRuleAdmin(aws.dynamo, names.rules)
        // Seeding at deploy or start is not a person's activation: it sets the pointer directly.
        if (seeded) await publishRuleSet(aws.dynamo, names.rules, defaultRules, new Date(clock))

        const ran = new Set<number>(seeded ? [defaultRules.version] : [])
        const requester = new Map<number, Supervisor>()
        let switches = 0
        for (const { kind, by, version } of steps) {
          const before = await admin.activeVersion()
          const response =
            kind === 'upload'
              ? await handleApiRequest(event('PUT', '/rules', by, { ...defaultRules, version }), deps)
              : await handleApiRequest(event('POST', `/rules/${version}/${kind}`, by), deps)
          expect(response.statusCode, response.body).toBeLessThan(500)
          const after = await admin.activeVersion()

          if (kind === 'activate' && response.statusCode === 202) requester.set(version, requester.get(version) ?? by)
          if (kind === 'approve' && requester.get(version) === by) expect(response.statusCode).toBe(403)
          if (response.statusCode === 200 && kind !== 'upload') {
            switches++
            expect(after).toBe(version)
            if (kind === 'activate') expect(ran.has(version) || before === version, `single-handed switch to ${version}, which never ran`).toBe(true)
            if (kind === 'approve') {
              expect(requester.get(version)).toBeDefined()
              expect(requester.get(version)).not.toBe(by)
              requester.delete(version)
            }
            ran.add(version)
          } else {
            expect(after).toBe(before)
          }
        }
        const trail = await admin.audit()
        expect(trail.filter((e) => e.action === 'activated' || e.action === 'rolled_back')).toHaveLength(switches)
        for (const entry of trail.filter((e) => e.action === 'activated')) expect(entry.by).not.toBe(entry.requestedBy)
      }),
      { numRuns: 40 },
    )
  })
})
