/**
 * Stream records of every kind (valid, near-valid, hostile, KPL aggregates and garbage) through the
 * real scorer: the Lambda's event handling, the real stores on dynalite. The batch never fails,
 * every user record ends in exactly one place, a decision or a quarantine entry naming the reason,
 * and nothing stored in quarantine or logged looks like a card number.
 */
import { scanTable } from '../support/scan.ts'
import { Logger } from '@aws-lambda-powertools/logger'
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { LoggedEscalation } from '../../functions/aws/escalation.ts'
import { tableSchemas } from '../../lib/table-schema.ts'
import { useEmulators } from '../support/emulators.ts'
import { fixedNow, scorerFixture } from '../support/scorer.ts'
import { kinesisEvent, kinesisRecordSpec, type RecordSpec } from './arbitraries/kinesis.ts'
import { panLikeRuns } from '../support/pan-scan.ts'
import { fuzzParameters, fuzzTimeout } from './fuzz-settings.ts'
import { containsPan } from '../../functions/core/pan-text.ts'
import { expectVerdict } from './verdicts.ts'

const aws = useEmulators()


/** The id a record's JSON names, read without the scorer's code (a leading BOM skipped). */
function transactionIdOf(data: Uint8Array): string | undefined {
  try {
    const id = (JSON.parse(Buffer.from(data).toString('utf8').replace(/^\uFEFF/, '')) as { transactionId?: unknown }).transactionId
    return typeof id === 'string' ? id : undefined
  } catch {
    return undefined
  }
}

/**
 * Whether the record's event time is one the scorer accepts at the fixture's clock (its arrival
 * there): at most a minute after it, at most the default rules' largest window (30 days) before.
 */
function inEventTimeRange(data: Uint8Array): boolean {
  const time = Date.parse((JSON.parse(Buffer.from(data).toString('utf8').replace(/^\uFEFF/, '')) as { occurredAt: string }).occurredAt)
  return time >= fixedNow.getTime() - 30 * 86_400_000 && time <= fixedNow.getTime() + 60_000
}

/** What the scorer writes to stdout and stderr (Powertools logs there) while `work` runs. */
async function capturingOutput<T>(work: () => Promise<T>): Promise<{ result: T; output: string }> {
  const chunks: string[] = []
  const capture = (chunk: unknown) => (chunks.push(String(chunk)), true)
  vi.spyOn(process.stdout, 'write').mockImplementation(capture)
  vi.spyOn(process.stderr, 'write').mockImplementation(capture)
  try {
    return { result: await work(), output: chunks.join('') }
  } finally {
    vi.restoreAllMocks()
  }
}

async function scoreAndCheck(specs: readonly RecordSpec[]): Promise<void> {
  const fixture = await scorerFixture(aws)
  const deps = { ...fixture.deps, escalation: new LoggedEscalation(new Logger({ serviceName: 'vigil-scorer' })) }
  const event = kinesisEvent(specs)
  const shardId = event.Records[0]!.eventID.split(':')[0]!
  const { result, output } = await capturingOutput(() => fixture.invoke(event, deps))

  expect(result.outcome.errors).toEqual([])
  expect(result.response.batchItemFailures).toEqual([])

  const entries = new Map((await fixture.quarantine()).map((item) => [item[tableSchemas.quarantine.partitionKey.name]!.S!, item]))
  const decisions = await scanTable(aws.dynamo, fixture.names.decisions)
  const sourceOf = new Map(decisions.map((item) => [item.transactionId!.S!, item.source!.S!]))
  const decidedSources = new Set(sourceOf.values())

  const users = specs.flatMap((spec, r) => spec.users.map((user, sub) => ({ ...user, key: `${shardId}/${event.Records[r]!.kinesis.sequenceNumber}:${sub}` })))
  const firstWithId = new Map<string, string>()
  for (const user of users) {
    const entry = entries.get(user.key)
    const label = `${user.label} at ${user.key}`
    if (entry?.code?.S === 'event_time_skew') {
      expect(user.verdict.valid !== false && !inEventTimeRange(user.data), `${label}: refused for an event time in range`).toBe(true)
      expect(decidedSources.has(user.key), `${label}: both decided and quarantined`).toBe(false)
      continue
    }
    if (!entry) expect(inEventTimeRange(user.data), `${label}: decided with an event time out of range`).toBe(true)
    if (entry) {
      expect(decidedSources.has(user.key), `${label}: both decided and quarantined`).toBe(false)
      expectVerdict({ ok: false, error: { code: entry.code!.S!, issues: JSON.parse(entry.issues!.S!) } }, user.verdict, label)
      expect(entry.excerpt, `${label}: record text kept`).toBeUndefined()
      for (const field of ['shape', 'partitionKey', 'issues']) expect(containsPan(entry[field]!.S!), `${label}: a PAN in ${field}`).toBe(false)
      continue
    }
    expectVerdict({ ok: true }, user.verdict, label)
    const id = transactionIdOf(user.data)!
    const first = firstWithId.get(id) ?? user.key
    firstWithId.set(id, first)
    // A repeated transaction id is the same transaction: it ends as the decision of its first record.
    expect(sourceOf.get(id), `${label}: neither decided nor quarantined`).toBe(first)
  }
  expect(entries.size + decidedSources.size, 'rows for records that do not exist').toBe(users.filter((u) => entries.has(u.key)).length + firstWithId.size)

  // Nothing logged may look like a card number: ids that do are refused before anything logs them.
  expect(panLikeRuns(output), 'a card number in the logs').toEqual([])
}

describe('fuzz: the real scorer on dynalite', () => {
  it('property: no batch fails; every user record is decided or quarantined, once, with its reason; nothing PAN-like is kept or logged', async () => {
    await fc.assert(fc.asyncProperty(fc.array(kinesisRecordSpec, { minLength: 1, maxLength: 6 }), scoreAndCheck), fuzzParameters(1 / 10))
  }, fuzzTimeout(40_000))
})
