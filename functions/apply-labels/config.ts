import * as z from 'zod'
import { tableSchemas } from '../../lib/table-schema.ts'

/** The label applier's settings, from its environment; the names of the tables come from the CDK stack. */
export const labelApplierConfigSchema = z.object({
  [tableSchemas.labels.envVar]: z.string().min(1),
  [tableSchemas.decisions.envVar]: z.string().min(1),
  [tableSchemas.entityState.envVar]: z.string().min(1),
  [tableSchemas.rules.envVar]: z.string().min(1),
  [tableSchemas.quarantine.envVar]: z.string().min(1),
  VIGIL_RULES_REFRESH_SECONDS: z.coerce.number().positive().default(5),
  // As long as the decisions they measure.
  VIGIL_LABEL_TTL_DAYS: z.coerce.number().int().positive().default(400),
  VIGIL_ENTITY_RETENTION_DAYS: z.coerce.number().int().positive().default(35),
  VIGIL_QUARANTINE_TTL_DAYS: z.coerce.number().int().positive().default(30),
  VIGIL_EVENT_MAX_AHEAD_SECONDS: z.coerce.number().int().nonnegative().default(60),
})

export type LabelApplierConfig = z.infer<typeof labelApplierConfigSchema>
