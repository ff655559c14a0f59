/**
 * Cities cardholders live in and merchants trade in. UTC offsets are fixed, as in the northern
 * winter (November–March): the generator writes timestamps with them and never consults a time
 * zone database. Currencies all have two minor digits except JPY (none) and are all within a factor of two
 * of the euro, so the rules' absolute amount thresholds mean about the same everywhere;
 * `minorPerEuroCent` converts a spend in euro cents into the city's minor units.
 */
export interface City {
  name: string
  country: string
  currency: string
  lat: number
  lon: number
  utcOffsetMinutes: number
  /** Relative share of the population living there. */
  weight: number
  minorPerEuroCent: number
}

export const cities: readonly City[] = [
  { name: 'Paris', country: 'FR', currency: 'EUR', lat: 48.8566, lon: 2.3522, utcOffsetMinutes: 60, weight: 10, minorPerEuroCent: 1 },
  { name: 'Berlin', country: 'DE', currency: 'EUR', lat: 52.52, lon: 13.405, utcOffsetMinutes: 60, weight: 9, minorPerEuroCent: 1 },
  { name: 'Madrid', country: 'ES', currency: 'EUR', lat: 40.4168, lon: -3.7038, utcOffsetMinutes: 60, weight: 7, minorPerEuroCent: 1 },
  { name: 'Rome', country: 'IT', currency: 'EUR', lat: 41.9028, lon: 12.4964, utcOffsetMinutes: 60, weight: 6, minorPerEuroCent: 1 },
  { name: 'Amsterdam', country: 'NL', currency: 'EUR', lat: 52.3676, lon: 4.9041, utcOffsetMinutes: 60, weight: 5, minorPerEuroCent: 1 },
  { name: 'Brussels', country: 'BE', currency: 'EUR', lat: 50.8503, lon: 4.3517, utcOffsetMinutes: 60, weight: 3, minorPerEuroCent: 1 },
  { name: 'Vienna', country: 'AT', currency: 'EUR', lat: 48.2082, lon: 16.3738, utcOffsetMinutes: 60, weight: 3, minorPerEuroCent: 1 },
  { name: 'Lisbon', country: 'PT', currency: 'EUR', lat: 38.7223, lon: -9.1393, utcOffsetMinutes: 0, weight: 3, minorPerEuroCent: 1 },
  { name: 'Dublin', country: 'IE', currency: 'EUR', lat: 53.3498, lon: -6.2603, utcOffsetMinutes: 0, weight: 3, minorPerEuroCent: 1 },
  { name: 'Helsinki', country: 'FI', currency: 'EUR', lat: 60.1699, lon: 24.9384, utcOffsetMinutes: 120, weight: 2, minorPerEuroCent: 1 },
  { name: 'Athens', country: 'GR', currency: 'EUR', lat: 37.9838, lon: 23.7275, utcOffsetMinutes: 120, weight: 2, minorPerEuroCent: 1 },
  { name: 'London', country: 'GB', currency: 'GBP', lat: 51.5074, lon: -0.1278, utcOffsetMinutes: 0, weight: 9, minorPerEuroCent: 0.86 },
  { name: 'Zurich', country: 'CH', currency: 'CHF', lat: 47.3769, lon: 8.5417, utcOffsetMinutes: 60, weight: 3, minorPerEuroCent: 0.95 },
  { name: 'New York', country: 'US', currency: 'USD', lat: 40.7128, lon: -74.006, utcOffsetMinutes: -300, weight: 7, minorPerEuroCent: 1.08 },
  { name: 'Chicago', country: 'US', currency: 'USD', lat: 41.8781, lon: -87.6298, utcOffsetMinutes: -360, weight: 4, minorPerEuroCent: 1.08 },
  { name: 'Los Angeles', country: 'US', currency: 'USD', lat: 34.0522, lon: -118.2437, utcOffsetMinutes: -480, weight: 4, minorPerEuroCent: 1.08 },
  { name: 'San Francisco', country: 'US', currency: 'USD', lat: 37.7749, lon: -122.4194, utcOffsetMinutes: -480, weight: 3, minorPerEuroCent: 1.08 },
  { name: 'Toronto', country: 'CA', currency: 'CAD', lat: 43.6532, lon: -79.3832, utcOffsetMinutes: -300, weight: 3, minorPerEuroCent: 1.5 },
  { name: 'Tokyo', country: 'JP', currency: 'JPY', lat: 35.6762, lon: 139.6503, utcOffsetMinutes: 540, weight: 5, minorPerEuroCent: 1.65 },
  { name: 'Singapore', country: 'SG', currency: 'SGD', lat: 1.3521, lon: 103.8198, utcOffsetMinutes: 480, weight: 3, minorPerEuroCent: 1.45 },
  { name: 'Sydney', country: 'AU', currency: 'AUD', lat: -33.8688, lon: 151.2093, utcOffsetMinutes: 660, weight: 3, minorPerEuroCent: 1.65 },
]

/** `+01:00`, `-05:00`, or `Z` for UTC. */
export function offsetSuffix(minutes: number): string {
  if (minutes === 0) return 'Z'
  const sign = minutes < 0 ? '-' : '+'
  const abs = Math.abs(minutes)
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
}

/** Great-circle distance: the very function the pipeline's travel features use. */
export { haversineKm as distanceKm } from '../../functions/core/features/geo.ts'
