import { z } from 'zod'
import { luhnValid } from '../pan.ts'

// Digits with at most one space or dash between them, the ways a pasted card number is written.
const digitGroup = /\d(?:[ -]?\d)*/g

/**
 * Whether `text` holds what may be a PAN: a run of 12–19 digits that passes Luhn, or any longer
 * run (which could hide one). Notes are typed by people, and a pasted card number would otherwise
 * be stored in every copy of the case.
 */
export function containsPan(text: string): boolean {
  for (const [group] of text.matchAll(digitGroup)) {
    const digits = group.replace(/[ -]/g, '')
    if (digits.length > 19 || (digits.length >= 12 && luhnValid(digits))) return true
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
