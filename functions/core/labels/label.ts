import * as z from 'zod'
import { containsPan } from '../pan-text.ts'
import { panInIdentifierMessage, transactionIdSchema } from '../transaction.ts'

/** Who confirmed the outcome: an analyst's verdict, or a report from outside weeks later. */
export const labelSources = ['analyst', 'chargeback', 'issuer', 'customer'] as const
export type LabelSource = (typeof labelSources)[number]

/**
 * A confirmed outcome of a transaction, in the one format every way in uses (verdicts, the API, the
 * CLI, files for the backtest). `reportedAt` is when the outcome became known: label-fed features
 * see a label from that moment on, never before, so a replay cannot learn from the future.
 */
export const labelSchema = z.strictObject({
  transactionId: transactionIdSchema.refine((id) => !containsPan(id), panInIdentifierMessage),
  fraud: z.boolean().describe('true: confirmed fraud; false: confirmed legitimate (a flip corrects an earlier label)'),
  reportedAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a zone (Z or ±hh:mm)' }).describe('When the outcome became known'),
  source: z.enum(labelSources),
  reason: z
    .string()
    .trim()
    .min(1)
    .max(500)
    .refine((text) => !containsPan(text), 'looks like a card number; refer to the card by its last four digits')
    .optional()
    .describe('A chargeback reason code or a few words; never a card number'),
})
export type Label = z.infer<typeof labelSchema>

/**
 * A label as a history file may hold it for a backtest: without `reportedAt` or `source` it can
 * still measure precision and recall, but it feeds no feature (nothing says when it was known).
 */
export const historicalLabelSchema = labelSchema.partial({ reportedAt: true, source: true })
export type HistoricalLabel = z.infer<typeof historicalLabelSchema>
