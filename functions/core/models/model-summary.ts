import * as z from 'zod'
import { modelFileSchema } from './model-file.ts'

/** A stored model version as listed: the file without its body, and who uploaded it when. */
export const modelSummarySchema = modelFileSchema.omit({ model: true, format: true, formatVersion: true }).extend({
  kind: z.enum(['trees', 'logistic']),
  bytes: z.int().nonnegative().describe('Size of the model file JSON'),
  createdAt: z.iso.datetime({ offset: true }),
  createdBy: z.string(),
})
export type ModelSummary = z.infer<typeof modelSummarySchema>
