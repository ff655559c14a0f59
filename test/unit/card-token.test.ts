import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { cardTokenSchema, keyIdOf, tokenizePan } from '../../functions/core/card-token.ts'
import { cardTokens, parseKeyring, singleKey, type Keyring } from '../../functions/core/keyring.ts'
import { parseTransaction } from '../../functions/core/transaction.ts'
import { testKey, wireExample, withLuhnDigit } from '../support/transactions.ts'

const luhnPan = fc
  .tuple(fc.integer({ min: 11, max: 18 }), fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 18, maxLength: 18 }))
  .map(([length, digits]) => withLuhnDigit(digits.slice(0, length)))
const mac = (pan: string, key: string) => createHmac('sha256', key).update(pan).digest('base64url')

const oldKey = 'the-old-key-0123456789'
const newKey = 'the-new-key-0123456789'
/** Mid change-over: k2 primary, k1 still live. */
const changeOver: Keyring = { primary: 'k2', keys: { k1: oldKey, k2: newKey } }

const refusal = (input: unknown, keyring: Keyring = testKey) => {
  const result = parseTransaction(input, keyring)
  if (result.ok) throw new Error('expected a refusal')
  return result.error
}

describe('card tokens', () => {
  it('carry the id of the key that made them before the HMAC', () => {
    expect(tokenizePan('4111111111111111', 'k7', oldKey)).toBe(`k7_${mac('4111111111111111', oldKey)}`)
    expect(keyIdOf(tokenizePan('4111111111111111', 'k7', oldKey))).toBe('k7')
  })

  it('can never be mistaken for a card number, nor a card number for a token', () => {
    fc.assert(
      fc.property(luhnPan, fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/), fc.string({ minLength: 16 }), (pan, keyId, key) => {
        const token = tokenizePan(pan, keyId, key)
        expect(cardTokenSchema.safeParse(token).success).toBe(true)
        expect(token).toMatch(/^[a-z][^_]*_/)
        expect(cardTokenSchema.safeParse(pan).success).toBe(false)
      }),
    )
  })

  it('a card number sent as card.token is refused at card.token, not kept as an entity key', () => {
    fc.assert(
      fc.property(luhnPan, (pan) => {
        const error = refusal(wireExample({ card: { token: pan } }))
        expect(error.code).toBe('invalid_transaction')
        expect(error.issues.map((i) => i.path)).toEqual(['card.token'])
        expect(JSON.stringify(error)).not.toContain(pan)
      }),
    )
  })

  it('a token under a key that is not live is refused at card.token; one under either live key is kept', () => {
    const under = (keyId: string) => ({ token: tokenizePan('5555555555554444', keyId, oldKey) })
    expect(refusal(wireExample({ card: under('k3') }), changeOver).issues).toEqual([{ path: 'card.token', message: expect.stringContaining('not under a live key (k1, k2)') }])
    for (const keyId of ['k1', 'k2']) {
      const result = parseTransaction(wireExample({ card: under(keyId) }), changeOver)
      expect(result.ok && result.value.card).toEqual(under(keyId))
    }
    expect(parseTransaction(wireExample({ card: under('k3') }), changeOver, { tokensUnderAnyKey: true }).ok).toBe(true)
  })

  it('during a change-over a PAN gets its token under the primary key and its alias under the other', () => {
    const result = parseTransaction(wireExample(), changeOver)
    expect(result.ok && result.value.card).toEqual({
      token: `k2_${mac('4111111111111111', newKey)}`,
      aliases: [`k1_${mac('4111111111111111', oldKey)}`],
      bin: '411111',
      last4: '1111',
    })
    expect(cardTokens('4111111111111111', singleKey(oldKey)).aliases).toEqual([])
  })
})

describe('parseKeyring', () => {
  it('takes a plain string secret as the single key k1, so secrets from before key ids keep their tokens', () => {
    expect(parseKeyring('a-plain-generated-key-0123456789')).toEqual({ ok: true, value: { primary: 'k1', keys: { k1: 'a-plain-generated-key-0123456789' } } })
  })

  it('takes the JSON form with one or two keys', () => {
    expect(parseKeyring(JSON.stringify(changeOver))).toEqual({ ok: true, value: changeOver })
  })

  it.each([
    ['three keys', { primary: 'k1', keys: { k1: oldKey, k2: newKey, k3: newKey } }, 'keys'],
    ['a primary it does not hold', { primary: 'k3', keys: { k1: oldKey } }, 'primary'],
    ['a key id with capitals', { primary: 'K1', keys: { K1: oldKey } }, 'primary'],
    ['a short key', { primary: 'k1', keys: { k1: 'short' } }, 'keys.k1'],
    ['an unknown field', { primary: 'k1', keys: { k1: oldKey }, rotateAt: 'never' }, ''],
  ])('refuses %s', (_name, ring, path) => {
    const parsed = parseKeyring(JSON.stringify(ring))
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.error.map((i) => i.path)).toContain(path)
  })

  it('never quotes the secret in what it refuses', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 8, maxLength: 40 }).filter((s) => s.trim().length >= 8), (secret) => {
        for (const text of [secret.slice(0, 15), `{"primary":"k1","keys":{"k1":${JSON.stringify(secret.slice(0, 15))}}}`, `{${secret}`]) {
          const parsed = parseKeyring(text)
          if (!parsed.ok) expect(JSON.stringify(parsed.error)).not.toContain(JSON.stringify(secret.slice(0, 15)).slice(1, -1))
        }
      }),
    )
  })
})
