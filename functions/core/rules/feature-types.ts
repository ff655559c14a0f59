import type { FeatureDefinition } from '../features/definition.ts'

export type FeatureCelType = 'int' | 'double' | 'bool'

/**
 * The CEL type a rule sees for a feature: counts are `int`, measures (sums, averages, extremes,
 * distances, speeds, seconds) `double`, the first-seen flag `bool`. Declared, so the checker
 * knows them when the rule set is compiled.
 */
export function featureCelType(feature: FeatureDefinition): FeatureCelType {
  switch (feature.aggregate) {
    case 'count':
    case 'distinct':
      return 'int'
    case 'device_first_seen':
      return 'bool'
    default:
      return 'double'
  }
}
