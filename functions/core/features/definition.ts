import * as z from 'zod'

export const entityKinds = ['card', 'account', 'device', 'ip', 'merchant'] as const
export const entityKindSchema = z.enum(entityKinds)
export type EntityKind = z.infer<typeof entityKindSchema>

const units = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/** `"10m"`, `"1h"`, `"24h"`, `"7d"`, `"30d"`, or any `<n>s|m|h|d` up to 400 days, as milliseconds. */
export const durationSchema = z
  .string()
  .regex(/^[1-9]\d{0,5}[smhd]$/, 'must be a duration like 10m, 1h, 24h, 7d or 30d')
  .transform((text) => Number(text.slice(0, -1)) * units[text.slice(-1) as keyof typeof units])
  .refine((ms) => ms <= 400 * units.d, 'must be at most 400d')

/** The inverse of `durationSchema` (in the largest whole unit, else in ms), so state keys stay readable. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms % units[unit] === 0) return `${ms / units[unit]}${unit}`
  }
  return `${ms}ms`
}

const featureName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be snake_case, starting with a letter')

/** Numeric transaction fields a windowed sum/avg/min/max can read. */
export const numericFields = ['amount'] as const
/** Categorical transaction fields a windowed `distinct` can count. */
export const categoricalFields = [
  'merchant.id',
  'merchant.mcc',
  'merchant.country',
  'device.id',
  'device.ip',
  'accountId',
  'card.token',
  'channel',
  'currency',
] as const
export type CategoricalField = (typeof categoricalFields)[number]

/**
 * A lagged window keeps lag / W × 10 buckets more than it reads; nine windows back bounds the item
 * (the handbook's terminal risk, a 1-day window lagged 7 days, fits).
 */
export const maxLagWindows = 9

const windowed = {
  name: featureName,
  entity: entityKindSchema,
  window: durationSchema,
  /** Reads (t − lag − W, t − lag] instead of (t − W, t]: chargebacks take weeks, so compare like with like. */
  lag: durationSchema.optional(),
}

/**
 * One discriminated union on `aggregate`, so a bad definition gets a precise error. The built-ins
 * are aggregates too, but over the entity's last event (card) or known devices (account), with no
 * window: they need more than buckets.
 */
export const featureDefinitionSchema = z
  .discriminatedUnion('aggregate', [
    z.strictObject({ ...windowed, aggregate: z.literal('count') }),
    z.strictObject({ ...windowed, aggregate: z.enum(['sum', 'avg', 'min', 'max']), field: z.enum(numericFields) }),
    z.strictObject({ ...windowed, aggregate: z.literal('distinct'), field: z.enum(categoricalFields) }),
    // Label-fed: confirmed frauds among the window's transactions, counting only labels known when
    // the transaction is scored (core/labels/).
    z.strictObject({ ...windowed, aggregate: z.enum(['fraud_count', 'fraud_rate']) }),
    z.strictObject({ name: featureName, entity: z.literal('card'), aggregate: z.enum(['seconds_since_last', 'km_from_last', 'kmh_from_last']) }),
    z.strictObject({ name: featureName, entity: z.literal('account'), aggregate: z.literal('device_first_seen') }),
    z.strictObject({ name: featureName, entity: entityKindSchema, aggregate: z.literal('flagged_before') }),
  ])
  .superRefine((def, ctx) => {
    if (!('window' in def) || def.lag === undefined) return
    if (def.aggregate === 'distinct') ctx.addIssue({ code: 'custom', path: ['lag'], message: 'is not supported by distinct (it keeps values, not buckets)' })
    else if (def.lag > def.window * maxLagWindows) ctx.addIssue({ code: 'custom', path: ['lag'], message: `must be at most ${maxLagWindows} times the window` })
  })

export type FeatureDefinitionInput = z.input<typeof featureDefinitionSchema>
export type FeatureDefinition = z.infer<typeof featureDefinitionSchema>
export type WindowedFeature = Extract<FeatureDefinition, { window: number }>
/** The aggregates only labels move. */
export const labelFedAggregates = ['fraud_count', 'fraud_rate', 'flagged_before'] as const
export type BuiltinFeature = Exclude<FeatureDefinition, { window: number }>

/**
 * What rules see as `features`: a value per declared feature name. A feature with no value yet
 * (the average of an empty window, the distance from a card's first located transaction) is
 * absent, so a rule tests it with CEL's `has(features.x)`.
 */
export type FeatureValues = Record<string, number | boolean>
