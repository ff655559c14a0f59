import * as z from 'zod'
import { containsPan } from '../pan-text.ts'

// Case notes and rule sets are checked by the one PAN text policy; re-exported for the case API.
export { containsPan }

/**
 * Free text people write into a case: notes and decision reasons. A pasted card number, in any
 * notation the PAN text policy knows, would otherwise be stored in every copy of the case.
 */
export const freeTextSchema = z
  .string()
  .trim()
  .min(1)
  .max(2000)
  .refine((text) => !containsPan(text), 'looks like a card number; refer to the card by its last four digits')
