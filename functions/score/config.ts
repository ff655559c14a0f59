import * as z from 'zod'
import { tableSchemas } from '../../lib/table-schema.ts'
import { defaultEventTime } from '../core/event-time.ts'

/** The scorer's settings, from its environment; the names of the tables come from the CDK stack. */
export const scorerConfigSchema = z.object({
  [tableSchemas.decisions.envVar]: z.string().min(1),
  [tableSchemas.entityState.envVar]: z.string().min(1),
  [tableSchemas.rules.envVar]: z.string().min(1),
  [tableSchemas.quarantine.envVar]: z.string().min(1),
  VIGIL_TOKENIZATION_SECRET_ARN: z.string().min(1).optional(),
  // The secret's version the scorer reads, pinned by the deploy (./tokenization-key.ts).
  VIGIL_TOKENIZATION_SECRET_VERSION: z.string().min(1).max(256).optional(),
  VIGIL_TOKENIZATION_KEY: z.string().min(16).optional(),
  VIGIL_ESCALATION_STATE_MACHINE_ARN: z.string().min(1).optional(),
  VIGIL_RULES_REFRESH_SECONDS: z.coerce.number().positive().default(5),
  VIGIL_DECISION_TTL_DAYS: z.coerce.number().int().positive().default(400),
  VIGIL_ENTITY_RETENTION_DAYS: z.coerce.number().int().positive().default(35),
  VIGIL_QUARANTINE_TTL_DAYS: z.coerce.number().int().positive().default(30),
  // How far a record's event time may be from its arrival (core/event-time.ts says why these defaults).
  VIGIL_EVENT_MAX_AHEAD_SECONDS: z.coerce.number().int().nonnegative().default(defaultEventTime.maxAheadMs / 1000),
  VIGIL_EVENT_MAX_AGE_SECONDS: z.coerce.number().int().positive().optional(),
})

export type ScorerConfig = z.infer<typeof scorerConfigSchema>
