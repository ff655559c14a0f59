import type { Context } from 'aws-lambda'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { metricSamples, parseEmfLine, type EmfDocument } from '../../local/emf.ts'
import { tableEnvironment } from '../../local/emulators.ts'
import { useEmulators } from '../support/emulators.ts'
import { arrivedAt, fixedNow, scorerFixture } from '../support/scorer.ts'
import { history } from '../support/scenario.ts'
import { testKeySecret } from '../support/transactions.ts'

const aws = useEmulators()

const context = {
  functionName: 'vigil-scorer',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:vigil-scorer',
  memoryLimitInMB: '512',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context

afterEach(() => {
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
})

describe('the deployed handler (middy, Powertools) on the emulators', () => {
  it('scores a Kinesis event, answers a partial batch response and emits EMF metrics without the PAN', async () => {
    const fixture = await scorerFixture(aws)
    for (const [name, value] of Object.entries({ ...aws.env, ...tableEnvironment(fixture.names), VIGIL_TOKENIZATION_KEY: testKeySecret })) vi.stubEnv(name, value)
    const { handler } = await import('../../functions/score/handler.ts')

    const burst = history('2026-11-24T10:00:00Z', [0, 1, 2, 3].map((m) => ({ at: m, amount: 100, merchant: { id: `m-${m}` } })))
    const farFuture = JSON.stringify({ ...burst[0], transactionId: 'tx-future', occurredAt: '9999-12-31T23:59:59Z' })
    const lines = [...burst.map((t) => JSON.stringify(t)), '{"card":{"pan":"4111111111111111"}}', '{"transactionId":"tx-cut", "card": {"pan": "4111111111111111"', farFuture]
    await fixture.put(lines)
    const [event] = await fixture.poller.drain(100)

    const out: string[] = []
    for (const stream of [process.stdout, process.stderr]) vi.spyOn(stream, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true))
    vi.spyOn(console, 'log').mockImplementation((...args) => void out.push(args.join(' ')))
    const before = Date.now()
    const response = await handler(arrivedAt(event!, fixedNow), context)
    const after = Date.now()
    vi.restoreAllMocks()

    expect(response).toEqual({ batchItemFailures: [] })
    const decisions = await fixture.decisions()
    expect(decisions.get('tx-3')?.outcome).toBe('block')
    const emf = out.flatMap((line) => line.split('\n')).flatMap((line) => parseEmfLine(line) ?? [])
    for (const document of emf) {
      expect(document._aws.CloudWatchMetrics.map((m) => m.Namespace)).toEqual(['Vigil'])
      expect(document.service).toBe('vigil-scorer')
    }
    const batch = emf.filter((document) => 'BatchSize' in document)
    expect(batch).toHaveLength(1)
    expect(batch[0]).toMatchObject({ BatchSize: 7, Decisions_block: 1, Decisions_approve: 3, Decisions_review: 0, Quarantined: 3, DuplicatesSkipped: 0 })

    // One value per decided record: the clock at its commit minus its event time.
    const waits = batch[0]!.EventTimeToDecision as number[]
    const eventTimes = burst.map((t) => Date.parse(t.occurredAt))
    expect(waits).toHaveLength(4)
    waits.toSorted((a, b) => b - a).forEach((wait, i) => {
      expect(wait).toBeGreaterThanOrEqual(before - eventTimes[i]!)
      expect(wait).toBeLessThanOrEqual(after - eventTimes[i]!)
    })

    // A metric set per reason and per fired rule, each with its own dimension.
    const byDimension = (name: string, dimension: string) =>
      Object.fromEntries(
        emf.flatMap((document) => metricSamples(document).filter((m) => m.name === name).map((m) => [m.dimensions[dimension], m.values[0]])),
      )
    expect(byDimension('QuarantinedByReason', 'reason')).toEqual({ invalid_transaction: 1, invalid_json: 1, event_time_skew: 1 })
    const fired: Record<string, number> = {}
    for (const decision of decisions.values()) for (const rule of decision.rules) if (rule.status === 'fired') fired[rule.id] = (fired[rule.id] ?? 0) + 1
    expect(fired['card-testing']).toBe(1)
    expect(byDimension('RuleHits', 'ruleId')).toEqual(fired)
    for (const document of emf.filter((d) => 'RuleHits' in d)) expect(dimensionSets(document)).toEqual([['service', 'ruleId']])

    // A warning per quarantined record: where it sits in the stream and why, never its text.
    const warnings = out.flatMap((line) => line.split('\n')).filter((line) => line.includes('"record quarantined"')).map((line) => JSON.parse(line))
    expect(warnings.map((w) => w.reason).toSorted()).toEqual(['event_time_skew', 'invalid_json', 'invalid_transaction'])
    for (const warning of warnings) {
      expect(warning).toMatchObject({ level: 'WARN', service: 'vigil-scorer', shardId: event!.Records[0]!.eventID.split(':')[0] })
      expect(event!.Records.map((r) => r.kinesis.sequenceNumber)).toContain(warning.sequenceNumber)
    }
    expect(warnings.find((w) => w.reason === 'invalid_transaction').issues.map((i: { path: string }) => i.path)).toContain('transactionId')

    const text = out.join('')
    expect(text).not.toContain('4111111111111111')
    expect(text).not.toContain('"Records"')
  })
})

const dimensionSets = (document: EmfDocument) => document._aws.CloudWatchMetrics.flatMap((m) => m.Dimensions)
