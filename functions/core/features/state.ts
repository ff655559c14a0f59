import * as z from 'zod'
import { maxLagWindows } from './definition.ts'
import { distinctCap } from './distinct.ts'
import { knownDevicesCap } from './known-devices.ts'
import type { LastLocation } from './last-seen.ts'
import { bucketsPerWindow } from './window.ts'

/**
 * What one entity (a card, an account, …) keeps between transactions: plain JSON, stored as one
 * DynamoDB item and so kept small. Every time in it is an age counted back from `t`, which keeps
 * the numbers short. Only what the plan's features need is present.
 */
export interface EntityState {
  /** The newest event time applied, in epoch ms. */
  readonly t: number
  /** Bucketed windows, by series key (window.ts). */
  readonly w?: Readonly<Record<string, readonly number[]>>
  /** Recent values for distinct counts, by field and quantum (distinct.ts). */
  readonly d?: Readonly<Record<string, readonly number[]>>
  /** Card: its newest located event (last-seen.ts). */
  readonly l?: LastLocation
  /** Account: its recent devices (known-devices.ts). */
  readonly v?: readonly number[]
  /** How many of its transactions are confirmed fraud now, by the labels applied (flagged_before). */
  readonly f?: number
}

const count = z.int().nonnegative()
const hashAgePairs = (cap: number) =>
  z
    .array(count)
    .max(cap * 2)
    .refine((entries) => entries.length % 2 === 0, 'must be [hash, age] pairs')

const seriesKey = /^\d+(?:ms|[smhd]):(cs?n?x?f?)$/
const series = z
  .record(z.string().regex(seriesKey, 'must be a series key like 1h:cs'), z.array(count).min(1).max(bucketsPerWindow * (1 + maxLagWindows) * 5))
  .superRefine((all, ctx) => {
    for (const [key, buckets] of Object.entries(all)) {
      const stride = seriesKey.exec(key)?.[1]?.length ?? 1
      if (buckets.length % stride !== 0) ctx.addIssue({ code: 'custom', path: [key], message: `must hold ${stride} numbers per bucket` })
    }
  })

/** Validates a state loaded from storage before it is trusted. */
export const entityStateSchema = z.strictObject({
  t: z.int(),
  w: series.optional(),
  d: z.record(z.string(), hashAgePairs(distinctCap)).optional(),
  l: z.tuple([count, z.number().min(-90).max(90), z.number().min(-180).max(180)]).optional(),
  v: hashAgePairs(knownDevicesCap).optional(),
  f: count.optional(),
}) satisfies z.ZodType<EntityState>

/**
 * A stored state as far as it can be trusted at `clock` (epoch ms, a clock the producer does not
 * control): one whose newest time is more than `maxAheadMs` beyond it was anchored by an event from
 * the future (stored before event times were bounded: see core/event-time.ts). Every real event
 * would be "late" to it for good, so its history is dropped and the entity starts afresh at the clock.
 */
export function trustedAt(state: EntityState, clock: number, maxAheadMs: number): EntityState {
  return state.t > clock + maxAheadMs ? { t: clock } : state
}
