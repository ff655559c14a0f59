/**
 * The bytes of one user record, with what the scorer must make of them: a transaction, or a
 * quarantine entry whose code (and, for a schema error, whose issue paths) say why. Valid and
 * near-valid transactions come from ./transactions.ts; the hostile payloads here are what a broken
 * or malicious producer can put on a stream: records up to Kinesis's 1 MB limit, JSON nested
 * hundreds of thousands deep, other top-level types, bytes that are not UTF-8, byte order marks,
 * NUL bytes.
 */
import { isUtf8 } from 'node:buffer'
import fc from 'fast-check'
import { luhnPan } from './pans.ts'
import type { WireTransaction } from '../../../functions/core/transaction.ts'
import { labelledValid, nearValidTransaction, validTransaction, type Expectation } from './transactions.ts'

/** Kinesis's limit on a record's data (a KPL aggregate included). */
export const kinesisRecordLimit = 1024 * 1024

export type QuarantineCode = 'invalid_json' | 'invalid_transaction' | 'invalid_utf8' | 'pan_in_identifier'

/** As `Expectation`, with the code of a refusal; path '' admits issues anywhere. */
export type Verdict = { valid: true } | { valid: 'either'; path: string } | { valid: false; code: QuarantineCode; path: string }

export interface Payload {
  data: Uint8Array
  label: string
  verdict: Verdict
}

const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'))
const bom = Uint8Array.of(0xef, 0xbb, 0xbf)
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts))

const hole = '@hole@'

/** The JSON of `txn` before and after the value of `field` (`name` or `object.name`), to splice raw text or bytes in. */
function jsonAround(txn: WireTransaction, field: string): [string, string] {
  const [head, leaf] = field.split('.') as [string, string | undefined]
  const objects = txn as unknown as Record<string, Record<string, unknown> | undefined>
  const json = JSON.stringify({ ...txn, [head]: leaf ? { ...objects[head], [leaf]: hole } : hole })
  return json.split(`"${hole}"`) as [string, string]
}

const fromExpectation = (expect: Expectation): Verdict => (expect.valid === false ? { valid: false, code: expect.code ?? 'invalid_transaction', path: expect.path } : expect)

const transactionPayload = (arb: typeof labelledValid): fc.Arbitrary<Payload> =>
  arb.map(({ txn, mutation, expect }) => ({ data: utf8(JSON.stringify(txn)), label: `transaction (${mutation})`, verdict: fromExpectation(expect) }))

export const validPayload = transactionPayload(labelledValid)
export const nearValidPayload = transactionPayload(nearValidTransaction)

const refused = (code: QuarantineCode, path = ''): Verdict => ({ valid: false, code, path })
const text = (label: string, body: string, verdict: Verdict): Payload => ({ data: utf8(body), label, verdict })

/** Sizes up to what still fits a Kinesis record once wrapped in a transaction. */
const hugeLength = fc.oneof(fc.integer({ min: 129, max: 4096 }), fc.integer({ min: 4096, max: kinesisRecordLimit - 8192 }))

const huge = fc.oneof(
  fc.tuple(validTransaction, hugeLength, fc.constantFrom('x', 'é', '😀', '7')).map(([txn, length, unit]) => {
    const id = unit.repeat(Math.max(130, Math.floor(length / Buffer.byteLength(unit))))
    return text(`merchant.id of ${id.length} × ${unit}`, JSON.stringify({ ...txn, merchant: { id } }), refused('invalid_transaction', 'merchant.id'))
  }),
  fc.tuple(hugeLength, luhnPan).map(([length, pan]) => text(`string of ${length} digits`, JSON.stringify(pan.repeat(Math.ceil(length / pan.length))), refused('invalid_transaction'))),
  fc.tuple(hugeLength, luhnPan).map(([length, pan]) => text(`number of ${length} digits`, '1' + pan.repeat(Math.ceil(length / pan.length)), refused('invalid_transaction'))),
  fc.tuple(validTransaction, hugeLength, luhnPan).map(([txn, length, pan]) => {
    const notes = Array.from({ length: Math.ceil(length / (pan.length + 3)) }, () => pan)
    return text(`${notes.length} PANs in an unknown field`, JSON.stringify({ ...txn, amount: -1, notes }), refused('invalid_transaction', 'amount'))
  }),
)

/** Within 1 MB: arrays nest to half a million. */
const depth = fc.oneof(fc.constantFrom(10_000), fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 20_000, max: 500_000 }))

const deep = fc.oneof(
  depth.map((d) => text(`array nested ${d} deep`, '['.repeat(d) + ']'.repeat(d), refused('invalid_transaction'))),
  depth.map((d) => Math.min(d, 150_000)).map((d) => text(`object nested ${d} deep`, '{"a":'.repeat(d) + '1' + '}'.repeat(d), refused('invalid_transaction'))),
  fc.tuple(validTransaction, depth.map((d) => Math.min(d, 150_000)), fc.constantFrom('location', 'merchant.mcc', 'card')).map(([txn, d, field]) => {
    const [before, after] = jsonAround(txn, field)
    return text(`${field} nested ${d} deep`, before + '{"k":'.repeat(d) + '[]' + '}'.repeat(d) + after, refused('invalid_transaction', field))
  }),
  fc.tuple(validTransaction, depth.map((d) => Math.min(d, 150_000))).map(([txn, d]) => {
    // Unknown fields are stripped unread, however deep.
    const nested = '{"k":'.repeat(d) + '[]' + '}'.repeat(d)
    return text(`unknown field nested ${d} deep`, JSON.stringify({ ...txn, extra: '@deep@' }).replace('"@deep@"', nested), { valid: true })
  }),
)

const wrongTopLevel = fc.oneof(
  fc.constantFrom('null', 'true', 'false', '0', '-1.5e300', '"tx"', '[]', '{}').map((body) => text(`top-level ${body}`, body, refused('invalid_transaction'))),
  validTransaction.map((txn) => text('transaction in an array', JSON.stringify([txn]), refused('invalid_transaction'))),
  validTransaction.map((txn) => text('transaction as a JSON string', JSON.stringify(JSON.stringify(txn)), refused('invalid_transaction'))),
  validTransaction.map((txn) => text('two transactions, one per line', `${JSON.stringify(txn)}\n${JSON.stringify(txn)}`, refused('invalid_json'))),
)

/** Byte sequences no UTF-8 decoder may accept: stray continuation bytes, overlongs, surrogates, truncations, 0xF5–0xFF. */
const invalidSequences = [[0x80], [0xbf], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xff], [0xfe, 0xff]]

const invalidUtf8 = fc.oneof(
  fc.tuple(validTransaction, fc.constantFrom(...invalidSequences), fc.constantFrom('merchant.id', 'accountId', 'device.id')).map(([txn, bytes, field]) => {
    const [before, after] = jsonAround(txn, field)
    const data = concat(utf8(`${before}"m`), Uint8Array.from(bytes), utf8(`"${after}`))
    return { data, label: `invalid UTF-8 ${Buffer.from(bytes).toString('hex')} in ${field}`, verdict: refused('invalid_utf8') }
  }),
  fc.uint8Array({ minLength: 1, maxLength: 512 }).map((data) => ({ data, label: 'random bytes', verdict: isUtf8(data) ? refusedUnlessJson(data) : refused('invalid_utf8') })),
  validTransaction.map((txn) => new Uint8Array(Buffer.from(JSON.stringify(txn), 'utf16le'))).map((data) => ({ data, label: 'UTF-16LE', verdict: refused(isUtf8(data) ? 'invalid_json' : 'invalid_utf8') })),
)

/** Random UTF-8 text is refused as JSON, or (rarely) parses to a value that is not a transaction. */
function refusedUnlessJson(data: Uint8Array): Verdict {
  try {
    JSON.parse(Buffer.from(data).toString('utf8'))
    return refused('invalid_transaction')
  } catch {
    return refused('invalid_json')
  }
}

/** RFC 8259 lets a parser ignore one leading byte order mark; a second one is text that is not JSON. */
const byteOrderMarks = fc.oneof(
  labelledValid.map(({ txn }) => ({ data: concat(bom, utf8(JSON.stringify(txn))), label: 'BOM + transaction', verdict: { valid: true } as Verdict })),
  nearValidTransaction.map(({ txn, mutation, expect }) => ({ data: concat(bom, utf8(JSON.stringify(txn))), label: `BOM + transaction (${mutation})`, verdict: fromExpectation(expect) })),
  validTransaction.map((txn) => ({ data: concat(bom, bom, utf8(JSON.stringify(txn))), label: 'two BOMs + transaction', verdict: refused('invalid_json') })),
  validTransaction.map((txn) => ({ data: concat(Uint8Array.of(0xff, 0xfe), new Uint8Array(Buffer.from(JSON.stringify(txn), 'utf16le'))), label: 'UTF-16 BOM + transaction', verdict: refused('invalid_utf8') })),
)

const nul = fc.oneof(
  fc.tuple(validTransaction, fc.integer({ min: 1, max: 8 })).map(([txn, n]) => text(`transaction + ${n} NUL bytes`, JSON.stringify(txn) + '\0'.repeat(n), refused('invalid_json'))),
  fc.tuple(validTransaction, fc.nat()).map(([txn, at]) => {
    const json = JSON.stringify(txn)
    const cut = 1 + (at % (json.length - 1))
    return text('NUL byte inside the JSON', json.slice(0, cut) + '\0' + json.slice(cut), refused('invalid_json'))
  }),
  fc.integer({ min: 1, max: 64 }).map((n) => text(`${n} NUL bytes`, '\0'.repeat(n), refused('invalid_json'))),
)

const malformedJson = fc.oneof(
  fc.constantFrom('', ' ', '\n', '{', '}', "{'transactionId':'x'}", '{"a":1,}', 'NaN', 'undefined').map((body) => text(`malformed ${JSON.stringify(body)}`, body, refused('invalid_json'))),
  fc.tuple(validTransaction, fc.nat()).map(([txn, at]) => {
    const json = JSON.stringify(txn)
    return text('truncated transaction', json.slice(0, at % json.length), refused('invalid_json'))
  }),
  validTransaction.map((txn) => {
    const json = JSON.stringify(txn)
    // Duplicate keys: JSON.parse keeps the last.
    return text('duplicate amount key, the last negative', `${json.slice(0, -1)},"amount":-1}`, refused('invalid_transaction', 'amount'))
  }),
)

export const hostilePayload: fc.Arbitrary<Payload> = fc.oneof(huge, deep, wrongTopLevel, invalidUtf8, byteOrderMarks, nul, malformedJson)

/** Any user record: valid, near-valid or hostile in about equal shares. */
export const anyPayload: fc.Arbitrary<Payload> = fc.oneof(validPayload, nearValidPayload, hostilePayload)
