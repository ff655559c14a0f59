/** What fuzzing the stream found, pinned: each case once lost, crashed or misread a record. */
import { describe, expect, it } from 'vitest'
import { userRecords } from '../../functions/aws/kinesis-records.ts'
import { parseRecord, quarantineEntry } from '../../functions/score/process-batch.ts'
import { useEmulators } from '../support/emulators.ts'
import { scorerFixture } from '../support/scorer.ts'
import { testKey, wireExample } from '../support/transactions.ts'
import { aggregatedRecord, framed, kinesisEvent } from './arbitraries/kinesis.ts'

const aws = useEmulators()
const now = new Date('2026-11-24T12:00:00.000Z')
const json = (value: unknown) => new Uint8Array(Buffer.from(JSON.stringify(value)))
const plainRecord = (data: Uint8Array, partitionKey = 'card') => ({ data, partitionKey, label: '', users: [] })

function decode(data: Uint8Array, partitionKey = 'card') {
  return userRecords(kinesisEvent([plainRecord(data, partitionKey)]))
}

describe('stream records fuzzing found', () => {
  it('a KPL aggregate whose MD5 does not match is quarantined as corrupt, not decoded', () => {
    const records = decode(framed(aggregatedRecord(['card'], [{ keyIndex: 0, data: json(wireExample()) }]), new Uint8Array(16)))
    expect(records).toHaveLength(1)
    expect(parseRecord(records[0]!, testKey)).toMatchObject({ ok: false, error: { code: 'invalid_aggregate', issues: [{ path: '' }] } })
  })

  it('a KPL aggregate of no user records, or the magic alone, is quarantined rather than lost', () => {
    for (const data of [framed(new Uint8Array()), Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2)]) {
      const records = decode(data)
      expect(records).toHaveLength(1)
      expect(parseRecord(records[0]!, testKey)).toMatchObject({ ok: false, error: { code: 'invalid_aggregate' } })
    }
  })

  it('a user record whose partition key index is past the key table takes the Kinesis record’s key and is quarantined without a crash', () => {
    const [record] = decode(framed(aggregatedRecord(['card'], [{ keyIndex: 3, data: json({ amount: -1 }) }])), 'outer-key')
    expect(record!.partitionKey).toBe('outer-key')
    const parsed = parseRecord(record!, testKey)
    if (parsed.ok) throw new Error('accepted')
    expect(quarantineEntry(record!, parsed.error, now)).toMatchObject({ partitionKey: 'outer-key', code: 'invalid_transaction' })
  })

  it('bytes that are not UTF-8 inside a free-text id are refused, not replaced by U+FFFD and accepted', () => {
    const [before, after] = JSON.stringify(wireExample({ merchant: { id: '@' } })).split('@') as [string, string]
    const [record] = decode(new Uint8Array(Buffer.concat([Buffer.from(before), Buffer.of(0x6d, 0xff), Buffer.from(after)])))
    expect(parseRecord(record!, testKey)).toEqual({ ok: false, error: { code: 'invalid_utf8', issues: [{ path: '', message: 'is not valid UTF-8' }] } })
  })

  it('a transaction after a UTF-8 byte order mark is read like one without', () => {
    const [record] = decode(new Uint8Array(Buffer.concat([Buffer.of(0xef, 0xbb, 0xbf), json(wireExample())])))
    expect(parseRecord(record!, testKey)).toMatchObject({ ok: true, value: { transactionId: 'tx-000123' } })
  })

  it('a refused user record with a 500 KB partition key from its aggregate is quarantined in one item, not retried forever', async () => {
    const fixture = await scorerFixture(aws)
    const key = `4111111111111111${'k'.repeat(500_000)}`
    const { outcome, response } = await fixture.invoke(kinesisEvent([plainRecord(framed(aggregatedRecord([key], [{ keyIndex: 0, data: json({ amount: -1 }) }])))]))
    expect(outcome.errors).toEqual([])
    expect(response.batchItemFailures).toEqual([])
    const [entry] = await fixture.quarantine()
    expect(entry!.partitionKey!.S).toBe(`[redacted]${'k'.repeat(246)}`)
  })
})
