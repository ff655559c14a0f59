/**
 * Transactions as producers write them: valid ones (every field the wire schema allows, at its
 * edges), and near-valid ones, a valid transaction with one field changed, labelled with what the
 * parser must make of it: accepted, or refused with an issue at the changed path.
 */
import fc from 'fast-check'
import type { WireTransaction } from '../../../functions/core/transaction.ts'
import { containsPan } from '../../../functions/core/pan-text.ts'
import { luhnPan, panNotation } from './pans.ts'

type Loose = Record<string, unknown>

/**
 * What the parser must answer: valid, invalid with every issue at or under `path` (with `code`,
 * when not `invalid_transaction`), or either (but a refusal names `path`).
 */
export type Expectation = { valid: true } | { valid: false; path: string; code?: 'pan_in_identifier' } | { valid: 'either'; path: string }

export interface LabelledTransaction {
  txn: unknown
  /** What was changed, for the report of a failing run. */
  mutation: string
  expect: Expectation
}

const valid: Expectation = { valid: true }
const invalidAt = (path: string): Expectation => ({ valid: false, path })

const idChars = fc.constantFrom(...'ABCXYZabcxyz0189_.:-')
/** A valid id holds no PAN by the PAN text policy (a PAN-shaped id is refused: see `panElsewhere`). */
const withoutPan = (id: string) => !containsPan(id)
const transactionId = fc.string({ unit: idChars, minLength: 1, maxLength: 128 }).filter(withoutPan)

/** Free text as an id may hold it: any code points (astral ones, RTL marks, NUL), 1–128 of them (zod counts code points). */
const freeId = fc.oneof(fc.string({ minLength: 1, maxLength: 128 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 128 })).filter(withoutPan)

const offsets = ['Z', '+00:00', '+05:30', '-08:00', '+14:00', '-12:00']

// Mostly in the month before the scorer fixture's clock (test/support/scorer.ts), whatever the
// offset, so the scorer decides them; the rest anywhere, so its event-time bound refuses them.
const eventDate = fc.oneof(
  { arbitrary: fc.date({ min: new Date('2026-10-26T03:00:00Z'), max: new Date('2026-11-24T00:00:00Z'), noInvalidDate: true }), weight: 3 },
  { arbitrary: fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }), weight: 1 },
)

const occurredAt = fc
  .tuple(eventDate, fc.constantFrom(...offsets), fc.constantFrom(0, 3, 6, 9))
  .map(([date, offset, fraction]) => {
    const [seconds, millis] = date.toISOString().slice(0, -1).split('.') as [string, string]
    return `${seconds}${fraction === 0 ? '' : `.${(millis + '000000').slice(0, fraction)}`}${offset}`
  })

const currencies = Intl.supportedValuesOf('currency')

const panCard = luhnPan.map((pan) => ({ pan }))
const tokenCard = fc.record(
  // Under k1, the tests' key (test/support/transactions.ts): a token under a key that is not live is refused.
  { token: fc.stringMatching(/^k1_[A-Za-z0-9_-]{43}$/), bin: fc.stringMatching(/^\d{6}$/), last4: fc.stringMatching(/^\d{4}$/) },
  { requiredKeys: ['token'] },
)

const ip = fc.oneof(fc.ipV4(), fc.ipV6())
const coordinates = { lat: fc.double({ min: -90, max: 90, noNaN: true }), lon: fc.double({ min: -180, max: 180, noNaN: true }) }

const parts = {
  transactionId,
  occurredAt,
  amount: fc.oneof(fc.maxSafeNat(), fc.nat({ max: 1_000_000 })),
  currency: fc.constantFrom(...currencies),
  channel: fc.constantFrom('card_present', 'ecommerce', 'atm', 'moto'),
}

/** A valid transaction; optional fields present or not. */
export const validTransaction: fc.Arbitrary<WireTransaction> = fc.record(
  {
    ...parts,
    card: fc.oneof(panCard, tokenCard),
    accountId: freeId,
    merchant: fc.record({ id: freeId, mcc: fc.stringMatching(/^\d{4}$/), country: fc.stringMatching(/^[A-Z]{2}$/) }, { requiredKeys: ['id'] }),
    device: fc.record({ id: freeId, ip }, { requiredKeys: [] }),
    location: fc.record(coordinates),
  },
  { requiredKeys: ['transactionId', 'occurredAt', 'amount', 'currency', 'card', 'merchant', 'channel'] },
) as fc.Arbitrary<WireTransaction>

/** A valid transaction with every optional field present, so one change to a leaf breaks nothing else. */
const fullTransaction = fc.record({
  ...parts,
  card: fc.oneof(panCard, tokenCard),
  accountId: freeId,
  merchant: fc.record({ id: freeId, mcc: fc.stringMatching(/^\d{4}$/), country: fc.stringMatching(/^[A-Z]{2}$/) }),
  device: fc.record({ id: freeId, ip }),
  location: fc.record(coordinates),
})

interface Mutation {
  name: string
  apply: (txn: Loose) => Loose
  expect: Expectation
}

/** `txn` with the value at `keys` replaced (or removed); `__proto__` and the like become own keys, as JSON.parse makes them. */
function withPath(txn: Loose, keys: readonly string[], value: unknown, remove = false): Loose {
  const copy = structuredClone(txn)
  let at: Loose = copy
  for (const key of keys.slice(0, -1)) at = at[key] as Loose
  const last = keys.at(-1)!
  if (remove) delete at[last]
  else Object.defineProperty(at, last, { value, enumerable: true, writable: true, configurable: true })
  return copy
}

const set = (path: string | readonly string[], value: unknown, expect: Expectation, name = `${String(path)} = ${preview(value)}`): Mutation => ({
  name,
  apply: (txn) => withPath(txn, typeof path === 'string' ? path.split('.') : path, value),
  expect,
})

const preview = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}

/** Where an issue about a field is reported: inside the card union, on `card` or one of its keys. */
const reportedAt = (path: string) => (path.startsWith('card') ? 'card' : path)

const requiredPaths = ['transactionId', 'occurredAt', 'amount', 'currency', 'card', 'merchant', 'merchant.id', 'channel']
const optionalPaths = ['accountId', 'merchant.mcc', 'merchant.country', 'device', 'device.id', 'device.ip', 'location']

const missing = fc.oneof(
  fc.constantFrom(...requiredPaths).map((path): Mutation => ({ name: `no ${path}`, apply: (txn) => withPath(txn, path.split('.'), undefined, true), expect: invalidAt(path) })),
  fc.constantFrom(...optionalPaths).map((path): Mutation => ({ name: `no ${path}`, apply: (txn) => withPath(txn, path.split('.'), undefined, true), expect: valid })),
)

const kindOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value)

const jsonKinds: Record<string, fc.Arbitrary<unknown>> = {
  null: fc.constant(null),
  boolean: fc.boolean(),
  number: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
  string: fc.string({ maxLength: 20 }),
  array: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  object: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
}

const typedPaths: Record<string, string> = {
  transactionId: 'string',
  occurredAt: 'string',
  amount: 'number',
  currency: 'string',
  card: 'object',
  'card.pan': 'string',
  accountId: 'string',
  merchant: 'object',
  'merchant.id': 'string',
  'merchant.mcc': 'string',
  'merchant.country': 'string',
  channel: 'string',
  device: 'object',
  'device.id': 'string',
  'device.ip': 'string',
  location: 'object',
  'location.lat': 'number',
  'location.lon': 'number',
}

const wrongType = fc
  .constantFrom(...Object.keys(typedPaths))
  .chain((path) =>
    fc.oneof(...Object.entries(jsonKinds).filter(([kind]) => kind !== typedPaths[path]).map(([, arb]) => arb)).map((value) => ({ path, value })),
  )
  .map(({ path, value }): Mutation => {
    // A card number of the wrong type leaves no {pan} to tokenize: replaced whole, with the change inside.
    if (path === 'card.pan') return set('card', { pan: value }, invalidAt('card'), `card.pan is ${kindOf(value)}`)
    return set(path, value, invalidAt(reportedAt(path)), `${path} is ${kindOf(value)}`)
  })

const maxSafe = Number.MAX_SAFE_INTEGER
const x = (n: number) => 'x'.repeat(n)

/** Values at and just past the edges of each field's rule: accepted ones, then refused ones. */
const edges: Record<string, [accepted: unknown[], refused: unknown[]]> = {
  amount: [[0, maxSafe], [maxSafe + 1, -1, 0.5, 1e21]],
  'location.lat': [[90, -90], [90.000001]],
  'location.lon': [[180, -180], [-180.0001]],
  transactionId: [[x(128)], [x(129), '', 'tx 1', 'tx-é']],
  'merchant.id': [[x(128)], [x(129), '']],
  accountId: [['😀'.repeat(128)], ['', '😀'.repeat(129)]],
  'device.id': [[], [x(129)]],
  'merchant.mcc': [['0000'], ['999', '12345', '１２３４']],
  'merchant.country': [['ZZ'], ['fr', 'FRA']],
  currency: [[], ['eur', 'EURO', 'XXX']],
  occurredAt: [['2026-11-24T10:15:30.123456789Z', '2026-11-24T10:15:30-12:00'], ['2026-11-24T10:15:30', '2026-02-30T10:15:30Z', '2026-11-24T10:15:30+25:00', '2026-11-24T10:15:30+23:59', '2026-11-24T10:15:30-12:01', '2026-11-24']],
  channel: [[], ['online', 'ECOMMERCE']],
  'device.ip': [['::ffff:192.0.2.1'], ['256.0.0.1', '1.2.3', 'fe80::1%eth0']],
  card: [
    [{ token: `k1_${x(43)}` }, { token: `k1_${'-'.repeat(43)}` }],
    [
      { pan: '4111 1111 1111 1111' },
      { pan: '411111111111111111111' },
      { pan: '４１１１１１１１１１１１１１１１' },
      { token: x(46) },
      { token: `k1_${x(42)}` },
      { token: `k1_${x(44)}` },
      { token: `K1_${x(43)}` },
      { token: `1k_${x(43)}` },
      { token: `k2_${x(43)}` },
      { token: `k1_${x(42)}=` },
      { token: `k1_${x(43)}`, bin: '12345' },
      { token: `k1_${x(43)}`, last4: 'abcd' },
      {},
    ],
  ],
}

const boundaries: Mutation[] = Object.entries(edges).flatMap(([path, [accepted, refused]]) => [
  ...accepted.map((value) => set(path, value, valid)),
  ...refused.map((value) => set(path, value, invalidAt(path))),
])

const lengthBoundPan = fc.constantFrom(12, 19).chain((length) => luhnPan.filter((pan) => pan.length === length))
const luhnEdges = fc.oneof(
  lengthBoundPan.map((pan) => set('card', { pan }, valid, `${pan.length}-digit pan`)),
  luhnPan.map((pan) => set('card', { pan: `${pan.slice(0, -1)}${(Number(pan.at(-1)) + 1) % 10}` }, invalidAt('card'), 'pan fails Luhn')),
)

/** Keys the schema does not name: stripped from the transaction, except inside the strict card. */
const extraKey = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'))
const extraFields = fc
  .tuple(fc.constantFrom('', 'merchant', 'device', 'location', 'card'), extraKey, fc.jsonValue({ maxDepth: 2 }))
  .filter(([at, key]) => !(at === '' ? Object.keys(typedPaths) : Object.keys(typedPaths).filter((p) => p.startsWith(`${at}.`)).map((p) => p.slice(at.length + 1))).includes(key))
  .filter(([at, key]) => !(at === 'card' && ['pan', 'token', 'bin', 'last4'].includes(key)))
  .map(([at, key, value]): Mutation => set(at === '' ? [key] : [at, key], value, at === 'card' ? invalidAt('card') : valid, `extra ${at || 'top-level'} key ${JSON.stringify(key)}`))

/** An unknown key inside the strict card that is a card number in some notation: refused, and the issue must not echo it. */
const panKeyInCard = panNotation.map(({ written, notation }) => set(['card', written], true, invalidAt('card'), `extra card key: a PAN ${notation}`))

/** Code points that trip up text handling: controls, NUL, bidi overrides, joiners, combining marks, astral, unpaired surrogates. */
const oddText = fc
  .array(fc.constantFrom('\u0000', '\u0007', '\u001f', '\u007f', '\u202e', '\u200d', '\ufeff', '\u0301', '😀', '\ud800', '\udfff', '\uffff', 'Z', '\u2028'), { minLength: 1, maxLength: 40 })
  .map((chars) => chars.join(''))
const oddUnicode = fc.oneof(
  fc.tuple(fc.constantFrom('merchant.id', 'accountId', 'device.id'), oddText).map(([path, text]) => set(path, text, [...text].length <= 128 ? valid : invalidAt(path))),
  // Only Zs would be a valid transaction id or country code.
  fc.tuple(fc.constantFrom('transactionId', 'currency', 'channel', 'occurredAt', 'merchant.mcc', 'merchant.country', 'device.ip'), oddText.filter((text) => /[^Z]/.test(text))).map(([path, text]) => set(path, text, invalidAt(path))),
)

/** A PAN in an id, in a notation the id's schema takes: `transactionId` allows only A-Z a-z 0-9 _ . : - */
const panShapedId = fc.oneof(
  fc.tuple(fc.constantFrom('accountId', 'merchant.id', 'device.id'), panNotation).filter(([, { written }]) => [...written].length <= 128),
  fc.tuple(fc.constant('transactionId'), panNotation).filter(([, { written }]) => /^[A-Za-z0-9_.:-]{1,128}$/.test(written)),
)

/**
 * Card numbers where none belongs. In a field with a fixed format they are refused; in an id,
 * in any notation, they are refused as `pan_in_identifier`, named by the id's path.
 */
const panElsewhere = fc.oneof(
  fc.tuple(fc.constantFrom('currency', 'channel', 'occurredAt', 'merchant.mcc', 'merchant.country', 'device.ip', 'amount'), luhnPan).map(([path, pan]) => set(path, pan, invalidAt(path), `pan in ${path}`)),
  luhnPan.map((pan) => set('transactionId', `${pan}!`, invalidAt('transactionId'), 'pan in transactionId')),
  luhnPan.map((pan) => set('card', { pan, token: pan }, invalidAt('card'), 'pan beside a token')),
  luhnPan.map((pan) => set('card', { pan, cvv: pan.slice(-3), note: pan }, invalidAt('card'), 'pan repeated in card')),
  fc.tuple(fc.constantFrom('transactionId', 'accountId', 'merchant.id', 'device.id'), luhnPan).map(([path, pan]) => set(path, pan, { valid: false, path, code: 'pan_in_identifier' }, `pan as ${path}`)),
  panShapedId.map(([path, { written, notation }]) => set(path, written, { valid: false, path, code: 'pan_in_identifier' }, `pan ${notation} as ${path}`)),
  luhnPan.map((pan) => set('card', { token: pan }, invalidAt('card.token'), 'pan as card.token')),
)

const mutation: fc.Arbitrary<Mutation> = fc.oneof(missing, wrongType, fc.constantFrom(...boundaries), luhnEdges, extraFields, panKeyInCard, oddUnicode, panElsewhere)

/** A valid transaction with one field changed, and what the parser must make of it. */
export const nearValidTransaction: fc.Arbitrary<LabelledTransaction> = fc
  .tuple(fullTransaction, mutation)
  .map(([txn, change]) => ({ txn: change.apply(txn as Loose), mutation: change.name, expect: change.expect }))

export const labelledValid: fc.Arbitrary<LabelledTransaction> = validTransaction.map((txn) => ({ txn, mutation: 'none', expect: valid }))
