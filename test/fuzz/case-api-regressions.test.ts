/** What fuzzing the case API found, pinned: a card number in a rule set came back to the caller. */
import { describe, expect, it } from 'vitest'
import { handleApiRequest } from '../../functions/case-api/app.ts'
import { problemSchema } from '../../functions/case-api/schemas.ts'
import { useEmulators } from '../support/emulators.ts'
import { defaultRuleSet } from '../support/scenario.ts'
import { apiEvent } from './api-event.ts'
import { caseApiFixture } from './case-api-fixture.ts'

const aws = useEmulators()
const pan = '4539578763621486'
const supervisor = { claims: { username: 'sam', 'cognito:groups': '[supervisor]', token_use: 'access' } }

async function putRules(rules: ReturnType<typeof defaultRuleSet>['rules']) {
  const fixture = await caseApiFixture(aws)
  const body = new Uint8Array(Buffer.from(JSON.stringify({ ...defaultRuleSet(), version: 9, rules })))
  const response = await handleApiRequest(apiEvent({ method: 'PUT', path: '/rules', query: '', headers: [['content-type', 'application/json']], body, pans: [pan] }, supervisor), fixture.deps)
  expect(response.body).not.toContain(pan)
  return { status: response.statusCode, problem: problemSchema.parse(JSON.parse(response.body)) }
}

describe('case API fuzzing found', () => {
  const [rule] = defaultRuleSet().rules

  it('the rule id of an expression issue is the caller’s text: a card number there is masked', async () => {
    const { status, problem } = await putRules([{ ...rule!, id: pan, when: 'txn.amount >' }])
    expect(status).toBe(400)
    expect(problem.issues).toEqual([expect.objectContaining({ path: 'rules[0].when', ruleId: '[redacted]' })])
  })

  it('a rule set with a card number as a rule id, or inside an expression, is refused like one in a description', async () => {
    const asId = await putRules([{ ...rule!, id: pan }])
    expect(asId).toMatchObject({ status: 400, problem: { type: 'urn:vigil:problem:invalid_rule_set', issues: [{ path: 'rules[0].id' }] } })
    const inWhen = await putRules([{ ...rule!, when: `txn.accountId == "${pan}"` }])
    expect(inWhen).toMatchObject({ status: 400, problem: { type: 'urn:vigil:problem:invalid_rule_set', issues: [{ path: 'rules[0].when', ruleId: rule!.id }] } })
  })
})
