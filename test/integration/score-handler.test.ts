import type { Context, KinesisStreamEvent } from 'aws-lambda'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { tableEnvironment } from '../../local/emulators.ts'
import { useEmulators } from '../support/emulators.ts'
import { scorerFixture } from '../support/scorer.ts'
import { history } from '../support/scenario.ts'
import { testKey } from '../support/transactions.ts'

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
    for (const [name, value] of Object.entries({ ...aws.env, ...tableEnvironment(fixture.names), VIGIL_TOKENIZATION_KEY: testKey })) vi.stubEnv(name, value)
    const { handler } = await import('../../functions/score/handler.ts')

    const burst = history('2026-11-24T10:00:00Z', [0, 1, 2, 3].map((m) => ({ at: m, amount: 100, merchant: { id: `m-${m}` } })))
    await fixture.put([...burst.map((t) => JSON.stringify(t)), '{"card":{"pan":"4111111111111111"}}'])
    const [event] = await fixture.poller.drain(100)

    const out: string[] = []
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true))
    vi.spyOn(console, 'log').mockImplementation((...args) => void out.push(args.join(' ')))
    const response = await handler(event as KinesisStreamEvent, context)
    vi.restoreAllMocks()

    expect(response).toEqual({ batchItemFailures: [] })
    const decisions = await fixture.decisions()
    expect(decisions.get('tx-3')?.outcome).toBe('block')
    const emf = out.flatMap((line) => line.split('\n')).filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line))
    expect(emf).toHaveLength(1)
    expect(emf[0]).toMatchObject({ BatchSize: 5, Decisions_block: 1, Decisions_approve: 3, Quarantined: 1, DuplicatesSkipped: 0 })
    expect(emf[0]._aws.CloudWatchMetrics[0].Namespace).toBe('Vigil')
    expect(out.join('')).not.toContain('4111111111111111')
  })
})

