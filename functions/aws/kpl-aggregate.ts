/**
 * The KPL's aggregated record: the magic bytes, a protobuf `AggregatedRecord`, and the MD5 of that
 * protobuf (https://github.com/awslabs/amazon-kinesis-producer/blob/master/aggregation-format.md).
 * Decoded here rather than with aws-kinesis-agg, whose protobufjs runtime is 80 KB of the scorer's
 * bundle for a three-field schema:
 *
 *   AggregatedRecord { repeated string partition_key_table = 1; repeated string explicit_hash_key_table = 2; repeated Record records = 3 }
 *   Record { required uint64 partition_key_index = 1; optional uint64 explicit_hash_key_index = 2; required bytes data = 3; repeated Tag tags = 4 }
 */
import { createHash } from 'node:crypto'

const magic = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2)
const digestLength = 16

export interface AggregatedUserRecord {
  /** Undefined when the record's key index is past the key table. */
  readonly partitionKey: string | undefined
  readonly data: Uint8Array
}

/** `plain`: not an aggregate; `corrupt`: an aggregate that does not decode, fails its MD5 or holds no record. */
export type Deaggregated =
  | { readonly kind: 'plain' }
  | { readonly kind: 'aggregate'; readonly records: readonly AggregatedUserRecord[] }
  | { readonly kind: 'corrupt' }

function isAggregate(bytes: Uint8Array): boolean {
  return bytes.length >= magic.length && magic.every((byte, i) => bytes[i] === byte)
}

export function deaggregate(bytes: Uint8Array): Deaggregated {
  if (!isAggregate(bytes)) return { kind: 'plain' }
  if (bytes.length < magic.length + digestLength) return { kind: 'corrupt' }
  const message = bytes.subarray(magic.length, bytes.length - digestLength)
  const digest = createHash('md5').update(message).digest()
  if (!digest.equals(bytes.subarray(bytes.length - digestLength))) return { kind: 'corrupt' }
  try {
    const records = decodeAggregatedRecord(message)
    return records.length === 0 ? { kind: 'corrupt' } : { kind: 'aggregate', records }
  } catch (error) {
    if (error instanceof MalformedProtobuf) return { kind: 'corrupt' }
    throw error
  }
}

class MalformedProtobuf extends Error {}

const utf8 = new TextDecoder()

function decodeAggregatedRecord(message: Uint8Array): AggregatedUserRecord[] {
  const keys: string[] = []
  const entries: Array<{ keyIndex: number; data: Uint8Array }> = []
  for (const field of fields(message)) {
    if (field.number === 1 && field.bytes) keys.push(utf8.decode(field.bytes))
    else if (field.number === 3 && field.bytes) entries.push(decodeRecord(field.bytes))
  }
  return entries.map(({ keyIndex, data }) => ({ partitionKey: keys[keyIndex], data }))
}

function decodeRecord(message: Uint8Array): { keyIndex: number; data: Uint8Array } {
  let keyIndex: number | undefined
  let data: Uint8Array | undefined
  for (const field of fields(message)) {
    if (field.number === 1 && field.varint !== undefined) keyIndex = field.varint
    else if (field.number === 3 && field.bytes) data = field.bytes
  }
  // Both are `required` in the schema: a record without them is not a KPL record.
  if (keyIndex === undefined || data === undefined) throw new MalformedProtobuf('a record lacks its key index or data')
  return { keyIndex, data }
}

interface Field {
  readonly number: number
  readonly varint?: number
  readonly bytes?: Uint8Array
}

/** The fields of one protobuf message; fixed-width fields are skipped, groups are refused. */
function* fields(message: Uint8Array): Generator<Field> {
  let at = 0
  const varint = (): number => {
    let value = 0
    for (let shift = 0; ; shift += 7) {
      if (at >= message.length || shift > 49) throw new MalformedProtobuf('a varint runs past its message or 2^53')
      const byte = message[at++]!
      value += (byte & 0x7f) * 2 ** shift
      if ((byte & 0x80) === 0) return value
    }
  }
  const skip = (length: number) => {
    if (at + length > message.length) throw new MalformedProtobuf('a field runs past its message')
    at += length
  }
  while (at < message.length) {
    const tag = varint()
    const number = Math.floor(tag / 8)
    switch (tag % 8) {
      case 0:
        yield { number, varint: varint() }
        break
      case 1:
        skip(8)
        break
      case 2: {
        const length = varint()
        const start = at
        skip(length)
        yield { number, bytes: message.subarray(start, at) }
        break
      }
      case 5:
        skip(4)
        break
      default:
        throw new MalformedProtobuf(`wire type ${tag % 8}`)
    }
  }
}
