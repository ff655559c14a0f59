import fc from 'fast-check'
import { withLuhnDigit } from '../../support/transactions.ts'

/**
 * A Luhn-valid card number of 12 to 19 digits, first digit 2–9: a PAN to the PAN text policy
 * (functions/core/pan-text.ts says why 0 and 1 are not).
 */
export const luhnPan: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 11, max: 18 }), fc.constantFrom(...'23456789'), fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 17, maxLength: 17 }))
  .map(([length, first, digits]) => withLuhnDigit((first + digits).slice(0, length)))

/** Decimal digit sets a PAN can be typed or pasted in: each maps 0–9 to its own ten code points. */
const digitSets: Record<string, (d: number) => string> = {
  ascii: (d) => String(d),
  'full-width': (d) => String.fromCodePoint(0xff10 + d),
  'Arabic-Indic': (d) => String.fromCodePoint(0x0660 + d),
  Devanagari: (d) => String.fromCodePoint(0x0966 + d),
  'mathematical bold': (d) => String.fromCodePoint(0x1d7ce + d),
  superscript: (d) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[d]!,
  'JSON escape': (d) => `\\u003${d}`,
}

/** What can stand between two groups: one to a few spaces, dashes, dots, slashes, other punctuation, invisible characters. */
const separator = fc
  .array(fc.constantFrom(' ', '-', '.', '/', '_', ',', ':', '·', '\u00a0', '\u2009', '\u2013', '\u200b', '\t', '\\u0020', '\\u002d'), { minLength: 1, maxLength: 3 })
  .map((parts) => parts.join(''))

/**
 * How the digits are grouped: whole, in fours (the usual), 4-6-5 (Amex), or in random groups of one
 * to six digits (the policy reads no longer group as part of a written-out PAN).
 */
const grouping = (length: number): fc.Arbitrary<number[]> =>
  fc.oneof(
    fc.constant<number[]>([length]),
    fc.constant(Array.from({ length: Math.ceil(length / 4) }, (_, i) => Math.min(4, length - i * 4))),
    fc.constant<number[]>(length === 15 ? [4, 6, 5] : [length]),
    fc.array(fc.integer({ min: 1, max: 6 }), { minLength: length, maxLength: length }).map((sizes) => {
      const groups: number[] = []
      for (let left = length, i = 0; left > 0; i++) {
        groups.push(Math.min(sizes[i]!, left))
        left -= groups.at(-1)!
      }
      return groups
    }),
  )

/** A PAN as it may be written: digits from one or several digit sets, grouped, separators between the groups. */
export const panNotation: fc.Arbitrary<{ pan: string; written: string; notation: string }> = luhnPan.chain((pan) =>
  fc
    .tuple(grouping(pan.length), fc.array(fc.constantFrom(...Object.keys(digitSets)), { minLength: pan.length, maxLength: pan.length }), fc.boolean(), separator)
    .chain(([groups, sets, mixed, sep]) =>
      fc.array(fc.oneof(fc.constant(sep), separator), { minLength: groups.length - 1, maxLength: groups.length - 1 }).map((seps) => {
        const setOf = (i: number) => (mixed ? sets[i]! : sets[0]!)
        let written = ''
        let at = 0
        groups.forEach((size, g) => {
          if (g > 0) written += seps[g - 1]
          for (let i = at; i < at + size; i++) written += digitSets[setOf(i)]!(Number(pan[i]))
          at += size
        })
        return { pan, written, notation: `${mixed ? 'mixed digits' : sets[0]} in groups ${groups.join('-')}` }
      }),
    ),
)
