/** Exact aggregates over a raw event list, the brute force the bucketed windows are checked against. */
import { bucketsPerWindow } from '../../../functions/core/features/window.ts'

export interface RawEvent {
  time: number
  amount: number
  merchant: string
}

export const bucketIndex = (time: number, windowMs: number): number => Math.floor(time / (windowMs / bucketsPerWindow))

/** The events a window promises to read for a transaction at `time`, `newest` being the entity's newest event time. */
export function promisedEvents(events: readonly RawEvent[], windowMs: number, newest: number, time: number): RawEvent[] {
  const last = bucketIndex(time, windowMs)
  const first = Math.max(last, bucketIndex(newest, windowMs)) - bucketsPerWindow + 1
  return events.filter((event) => {
    const index = bucketIndex(event.time, windowMs)
    return index >= first && index <= last
  })
}

/** The events in the time range (from, to]. */
export const eventsIn = (events: readonly RawEvent[], from: number, to: number): RawEvent[] =>
  events.filter((event) => event.time > from && event.time <= to)

export const exactCount = (events: readonly RawEvent[]): number => events.length
export const exactSum = (events: readonly RawEvent[]): number => events.reduce((sum, event) => sum + event.amount, 0)
export const exactMin = (events: readonly RawEvent[]): number | undefined =>
  events.length === 0 ? undefined : Math.min(...events.map((event) => event.amount))
export const exactMax = (events: readonly RawEvent[]): number | undefined =>
  events.length === 0 ? undefined : Math.max(...events.map((event) => event.amount))
export const exactAvg = (events: readonly RawEvent[]): number | undefined =>
  events.length === 0 ? undefined : exactSum(events) / events.length
export const exactDistinct = (events: readonly RawEvent[]): number => new Set(events.map((event) => event.merchant)).size

/** What `distinct` promises: the values whose latest event lies in the window's buckets. */
export function distinctByLatest(events: readonly RawEvent[], windowMs: number, newest: number, time: number): number {
  const latest = new Map<string, number>()
  for (const event of events) latest.set(event.merchant, Math.max(latest.get(event.merchant) ?? -Infinity, event.time))
  const asEvents = [...latest].map(([merchant, latestTime]) => ({ merchant, time: latestTime, amount: 0 }))
  return promisedEvents(asEvents, windowMs, newest, time).length
}
