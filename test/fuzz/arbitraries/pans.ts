import fc from 'fast-check'
import { luhnValid } from '../../../functions/core/pan.ts'
import { withLuhnDigit } from '../../support/transactions.ts'

/** A Luhn-valid card number of 12 to 19 digits. */
export const luhnPan: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 11, max: 18 }), fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 18, maxLength: 18 }))
  .map(([length, digits]) => withLuhnDigit(digits.slice(0, length)))

/** Every Luhn-valid run of 12 to 19 digits in `text` (runs inside longer digit runs do not count). */
export function luhnRuns(text: string): string[] {
  return [...text.matchAll(/(?<!\d)\d{12,19}(?!\d)/g)].map((match) => match[0]).filter(luhnValid)
}
