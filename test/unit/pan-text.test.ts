import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { containsPan, findPans, isSafeName, redactPans } from '../../functions/core/pan-text.ts'
import { luhnPan, panNotation } from '../fuzz/arbitraries/pans.ts'
import { fuzzParameters } from '../fuzz/fuzz-settings.ts'
import { withLuhnDigit } from '../support/transactions.ts'

// Generated, never written out: a 16-digit Visa-like, a 16-digit Mastercard-like, a 15-digit Amex-like PAN.
const visa = withLuhnDigit('411111111111111')
const mastercard = withLuhnDigit('550000000000000')
const amex = withLuhnDigit('37828224631000')
const fullWidth = (text: string) => text.replace(/\d/g, (d) => String.fromCodePoint(0xff10 + Number(d)))
const escaped = (digits: string) => [...digits].map((d) => `\\u003${d}`).join('')
const grouped = (digits: string, sep: string) => digits.replace(/(\d{4})(?=\d)/g, `$1${sep}`)

/** Text around an embedded PAN: anything, but kept apart from it by a space. */
const surrounding = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ unit: fc.constantFrom(...'0123456789 -./'), maxLength: 30 }))

describe('the PAN text policy', () => {
  it.each([
    ['unbroken', visa, visa],
    ['in groups of four with spaces', grouped(visa, ' '), visa],
    ['with dashes', grouped(mastercard, '-'), mastercard],
    ['with dots', grouped(visa, '.'), visa],
    ['with slashes', grouped(visa, '/'), visa],
    ['with a few separators', grouped(visa, ' - '), visa],
    ['as JSON strings in an array', `["${grouped(visa, '", "')}"]`, visa],
    ['Amex style 4-6-5', `${amex.slice(0, 4)} ${amex.slice(4, 10)} ${amex.slice(10)}`, amex],
    ['in full-width digits', fullWidth(visa), visa],
    ['in full-width digits and ideographic spaces', fullWidth(grouped(visa, '\u3000')), visa],
    ['in Arabic-Indic digits', [...visa].map((d) => String.fromCodePoint(0x0660 + Number(d))).join(''), visa],
    ['as JSON escapes', escaped(visa), visa],
    ['as JSON escapes with escaped spaces', grouped(visa, ' ').replace(/\d/g, (d) => `\\u003${d}`).replace(/ /g, '\\u0020'), visa],
    ['with zero-width spaces', [...visa].join('\u200b'), visa],
    ['next to other digits', `ref 4 ${grouped(visa, ' ')}`, visa],
    ['after a label', `card:${visa}.`, visa],
  ])('finds a PAN written %s', (_, text, pan) => {
    expect(findPans(`note ${text} end`)).toContain(pan)
    expect(containsPan(text)).toBe(true)
    expect(findPans(redactPans(text))).toEqual([])
  })

  it.each([
    ['a date and a time', 'on 2026-11-24 at 10:15:30'],
    ['an amount', 'amount 1250 EUR'],
    ['a short order number', 'order 123-456'],
    ['BIN and last four', `bin ${visa.slice(0, 6)}, last four ${visa.slice(-4)}`],
    ['a Luhn-invalid number', visa.slice(0, -1) + String((Number(visa.at(-1)) + 1) % 10)],
    ['epoch milliseconds (they start with 1)', 'tx-e2e-1764786943123-bad-pan'],
    ['a zero-padded shard id', 'shardId-000000000000'],
    ['an id with letters between its numbers', 'm4111a1111b1111c1111'],
    // 2000000000 and 14 read together pass Luhn; nobody writes a card number in a group of ten.
    ['an id joining a long number and a short one with dashes', 'tx-2000000000-14'],
  ])('leaves %s alone', (_, text) => {
    expect(containsPan(text)).toBe(false)
    expect(redactPans(text)).toBe(text)
  })

  it('skips UUIDs and hex digests, whose digits are random hex digits, but not a PAN beside one', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uuid(), fc.stringMatching(/^[0-9a-f]{32,64}$/)).filter((id) => /[a-f]/.test(id)), (id) => {
        expect(containsPan(`tx-${id}`)).toBe(false)
        expect(findPans(`${id} ${grouped(visa, '-')}`)).toEqual([visa])
      }),
      fuzzParameters(),
    )
    // About 1 random UUID in 230, read as digit groups, would pass for a PAN: this one does.
    const uuid = `ab${visa.slice(0, 6)}-${visa.slice(6, 10)}-${visa.slice(10, 14)}-${visa.slice(14)}ab-0123456789ab`
    expect(containsPan(uuid)).toBe(false)
    expect(containsPan(uuid.slice(0, -8))).toBe(true)
  })

  it('redacts a run longer than any PAN, which could hide one, but does not report it as a PAN', () => {
    const run = `${visa}0042`
    expect(redactPans(`seq ${run} end`)).toBe('seq [redacted] end')
    expect(containsPan(run)).toBe(true)
    expect(findPans(run)).toEqual([])
  })

  it('redacts only the PAN, separators inside it included, and keeps the text around it', () => {
    expect(redactPans(`pay ${grouped(visa, ' ')} now`)).toBe('pay [redacted] now')
    expect(redactPans(`${grouped(visa, '-')}, ${grouped(mastercard, '.')}`)).toBe('[redacted], [redacted]')
  })

  it('cuts after redacting, and redacts what the cut leaves', () => {
    const text = `key ${visa}`
    expect(redactPans(text, 9)).toBe('key [reda')
    // A 19-digit run that fails Luhn, whose 16-digit start is a PAN: the cut must not reveal it.
    const longer = [...'0123456789'].map((d) => `${visa}12${d}`).find((run) => !containsPan(run))!
    expect(containsPan(longer)).toBe(false)
    expect(redactPans(longer, 16)).toBe('[redacted]')
  })

  it('says which names may be quoted back', () => {
    expect(isSafeName('merchant_id')).toBe(true)
    expect(isSafeName('cvv')).toBe(true)
    expect(isSafeName(visa)).toBe(false)
    expect(isSafeName(`k${visa}`)).toBe(false)
    expect(isSafeName('has space')).toBe(false)
    expect(isSafeName('x'.repeat(65))).toBe(false)
  })

  it('property: a PAN in any notation it knows, embedded in random text, is found', () => {
    fc.assert(
      fc.property(panNotation, surrounding, surrounding, ({ pan, written, notation }, before, after) => {
        const text = `${before} ${written} ${after}`
        expect(findPans(text), notation).toContain(pan)
        expect(containsPan(text), notation).toBe(true)
      }),
      fuzzParameters(),
    )
  })

  it('property: redaction leaves no PAN, in text with PANs in any notation or none', () => {
    const part = fc.oneof(surrounding, panNotation.map((p) => p.written), luhnPan)
    fc.assert(
      fc.property(fc.array(part, { maxLength: 6 }), fc.constantFrom('', ' ', '-', '\n'), fc.integer({ min: 1, max: 200 }), (parts, sep, cut) => {
        const text = parts.join(sep)
        expect(containsPan(redactPans(text))).toBe(false)
        expect(containsPan(redactPans(text, cut))).toBe(false)
        expect(redactPans(text, cut).length).toBeLessThanOrEqual(cut)
      }),
      fuzzParameters(),
    )
  })

  it('property: text without a digit, a backslash or a non-ASCII character comes back as it is', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'abcXYZ -_./:,;"{}[]()') }), (text) => {
        expect(redactPans(text)).toBe(text)
      }),
      fuzzParameters(),
    )
  })
})
