/**
 * The scorer's decode path, pure and at volume: Kinesis records (plain, KPL aggregates, KPL
 * garbage) through the de-aggregation of functions/aws/kinesis-records.ts, each user record
 * through the parse of functions/score/process-batch.ts, and each refusal into the quarantine
 * entry that would be stored. scorer.test.ts runs fewer of them through the real scorer on dynalite.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { userRecords } from '../../functions/aws/kinesis-records.ts'
import { parseRecord, quarantineEntry } from '../../functions/score/process-batch.ts'
import { testKey } from '../support/transactions.ts'
import { kinesisEvent, kinesisRecordSpec, type UserVerdict } from './arbitraries/kinesis.ts'
import { nearValidTransaction, validTransaction } from './arbitraries/transactions.ts'
import { parseTransaction } from '../../functions/core/transaction.ts'
import { fuzzParameters, fuzzTimeout } from './fuzz-settings.ts'
import { expectQuarantineEntry, expectVerdict } from './verdicts.ts'

const now = new Date('2026-11-24T12:00:00.000Z')

describe('fuzz: stream records through de-aggregation, parse and quarantine', () => {
  it('every user record of every Kinesis record is found once, in order, and parsed or refused as its kind demands', () => {
    fc.assert(
      fc.property(fc.array(kinesisRecordSpec, { minLength: 1, maxLength: 4 }), (specs) => {
        const event = kinesisEvent(specs)
        const records = userRecords(event)
        const expected = specs.flatMap((spec, r) => spec.users.map((user, sub) => ({ ...user, sequenceNumber: event.Records[r]!.kinesis.sequenceNumber, sub })))
        expect(records.map((record) => `${record.position.sequenceNumber}:${record.position.subSequenceNumber}`)).toEqual(expected.map((u) => `${u.sequenceNumber}:${u.sub}`))
        records.forEach((record, i) => {
          const { verdict, label } = expected[i]!
          const parsed = parseRecord(record, testKey)
          expectVerdict(parsed, verdict as UserVerdict, label)
          if (!parsed.ok) expectQuarantineEntry(quarantineEntry(record, parsed.error, now), parsed.error)
        })
      }),
      fuzzParameters(),
    )
  }, fuzzTimeout(30_000))

  it('labelled transactions: valid ones are accepted, and a changed field is accepted or refused at its path', () => {
    fc.assert(
      fc.property(fc.oneof(validTransaction.map((txn) => ({ txn, mutation: 'none', expect: { valid: true } as const })), nearValidTransaction), ({ txn, mutation, expect: verdict }) => {
        const parsed = parseTransaction(txn, testKey)
        expectVerdict(parsed.ok ? parsed : { ok: false, error: parsed.error }, verdict.valid === false ? { ...verdict, code: verdict.code ?? 'invalid_transaction' } : verdict, mutation)
      }),
      fuzzParameters(3),
    )
  }, fuzzTimeout(20_000))
})
