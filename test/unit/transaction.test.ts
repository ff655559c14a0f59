import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { singleKey } from '../../functions/core/keyring.ts'
import { parseTransaction, parseTransactionJson } from '../../functions/core/transaction.ts'
import { testKey, testKeySecret, wireExample, withLuhnDigit } from '../support/transactions.ts'

/** The token of `pan` under the tests' key, written out independently of core/card-token.ts. */
const hmac = (pan: string, key = testKeySecret) => `k1_${createHmac('sha256', key).update(pan).digest('base64url')}`
const issuesOf = (input: unknown) => {
  const result = parseTransaction(input, testKey)
  if (result.ok) throw new Error('expected a rejection')
  return result.error.issues
}
const pathsOf = (input: unknown) => issuesOf(input).map((i) => i.path)

describe('parseTransaction', () => {
  it('accepts the reference wire format and replaces the PAN with its keyed token, BIN and last four', () => {
    const result = parseTransaction(wireExample(), testKey)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.value.card).toEqual({ token: hmac('4111111111111111'), bin: '411111', last4: '1111' })
    expect(result.value.merchant).toEqual({ id: 'm-7', mcc: '5999', country: 'FR' })
    expect(JSON.stringify(result.value)).not.toContain('4111111111111111')
  })

  it('keeps an already tokenized card as it is', () => {
    const card = { token: hmac('5555555555554444'), bin: '555555', last4: '4444' }
    const result = parseTransaction(wireExample({ card }), testKey)
    expect(result.ok && result.value.card).toEqual(card)
  })

  it('tokenizes deterministically per key and differently across keys', () => {
    const a = parseTransaction(wireExample(), singleKey('key-a-0123456789abcdef'))
    const b = parseTransaction(wireExample(), singleKey('key-a-0123456789abcdef'))
    const c = parseTransaction(wireExample(), singleKey('key-b-0123456789abcdef'))
    expect(a.ok && b.ok && a.value.card.token === b.value.card.token).toBe(true)
    expect(a.ok && c.ok && a.value.card.token !== c.value.card.token).toBe(true)
  })

  it('accepts optional fields being absent and offsets other than Z', () => {
    const { accountId: _a, device: _d, location: _l, ...minimal } = wireExample({ occurredAt: '2026-11-24T23:59:59+05:30' })
    const result = parseTransaction({ ...minimal, merchant: { id: 'm-1' } }, testKey)
    expect(result.ok).toBe(true)
  })

  it.each([
    ['transactionId', { transactionId: 'has space' }],
    ['transactionId', { transactionId: 'x'.repeat(129) }],
    ['occurredAt', { occurredAt: '2026-11-24T10:15:30' }],
    ['occurredAt', { occurredAt: 'yesterday' }],
    ['amount', { amount: 12.5 }],
    ['amount', { amount: -1 }],
    ['currency', { currency: 'eur' }],
    ['currency', { currency: 'XYZ' }],
    ['card.pan', { card: { pan: '4111111111111112' } }],
    ['card.pan', { card: { pan: '41111111111' } }],
    ['card', { card: { pan: '4111111111111111', token: 'abcdefghijklmnopqrstu' } }],
    ['card', { card: {} }],
    ['channel', { channel: 'telepathy' }],
    ['merchant.id', { merchant: { mcc: '5999' } }],
    ['merchant.mcc', { merchant: { id: 'm', mcc: '59' } }],
    ['merchant.country', { merchant: { id: 'm', country: 'France' } }],
    ['device.ip', { device: { id: 'd', ip: '999.1.1.1' } }],
    ['location.lat', { location: { lat: 91, lon: 0 } }],
  ] as const)('rejects a bad %s with the path of the issue', (path, overrides) => {
    expect(pathsOf(wireExample(overrides as never))).toContain(path)
  })

  it('lists every issue of a record, not just the first', () => {
    expect(pathsOf(wireExample({ amount: -5, currency: 'zz', channel: 'x' as never }))).toEqual(['amount', 'currency', 'channel'])
  })

  it('rejects a non-object input without throwing', () => {
    for (const input of [null, 42, 'text', [], undefined]) expect(parseTransaction(input, testKey).ok).toBe(false)
  })
})

describe('parseTransactionJson', () => {
  it('reports invalid JSON as an issue without echoing the text', () => {
    const result = parseTransactionJson('{"card":{"pan":"4111111111111111"', testKey)
    expect(result).toEqual({ ok: false, error: { code: 'invalid_json', issues: [{ path: '', message: 'is not valid JSON' }] } })
  })
})

describe('no PAN ever leaves the parser', () => {
  const luhnPan = fc
    .tuple(fc.integer({ min: 11, max: 18 }), fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 18, maxLength: 18 }))
    .map(([length, digits]) => withLuhnDigit(digits.slice(0, length)))

  it('a valid PAN appears in no output, whatever else the record holds', () => {
    fc.assert(
      fc.property(luhnPan, fc.boolean(), (pan, breakOtherFields) => {
        const input = wireExample({ card: { pan }, ...(breakOtherFields ? { amount: -1, transactionId: pan + ' x' } : {}) })
        const result = parseTransaction(input, testKey)
        expect(JSON.stringify(result)).not.toContain(pan)
        // A PAN under 15 digits keeps no BIN (core/masked-pan.ts).
        if (result.ok) expect(result.value.card).toEqual({ token: hmac(pan), ...(pan.length >= 15 ? { bin: pan.slice(0, 6) } : {}), last4: pan.slice(-4) })
      }),
    )
  })

  it('a PAN-like value in any field is not echoed by error messages', () => {
    fc.assert(
      fc.property(luhnPan, fc.constantFrom('transactionId', 'currency', 'accountId', 'channel', 'occurredAt'), (pan, field) => {
        const text = JSON.stringify({ ...wireExample(), [field]: `${pan}!`, card: { pan: `${pan}x` } })
        expect(JSON.stringify(parseTransactionJson(text, testKey))).not.toMatch(/\d{12,}/)
      }),
    )
  })
})
