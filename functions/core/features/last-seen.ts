/**
 * The card built-ins, over the card's newest event rather than a window:
 *
 * - `seconds_since_last`: |t − N| / 1000, N the newest event time the card has seen. For an event
 *   older than N (out of order), that is its gap to the newest event.
 * - `km_from_last`: haversine distance from the card's newest LOCATED event (events without a
 *   location, e.g. e-commerce, leave it in place, so a trip is still seen across them).
 * - `kmh_from_last` (impossible travel): that distance over the time between the two events, the
 *   time floored at 1 s (two places at the same instant would be infinitely fast; a second is as
 *   fine as timestamps are trusted). Out of order, the absolute time gap: the trip between the
 *   two places took that long whichever came first.
 *
 * All absent on a card's first transaction; the distances also when either event has no location.
 */
import type { Transaction } from '../transaction.ts'
import type { FeatureValues } from './definition.ts'
import { haversineKm } from './geo.ts'

/** The newest located event: how long before the card's newest event (ms), latitude, longitude. */
export type LastLocation = readonly [ageMs: number, lat: number, lon: number]

export interface LastSeenPlan {
  /** The names of the features of each kind. */
  readonly secondsSinceLast: readonly string[]
  readonly kmFromLast: readonly string[]
  readonly kmhFromLast: readonly string[]
}

const msPerHour = 3_600_000
const shortestTravelMs = 1_000

/** Where the card was last seen after the transaction at `time`, its newest time moving from `newest` to `latest`; in place with `reuse`. */
export function applyLastLocation(
  located: LastLocation | undefined,
  newest: number,
  latest: number,
  time: number,
  txn: Transaction,
  reuse = false,
): LastLocation | undefined {
  const { location } = txn
  const owned = reuse ? (located as [number, number, number] | undefined) : undefined
  if (location !== undefined && (located === undefined || time >= newest - located[0])) {
    if (owned === undefined) return [latest - time, location.lat, location.lon]
    owned[0] = latest - time
    owned[1] = location.lat
    owned[2] = location.lon
    return owned
  }
  if (located === undefined || latest === newest) return located
  if (owned === undefined) return [located[0] + latest - newest, located[1], located[2]]
  owned[0] = owned[0] + latest - newest
  return owned
}

export function readLastSeen(
  plan: LastSeenPlan,
  newest: number | undefined,
  located: LastLocation | undefined,
  time: number,
  txn: Transaction,
  out: FeatureValues,
): void {
  if (newest === undefined) return
  for (const name of plan.secondsSinceLast) out[name] = Math.abs(time - newest) / 1000
  const { location } = txn
  if (location === undefined || located === undefined) return
  const km = haversineKm(located[1], located[2], location.lat, location.lon)
  for (const name of plan.kmFromLast) out[name] = km
  const travelMs = Math.max(Math.abs(time - (newest - located[0])), shortestTravelMs)
  for (const name of plan.kmhFromLast) out[name] = km / (travelMs / msPerHour)
}
