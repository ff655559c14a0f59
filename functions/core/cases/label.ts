import * as z from 'zod'
import type { Case } from './case.ts'

/** A verdict on a transaction: what rule precision and recall are measured against. */
export const labelSchema = z.strictObject({ transactionId: z.string(), fraud: z.boolean() })
export type Label = z.infer<typeof labelSchema>

/** The label a closed case gives; an open or expired one gives none (nobody judged it). */
export function labelOf(c: Case): Label | undefined {
  if (c.outcome === 'fraud' || c.outcome === 'legitimate') return { transactionId: c.transactionId, fraud: c.outcome === 'fraud' }
  return undefined
}
