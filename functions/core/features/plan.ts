import { entityKinds, labelFedAggregates, type CategoricalField, type EntityKind, type FeatureDefinition, type WindowedFeature } from './definition.ts'
import { planDistinct, type DistinctPlan } from './distinct.ts'
import type { LastSeenPlan } from './last-seen.ts'
import { planSeries, type SeriesPlan } from './window.ts'

/** What one entity kind maintains and reads; empty for a kind with no feature. */
export interface EntityPlan {
  readonly series: readonly SeriesPlan[]
  readonly distinct: readonly DistinctPlan[]
  readonly lastSeen: LastSeenPlan | undefined
  /** Whether the card's newest located event is kept (for km/kmh_from_last). */
  readonly keepsLocation: boolean
  /** The names of the `device_first_seen` features; none: devices are not kept. */
  readonly deviceFirstSeen: readonly string[]
  /** The names of the `flagged_before` features; none: the entity's confirmed frauds are not counted. */
  readonly flaggedBefore: readonly string[]
}

/** Feature definitions compiled once per rule-set version. */
export interface FeaturePlan {
  /** The entity kinds that have a feature: the only ones whose state is kept. */
  readonly entities: readonly EntityKind[]
  readonly byEntity: Readonly<Record<EntityKind, EntityPlan>>
  /** The farthest back any window reaches (its width plus its lag), in ms; 0 when none has a window. */
  readonly largestWindowMs: number
  /** Whether a label can change a feature: only then are labels applied to entity states. */
  readonly labelFed: boolean
}

/** Compiles definitions, validated by the rule-set schema (so feature names are unique). */
export function planFeatures(defs: readonly FeatureDefinition[]): FeaturePlan {
  const names = new Set<string>()
  for (const def of defs) {
    if (names.has(def.name)) throw new Error(`Feature ${def.name} is declared twice`)
    names.add(def.name)
  }
  const byEntity = {} as Record<EntityKind, EntityPlan>
  for (const kind of entityKinds) byEntity[kind] = planEntity(defs.filter((def) => def.entity === kind))
  return {
    entities: entityKinds.filter((kind) => defs.some((def) => def.entity === kind)),
    byEntity,
    largestWindowMs: Math.max(0, ...defs.map((def) => ('window' in def ? def.window + (def.lag ?? 0) : 0))),
    labelFed: defs.some((def) => (labelFedAggregates as readonly string[]).includes(def.aggregate)),
  }
}

function planEntity(defs: readonly FeatureDefinition[]): EntityPlan {
  const byWindow = new Map<number, Exclude<WindowedFeature, { aggregate: 'distinct' }>[]>()
  const byField = new Map<CategoricalField, Extract<WindowedFeature, { aggregate: 'distinct' }>[]>()
  const builtin = (aggregate: FeatureDefinition['aggregate']) => defs.filter((def) => def.aggregate === aggregate).map((def) => def.name)
  for (const def of defs) {
    if (!('window' in def)) continue
    if (def.aggregate === 'distinct') byField.set(def.field, [...(byField.get(def.field) ?? []), def])
    else byWindow.set(def.window, [...(byWindow.get(def.window) ?? []), def])
  }
  const secondsSinceLast = builtin('seconds_since_last')
  const kmFromLast = builtin('km_from_last')
  const kmhFromLast = builtin('kmh_from_last')
  const keepsLocation = kmFromLast.length + kmhFromLast.length > 0
  return {
    series: [...byWindow].map(([window, features]) => planSeries(window, features)),
    distinct: [...byField].map(([field, features]) => planDistinct(field, features)),
    lastSeen: keepsLocation || secondsSinceLast.length > 0 ? { secondsSinceLast, kmFromLast, kmhFromLast } : undefined,
    keepsLocation,
    deviceFirstSeen: builtin('device_first_seen'),
    flaggedBefore: builtin('flagged_before'),
  }
}
