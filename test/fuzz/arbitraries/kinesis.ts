/**
 * Kinesis records as Lambda delivers them: plain ones carrying one payload, KPL aggregates carrying
 * several (encoded here from the aggregation format, independently of the de-aggregating library),
 * and KPL garbage: the magic prefix 0xF3 0x89 0x9A 0xC2 before bytes that are not an aggregate, a
 * truncated one, one whose MD5 does not match, one with no user records.
 */
import { createHash } from 'node:crypto'
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda'
import fc from 'fast-check'
import { anyPayload, kinesisRecordLimit, type Payload, type Verdict } from './payloads.ts'
import { luhnPan, panNotation } from './pans.ts'

export type UserVerdict = Verdict | { valid: false; code: 'invalid_aggregate'; path: '' }

/** One Kinesis record and the user records the scorer must find in it, in order. */
export interface RecordSpec {
  data: Uint8Array
  partitionKey: string
  label: string
  users: Array<{ label: string; verdict: UserVerdict; data: Uint8Array }>
}

const magic = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2)

// --- The KPL aggregation format: magic, protobuf AggregatedRecord, MD5 of the protobuf -----------

function varint(value: number): number[] {
  const bytes: number[] = []
  let rest = value
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80)
    rest = Math.floor(rest / 0x80)
  }
  bytes.push(rest)
  return bytes
}

const lengthDelimited = (tag: number, body: Uint8Array) => Buffer.concat([Uint8Array.of(tag, ...varint(body.length)), body])

/** `AggregatedRecord { repeated string partition_key_table = 1; repeated Record records = 3; }` */
export function aggregatedRecord(partitionKeys: readonly string[], records: ReadonlyArray<{ keyIndex: number; data: Uint8Array }>): Uint8Array {
  const keys = partitionKeys.map((key) => lengthDelimited(0x0a, Buffer.from(key, 'utf8')))
  // Record { required uint64 partition_key_index = 1; required bytes data = 3; }
  const entries = records.map(({ keyIndex, data }) => lengthDelimited(0x1a, Buffer.concat([Uint8Array.of(0x08, ...varint(keyIndex)), lengthDelimited(0x1a, data)])))
  return Buffer.concat([...keys, ...entries])
}

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest()
/** A Kinesis record's data holding `protobuf` as the KPL frames it (magic, message, MD5 unless another checksum is given). */
export const framed = (protobuf: Uint8Array, checksum: Uint8Array = md5(protobuf)) => new Uint8Array(Buffer.concat([magic, protobuf, checksum]))

// --- Arbitraries ----------------------------------------------------------------------------------

/** Partition keys as Kinesis takes them: 1–256 Unicode characters, sometimes a card number, in any notation. */
const partitionKey = fc.oneof(
  fc.string({ minLength: 1, maxLength: 256 }),
  luhnPan,
  panNotation.map(({ written }) => written).filter((key) => key.length <= 256),
  fc.constantFrom('card', '0'),
)

const small = anyPayload.filter((payload) => payload.data.length <= 64 * 1024)

const plain: fc.Arbitrary<RecordSpec> = fc.tuple(anyPayload, partitionKey).map(([payload, key]) => ({
  data: payload.data,
  partitionKey: key,
  label: `plain: ${payload.label}`,
  users: [{ label: payload.label, verdict: payload.verdict, data: payload.data }],
}))

/** An aggregate as the KPL writes it; its key table may hold a key far past Kinesis's own limit, or be indexed past its end. */
const aggregate: fc.Arbitrary<RecordSpec> = fc
  .record({
    payloads: fc.array(small, { minLength: 1, maxLength: 6 }),
    keys: fc.array(fc.oneof(partitionKey, fc.integer({ min: 257, max: 600_000 }).map((n) => 'k'.repeat(n))), { minLength: 1, maxLength: 3 }),
    outer: partitionKey,
    indexes: fc.array(fc.nat({ max: 4 }), { minLength: 6, maxLength: 6 }),
  })
  .map(({ payloads, keys, outer, indexes }) => {
    const records = payloads.map((payload: Payload, i) => ({ keyIndex: indexes[i]!, data: payload.data }))
    return {
      data: framed(aggregatedRecord(keys, records)),
      partitionKey: outer,
      label: `aggregate of ${payloads.length} (keys ${keys.map((k) => k.length).join('/')} chars, indexes ${indexes.slice(0, payloads.length).join(',')})`,
      users: payloads.map((payload) => ({ label: payload.label, verdict: payload.verdict, data: payload.data })),
    }
  })
  .filter((spec) => spec.data.length <= kinesisRecordLimit)

const corrupt = (label: string) => (data: Uint8Array) => ({ data, label })

const someAggregate = fc.array(small, { minLength: 1, maxLength: 3 }).map((payloads) => aggregatedRecord(['card'], payloads.map((p) => ({ keyIndex: 0, data: p.data }))))

const garbageData = fc.oneof(
  fc.constant(magic).map(corrupt('the magic alone')),
  fc.uint8Array({ minLength: 0, maxLength: 512 }).map((bytes) => new Uint8Array(Buffer.concat([magic, bytes]))).map(corrupt('the magic before random bytes')),
  fc.constant(framed(new Uint8Array())).map(corrupt('an aggregate of no records')),
  someAggregate.map((protobuf) => framed(protobuf, new Uint8Array(16))).map(corrupt('an aggregate with a zero MD5')),
  fc.tuple(someAggregate, fc.nat()).map(([protobuf, at]) => {
    const flipped = Uint8Array.from(protobuf)
    flipped[at % flipped.length]! ^= 0x01
    return framed(flipped, md5(protobuf))
  }).map(corrupt('an aggregate with a flipped bit under the original MD5')),
  fc.tuple(someAggregate, fc.nat()).map(([protobuf, at]) => {
    const whole = framed(protobuf)
    return whole.subarray(0, 4 + (at % (whole.length - 4)))
  }).map(corrupt('a truncated aggregate')),
)

const garbage: fc.Arbitrary<RecordSpec> = fc.tuple(garbageData, partitionKey).map(([{ data, label }, key]) => ({
  data,
  partitionKey: key,
  label: `KPL garbage: ${label}`,
  users: [{ label, verdict: { valid: false, code: 'invalid_aggregate', path: '' }, data }],
}))

export const kinesisRecordSpec: fc.Arbitrary<RecordSpec> = fc.oneof(plain, aggregate, garbage)

// --- Events ---------------------------------------------------------------------------------------

let nextSequence = 49_650_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000n

/** Lambda's event for `specs`, read from one shard in order, sequence numbers fresh to this process. */
export function kinesisEvent(specs: readonly RecordSpec[], shardId = 'shardId-000000000000'): KinesisStreamEvent {
  return {
    Records: specs.map((spec): KinesisStreamRecord => {
      nextSequence += 1_000n
      const sequenceNumber = String(nextSequence)
      return {
        kinesis: { kinesisSchemaVersion: '1.0', partitionKey: spec.partitionKey, sequenceNumber, data: Buffer.from(spec.data).toString('base64'), approximateArrivalTimestamp: 1_795_000_000 },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shardId}:${sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::000000000000:role/vigil-scorer',
        awsRegion: 'us-east-1',
        eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/vigil-transactions',
      }
    }),
  }
}
