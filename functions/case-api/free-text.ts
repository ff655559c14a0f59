import { containsPan, decideCommandSchema, freeTextSchema } from '../core/cases/index.ts'
import { luhnValid } from '../core/pan.ts'

const digitGroups = /\d(?:[ -]?\d)*/g

/**
 * `containsPan`, and also a PAN written next to other digits: in `ref 4 4111 1111 1111 1111` the
 * core check sees one 17-digit group that fails Luhn, but the card number is there, chunk for
 * chunk. So every run of whole chunks (split at the spaces and dashes) of 12–19 digits is checked.
 * (Belongs in the core's `containsPan`; kept here until it moves.)
 */
export function mayContainPan(text: string): boolean {
  if (containsPan(text)) return true
  for (const [group] of text.matchAll(digitGroups)) {
    const chunks = group.split(/[ -]/)
    if (chunks.length < 2) continue
    for (let i = 0; i < chunks.length; i++) {
      let digits = ''
      for (let j = i; j < chunks.length && digits.length <= 19; j++) {
        digits += chunks[j]
        if (digits.length >= 12 && digits.length <= 19 && luhnValid(digits)) return true
      }
    }
  }
  return false
}

export const panMessage = 'looks like a card number; refer to the card by its last four digits'

/** Notes and reasons as the API takes them: the core's free text, with the stricter PAN check. */
export const apiFreeTextSchema = freeTextSchema.refine((text) => !mayContainPan(text), panMessage)
export const apiDecideCommandSchema = decideCommandSchema.extend({ reason: apiFreeTextSchema })
