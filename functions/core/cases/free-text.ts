import * as z from 'zod'
import { luhnValid } from '../pan.ts'

// Digits with at most one space or dash between them, the ways a pasted card number is written.
const digitGroup = /\d(?:[ -]?\d)*/g

/**
 * Whether `text` holds what may be a PAN: a run of 12–19 digits that passes Luhn, or any longer
 * run (which could hide one), also when written in chunks next to other digits (in
 * `ref 4 4111 1111 1111 1111` the whole group fails Luhn, but a run of whole chunks does not).
 * Notes are typed by people, and a pasted card number would otherwise be stored in every copy.
 */
export function containsPan(text: string): boolean {
  for (const [group] of text.matchAll(digitGroup)) {
    const digits = group.replace(/[ -]/g, '')
    if (digits.length > 19 || (digits.length >= 12 && luhnValid(digits))) return true
    const chunks = group.split(/[ -]/)
    for (let i = 0; i < chunks.length; i++) {
      let run = ''
      for (let j = i; j < chunks.length && run.length <= 19; j++) {
        run += chunks[j]
        if (run.length >= 12 && run.length <= 19 && luhnValid(run)) return true
      }
    }
  }
  return false
}

/** Free text people write into a case: notes and decision reasons. */
export const freeTextSchema = z
  .string()
  .trim()
  .min(1)
  .max(2000)
  .refine((text) => !containsPan(text), 'looks like a card number; refer to the card by its last four digits')
