import agg from 'aws-kinesis-agg'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { deaggregate } from '../../../functions/aws/kpl-aggregate.ts'

/** Aggregates as the KPL does, with the reference implementation (awslabs' aws-kinesis-agg). */
function aggregateWithKpl(records: ReadonlyArray<{ partitionKey: string; data: Uint8Array }>): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = []
    agg.aggregate(
      records.map((r) => ({ partitionKey: r.partitionKey, data: Buffer.from(r.data) })),
      (encoded, done) => {
        out.push(Buffer.from(encoded.data))
        done()
      },
      () => resolve(out),
      reject,
    )
  })
}

/** What the reference implementation's own deaggregator reads from `bytes`. */
function deaggregateWithReference(bytes: Buffer): Array<{ partitionKey: string; data: Buffer }> {
  let users: Array<{ partitionKey: string; data: string }> = []
  agg.deaggregateSync({ data: bytes.toString('base64') } as Parameters<typeof agg.deaggregateSync>[0], true, (error, found) => {
    if (error) throw error
    users = found ?? []
  })
  return users.map((u) => ({ partitionKey: u.partitionKey, data: Buffer.from(u.data, 'base64') }))
}

const decodedRecords = (bytes: Buffer) => {
  const result = deaggregate(bytes)
  expect(result.kind).toBe('aggregate')
  return result.kind === 'aggregate' ? result.records.map((r) => ({ partitionKey: r.partitionKey, data: Buffer.from(r.data) })) : []
}

const records = (partitionKey: fc.Arbitrary<string>) =>
  fc.array(fc.record({ partitionKey, data: fc.uint8Array({ minLength: 1, maxLength: 300 }) }), { minLength: 1, maxLength: 40 })

describe('KPL aggregate decoding', () => {
  it('reads every aggregate exactly as the reference deaggregator does', async () => {
    await fc.assert(
      fc.asyncProperty(records(fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' })), async (input) => {
        for (const bytes of await aggregateWithKpl(input)) expect(decodedRecords(bytes)).toEqual(deaggregateWithReference(bytes))
      }),
      { numRuns: 100 },
    )
  })

  it('gives back every user record, key and bytes, in order', async () => {
    // Keys that are not array indexes or Object.prototype names: the reference aggregator builds its
    // key table from a plain object and writes wrong indexes for those (its bug, read back alike above).
    const key = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).map((k) => `k-${k}`)
    await fc.assert(
      fc.asyncProperty(records(key), async (input) => {
        const decoded = (await aggregateWithKpl(input)).flatMap(decodedRecords)
        expect(decoded).toEqual(input.map((r) => ({ partitionKey: r.partitionKey, data: Buffer.from(r.data) })))
      }),
      { numRuns: 100 },
    )
  })

  it('calls an aggregate corrupt when any byte after the magic changes or it is cut short', async () => {
    const [bytes] = await aggregateWithKpl([{ partitionKey: 'card', data: Buffer.from('{"transactionId":"tx-1"}') }])
    await fc.assert(
      fc.property(fc.integer({ min: 4, max: bytes!.length - 1 }), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 4, max: bytes!.length - 1 }), (at, flip, cut) => {
        const flipped = Buffer.from(bytes!)
        flipped[at]! ^= flip
        expect(deaggregate(flipped).kind).toBe('corrupt')
        expect(deaggregate(bytes!.subarray(0, cut)).kind).toBe('corrupt')
      }),
    )
  })

  it('passes anything without the magic bytes through as a plain record', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }).filter((b) => !(b[0] === 0xf3 && b[1] === 0x89 && b[2] === 0x9a && b[3] === 0xc2)), (bytes) => {
        expect(deaggregate(bytes)).toEqual({ kind: 'plain' })
      }),
    )
  })
})
