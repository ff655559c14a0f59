import type { FeatureDefinition } from '../features/definition.ts'

export type FeatureCelType = 'int' | 'double' | 'bool'

/**
 * The CEL type a rule sees for a feature: counts are `int`, measures (sums, averages, extremes,
 * rates, distances, speeds, seconds) `double`, the first-seen and flagged flags `bool`. Declared, so the checker
 * knows them when the rule set is compiled.
 */
export function featureCelType(feature: FeatureDefinition): FeatureCelType {
  switch (feature.aggregate) {
    case 'count':
    case 'distinct':
    case 'fraud_count':
      return 'int'
    case 'device_first_seen':
    case 'flagged_before':
      return 'bool'
    default:
      return 'double'
  }
}
