/**
 * The deployed case task handler (middy, Powertools) on dynalite, driven as the workflow drives it,
 * retries included: its EMF lines count each opening, escalation, missed deadline and closing
 * once, and its log lines carry the case id.
 */
import { labelStreamEnvVar } from '../../functions/aws/service-names.ts'
import type { Context } from 'aws-lambda'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { DynamoCaseStore } from '../../functions/aws/case-store.ts'
import { claimCase, decideCase } from '../../functions/case-api/case-commands.ts'
import { defaultSlaTable } from '../../functions/core/cases/index.ts'
import { metricSamples, parseEmfLine, type MetricSample } from '../../local/emf.ts'
import { createStream, createTables, tableEnvironment } from '../../local/emulators.ts'
import { uniqueName, useEmulators } from '../support/emulators.ts'
import { scored } from '../support/workflow.ts'

const aws = useEmulators()
const names = { cases: uniqueName('cases'), decisions: uniqueName('decisions'), rules: uniqueName('rules') }
const context = { functionName: 'vigil-cases', awsRequestId: 'req-1', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:vigil-cases' } as Context
let handler: (event: unknown, context: Context) => Promise<unknown>

beforeAll(async () => {
  await createTables(aws.dynamo, names)
  const labelStream = uniqueName('labels')
  await createStream(aws.kinesis, labelStream, 1)
  for (const [name, value] of Object.entries({ ...aws.env, ...tableEnvironment(names), [labelStreamEnvVar]: labelStream, VIGIL_SLA_SECONDS: JSON.stringify(defaultSlaTable) })) vi.stubEnv(name, value)
  ;({ handler } = await import('../../functions/escalation/handler.ts'))
})

afterEach(() => {
  vi.restoreAllMocks()
  vi.useRealTimers()
})

/** Runs the tasks in order, each as its own invocation, until one fails; returns what they wrote. */
async function run(...events: Array<Record<string, unknown>>) {
  const out: string[] = []
  let failure: unknown
  for (const stream of [process.stdout, process.stderr]) vi.spyOn(stream, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true))
  try {
    for (const event of events) await handler(event, context)
  } catch (error) {
    failure = error
  } finally {
    vi.restoreAllMocks()
  }
  const lines = out.flatMap((chunk) => chunk.split('\n')).filter((line) => line !== '')
  const metrics = lines.flatMap((line) => parseEmfLine(line) ?? []).flatMap(metricSamples)
  const logs = lines.filter((line) => !line.includes('"_aws"')).map((line) => JSON.parse(line) as Record<string, unknown>)
  return { metrics, logs, failure }
}

const total = (metrics: readonly MetricSample[], name: string, dimensions: Record<string, string> = {}) =>
  metrics
    .filter((m) => m.name === name && Object.entries(dimensions).every(([k, v]) => m.dimensions[k] === v))
    .flatMap((m) => m.values)
    .reduce((a, b) => a + b, 0)

describe('the case task handler’s metrics', () => {
  it('an unanswered case: opened once, escalated and expired at its deadlines, each breach once however often retried', async () => {
    const { decision, transaction } = scored('review')
    const caseId = `case-${decision.transactionId}`
    const start = Date.now()
    vi.useFakeTimers({ toFake: ['Date'], now: start })

    const opened = await run({ action: 'open', caseId, decision, transaction }, { action: 'open', caseId, decision, transaction })
    vi.setSystemTime(start + 2 * defaultSlaTable.low * 1000)
    const escalated = await run({ action: 'escalate', caseId }, { action: 'escalate', caseId })
    vi.setSystemTime(start + 4 * defaultSlaTable.low * 1000)
    const expired = await run({ action: 'expire', caseId }, { action: 'expire', caseId }, { action: 'close', caseId })

    expect(total(opened.metrics, 'CasesOpened')).toBe(1)
    expect(total(escalated.metrics, 'CasesEscalated')).toBe(1)
    expect(total(escalated.metrics, 'SlaBreaches')).toBe(1)
    expect(total(expired.metrics, 'SlaBreaches')).toBe(1)
    expect(total(expired.metrics, 'CasesEscalated')).toBe(0)
    expect(total(expired.metrics, 'CasesClosed', { outcome: 'expired' })).toBe(1)
    for (const metric of [...opened.metrics, ...escalated.metrics, ...expired.metrics]) {
      expect(metric.namespace).toBe('Vigil')
      expect(metric.dimensions.service).toBe('vigil-cases')
    }
    expect(expired.metrics.find((m) => m.name === 'CasesClosed')?.dimensions).toEqual({ service: 'vigil-cases', outcome: 'expired' })

    const escalatedLine = escalated.logs.find((entry) => entry.message === 'case escalated')
    expect(escalatedLine).toMatchObject({ level: 'INFO', service: 'vigil-cases', caseId, function_request_id: 'req-1' })
    expect(opened.logs.find((entry) => entry.message === 'case opened')).toMatchObject({ caseId, transactionId: decision.transactionId })
  })

  it('a case an analyst decides: closed with the verdict as its outcome, no deadline missed', async () => {
    const { decision, transaction } = scored('block')
    const caseId = `case-${decision.transactionId}`
    const commands = { cases: new DynamoCaseStore(aws.dynamo, names.cases), workflow: { resume: async () => 'resumed' as const }, now: Date.now }
    const opened = await run({ action: 'open', caseId, decision, transaction })
    await claimCase(commands, caseId, { username: 'ana', role: 'analyst' })
    expect((await decideCase(commands, caseId, { username: 'ana', role: 'analyst' }, { outcome: 'fraud', reason: 'cardholder denies it' })).ok).toBe(true)
    const closed = await run({ action: 'escalate', caseId }, { action: 'close', caseId })

    expect(total(opened.metrics, 'CasesOpened')).toBe(1)
    expect(total(closed.metrics, 'CasesClosed', { outcome: 'fraud' })).toBe(1)
    expect(total(closed.metrics, 'SlaBreaches') + total(closed.metrics, 'CasesEscalated')).toBe(0)
  })

  it('a task that fails logs an error line with its case id and records nothing', async () => {
    const { metrics, logs, failure } = await run({ action: 'escalate', caseId: 'case-missing' })
    expect(String(failure)).toMatch(/no case case-missing/)
    expect(metrics.filter((m) => m.name !== 'ColdStart')).toEqual([])
    expect(logs.find((entry) => entry.level === 'ERROR')).toMatchObject({ message: 'invocation failed', service: 'vigil-cases', caseId: 'case-missing', error: { name: 'Vigil.CaseNotFound' } })
  })
})
