import type { FeatureDefinition, FeatureValues } from '../features/definition.ts'
import type { Transaction } from '../transaction.ts'

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

/**
 * What a rule evaluates against. JavaScript has one number type; CEL has `int` (a BigInt in
 * cel-js) and `double` (a number). The integer-valued fields and features are handed over as
 * BigInt so that their run-time type is the one declared to the checker: a rule that checks is a
 * rule that runs. Mixed `int`/`double` arithmetic is allowed by the environment (expression.ts).
 */
export interface CelContext {
  txn: Record<string, unknown>
  features: Record<string, number | bigint | boolean>
  lists: Record<string, ReadonlySet<string>>
}

export function toCelContext(
  txn: Transaction,
  features: FeatureValues,
  intFeatures: readonly string[],
  lists: Record<string, ReadonlySet<string>>,
): CelContext {
  let celFeatures: CelContext['features'] = features
  for (const name of intFeatures) {
    const value = features[name]
    // An integer feature is integral by construction; a value that is not stays a double and the
    // rule reading it errors (type mismatch) rather than the whole transaction failing here.
    if (typeof value === 'number' && Number.isSafeInteger(value)) {
      if (celFeatures === features) celFeatures = { ...features }
      celFeatures[name] = BigInt(value)
    }
  }
  return { txn: { ...txn, amount: BigInt(txn.amount) }, features: celFeatures, lists }
}
