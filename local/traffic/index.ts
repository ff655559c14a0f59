/**
 * Synthetic transaction traffic for Vigil: a seeded population of cardholders and merchants, and a
 * deterministic stream of wire-format JSON lines with labeled fraud episodes and producer bugs.
 * Pure: no I/O and no clock; the seed and the start time are parameters.
 *
 *   for (const event of generateTraffic({ seed: 42, start: new Date('2026-11-01T00:00:00Z'), count: 100_000 })) …
 */
export { cities, distanceKm, offsetSuffix, type City } from './cities.ts'
export { corruptWith, defects, type Defect } from './defects.ts'
export {
  generateTraffic,
  scenarioNames,
  type DuplicateEvent,
  type MalformedEvent,
  type ScenarioName,
  type TrafficEvent,
  type TrafficOptions,
  type ValidEvent,
} from './generator.ts'
export {
  createPopulation,
  riskyMccs,
  withLuhnDigit,
  type Cardholder,
  type Device,
  type Location,
  type Merchant,
  type MerchantKind,
  type Population,
  type PopulationOptions,
} from './population.ts'
export { Random, deriveSeed } from './random.ts'
