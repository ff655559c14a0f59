import { describe, expect, it } from 'vitest'
import { claimCase, decideCase } from '../../functions/case-api/case-commands.ts'
import { DynamoRuleSetSource, publishRuleSet } from '../../functions/aws/rule-set-store.ts'
import type { Actor } from '../../functions/core/cases/index.ts'
import { blockListingSeconds, CaseTaskError } from '../../functions/escalation/tasks.ts'
import { useEmulators } from '../support/emulators.ts'
import { defaultRuleSet } from '../support/scenario.ts'
import { scored, workflowFixture } from '../support/workflow.ts'

const aws = useEmulators()
const ana: Actor = { username: 'ana', role: 'analyst' }
const sam: Actor = { username: 'sam', role: 'supervisor' }

describe('the synthesized case workflow on a real ASL interpreter', () => {
  it('block path: lists the card, waits for the analyst, keeps it listed on fraud, sends the verdict as a label and closes', async () => {
    // A slower clock than the default: the analyst's hour must outlast four states and a claim on a busy machine.
    const flow = await workflowFixture(aws, { timeScale: 1e-3 })
    const { decision, transaction } = scored('block')
    await flow.recordDecision(decision)
    const id = flow.start(decision, transaction)

    const opened = await flow.waitingFor(id, 'analyst')
    expect(opened).toMatchObject({ status: 'open', blocked: true, priority: 'high', entity: transaction.card.token })
    expect(await flow.listed(transaction.card.token)).toBe(true)

    expect((await claimCase(flow.commands, id, ana)).ok).toBe(true)
    expect((await decideCase(flow.commands, id, ana, { outcome: 'fraud', reason: 'cardholder denies it' })).ok).toBe(true)
    expect(await flow.machine.wait(id)).toMatchObject({ status: 'SUCCEEDED' })

    expect(await flow.listed(transaction.card.token)).toBe(true)
    const closed = (await flow.cases.get(id))!.case
    expect(closed).toMatchObject({ status: 'closed', outcome: 'fraud', assignee: 'ana' })
    expect(closed.audit.map((e) => e.action)).toEqual(['opened', 'blocked', 'claimed', 'decided'])
    expect(await flow.labels()).toEqual([{ transactionId: decision.transactionId, fraud: true, reportedAt: closed.closedAt, source: 'analyst' }])
    expect(flow.notifications).toEqual([])
  })

  it('sends the verdict again when the labels stream refuses it, rather than losing the label', async () => {
    let refusals = 2
    const flow = await workflowFixture(aws, {
      beforeTask: async (event) => {
        if (event.action === 'label' && refusals-- > 0) throw new CaseTaskError('LabelNotSent', 'the labels stream refused it: ProvisionedThroughputExceededException')
      },
    })
    const { decision, transaction } = scored('block')
    const id = flow.start(decision, transaction)
    await flow.waitingFor(id, 'analyst')
    expect((await claimCase(flow.commands, id, ana)).ok).toBe(true)
    expect((await decideCase(flow.commands, id, ana, { outcome: 'fraud', reason: 'cardholder denies it' })).ok).toBe(true)
    expect(await flow.machine.wait(id)).toMatchObject({ status: 'SUCCEEDED' })
    expect(refusals).toBe(-1)
    expect((await flow.labels()).map((l) => [l.transactionId, l.fraud, l.source])).toEqual([[decision.transactionId, true, 'analyst']])
  })

  it('legitimate: the analyst clears a blocked card, which comes off the block list', async () => {
    const flow = await workflowFixture(aws, { timeScale: 1e-3 })
    const { decision, transaction } = scored('block')
    await flow.recordDecision(decision)
    const id = flow.start(decision, transaction)
    await flow.waitingFor(id, 'analyst')
    await claimCase(flow.commands, id, ana)
    await decideCase(flow.commands, id, ana, { outcome: 'legitimate', reason: 'customer confirmed the purchases' })
    expect(await flow.machine.wait(id)).toMatchObject({ status: 'SUCCEEDED' })
    expect(await flow.listed(transaction.card.token)).toBe(false)
    expect((await flow.cases.get(id))!.case).toMatchObject({ blocked: false, outcome: 'legitimate' })
    expect((await flow.labels()).map((l) => [l.transactionId, l.fraud, l.source])).toEqual([[decision.transactionId, false, 'analyst']])
  })

  it('SLA timeout: escalates with a higher priority, notifies supervisors, and the supervisor decides', async () => {
    const flow = await workflowFixture(aws, { timeScale: 3e-4 })
    const { decision, transaction } = scored('review', { amount: 15_000, score: 55 })
    const id = flow.start(decision, transaction)
    const opened = await flow.waitingFor(id, 'analyst')
    expect(opened.priority).toBe('medium')

    const escalated = await flow.waitingFor(id, 'supervisor')
    expect(escalated).toMatchObject({ status: 'escalated', priority: 'high' })
    expect(flow.notifications).toHaveLength(1)
    expect(JSON.stringify(flow.notifications[0])).toContain(id)

    await decideCase(flow.commands, id, sam, { outcome: 'fraud', reason: 'matches a known pattern' })
    expect(await flow.machine.wait(id)).toMatchObject({ status: 'SUCCEEDED' })
    expect((await flow.cases.get(id))!.case).toMatchObject({ status: 'closed', outcome: 'fraud' })
    expect(await flow.listed(transaction.card.token)).toBe(true)
  })

  it('expires a case nobody decides after escalation, with no label and no change to the block list', async () => {
    const flow = await workflowFixture(aws, { timeScale: 2e-5 })
    const { decision, transaction } = scored('review', { amount: 5_000, score: 55 })
    await flow.recordDecision(decision)
    const id = flow.start(decision, transaction)
    expect(await flow.machine.wait(id)).toMatchObject({ status: 'SUCCEEDED' })
    expect((await flow.cases.get(id))!.case).toMatchObject({ status: 'closed', outcome: 'expired' })
    expect(await flow.labels()).toEqual([])
    expect(await flow.listed(transaction.card.token)).toBe(false)
  })

  it('a repeated start under the same name is the same execution and the same case', async () => {
    const flow = await workflowFixture(aws)
    const { decision, transaction } = scored('review')
    const first = flow.start(decision, transaction)
    const second = flow.start(decision, transaction)
    expect(second).toBe(first)
    await flow.waitingFor(first, 'analyst')
    expect(await flow.caseCount()).toBe(1)
    expect(flow.machine.list()).toEqual([first])
  })

  it('a verdict that races the deadline wins: the escalation finds the case decided and applies that verdict', async () => {
    let flow: Awaited<ReturnType<typeof workflowFixture>> | undefined
    flow = await workflowFixture(aws, {
      // The deadline fired and Escalate is about to run: the analyst's decision lands just now.
      beforeTask: async (event) => {
        if (event.action === 'escalate') {
          const decided = await decideCase(flow!.commands, event.caseId, ana, { outcome: 'legitimate', reason: 'known customer' })
          expect(decided.ok).toBe(true)
        }
      },
    })
    const { decision, transaction } = scored('block')
    const id = flow.start(decision, transaction)
    await flow.waitingFor(id, 'analyst')
    await claimCase(flow.commands, id, ana)
    expect(await flow.machine.wait(id)).toMatchObject({ status: 'SUCCEEDED' })
    const closed = (await flow.cases.get(id))!.case
    expect(closed).toMatchObject({ status: 'closed', outcome: 'legitimate' })
    expect(closed.audit.map((e) => e.action)).not.toContain('escalated')
    expect(flow.notifications).toEqual([])
    expect(await flow.listed(transaction.card.token)).toBe(false)
  })

  it('a card the workflow lists reaches the scorers at their next refresh and leaves their block list when its listing ends', async () => {
    const flow = await workflowFixture(aws, { timeScale: 1e-3 })
    await publishRuleSet(aws.dynamo, flow.names.rules, defaultRuleSet(), new Date())
    const { decision, transaction } = scored('block')
    let at = flow.now()
    const scorer = new DynamoRuleSetSource(aws.dynamo, flow.names.rules, { refreshMs: 1_000, clock: () => at })
    const listed = async () => (await scorer.current()).lists.blocked_cards?.has(transaction.card.token) ?? false
    expect(await listed()).toBe(false)
    const id = flow.start(decision, transaction)
    await flow.waitingFor(id, 'analyst')
    at += 1_000
    expect(await listed()).toBe(true)
    at = flow.now() + blockListingSeconds * 1000
    expect(await listed()).toBe(false)
    await flow.machine.stop(id)
  })

  it('two analysts deciding one case: exactly one wins, the other gets a conflict or a closed case', async () => {
    const flow = await workflowFixture(aws, { timeScale: 1e-2 })
    const { decision, transaction } = scored('block')
    const id = flow.start(decision, transaction)
    await flow.waitingFor(id, 'analyst')
    await claimCase(flow.commands, id, ana)
    const results = await Promise.all([
      decideCase(flow.commands, id, ana, { outcome: 'fraud', reason: 'a' }),
      decideCase(flow.commands, id, sam, { outcome: 'legitimate', reason: 'b' }),
    ])
    expect(results.filter((r) => r.ok)).toHaveLength(1)
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.error.code)[0]).toMatch(/conflict|case_closed/)
    expect(await flow.machine.wait(id)).toMatchObject({ status: 'SUCCEEDED' })
    const again = await decideCase(flow.commands, id, sam, { outcome: 'fraud', reason: 'late' })
    expect(!again.ok && again.error.code).toBe('case_closed')
  })
})

