/**
 * Event time against a clock the producer does not control.
 *
 * `occurredAt` is the producer's word, and entity state is anchored at the newest event time it has
 * applied (features/window.ts). One event dated 9999-12-31 would make every later real event of its
 * card (account, IP, …) "late" for good: dropped from every window, so a card-testing burst scores
 * as a clean card. An event dated before the largest window is as bad for its own decision: no
 * window can hold its history any more, so it is scored against empty windows. Both are refused
 * (quarantined, never clamped: a clamped time would be invented data in the decision log that
 * backtests and training read) unless the event time lies within a range around a trusted clock:
 *
 *   clock − maxAge  ≤  event time  ≤  clock + maxAhead
 *
 * The stream's clock is the record's arrival (Kinesis's ApproximateArrivalTimestamp, set by the
 * service); a replay has no arrival and passes its own (cli/backtest/run.ts).
 */
import type { FeaturePlan } from './features/plan.ts'
import { err, ok, type Issue, type Result } from './result.ts'
import { eventTime, type Transaction } from './transaction.ts'

export interface EventTimeSettings {
  /** How far after the clock an event may be dated: producer clock drift, never more. */
  readonly maxAheadMs: number
  /** How far before it, if less than the rule set's largest window; undefined: that window. */
  readonly maxAgeMs?: number | undefined
}

/**
 * A minute ahead: an NTP-synced producer is milliseconds off, and a minute is one bucket of the
 * default rules' shortest window (10m), so an accepted early event costs the events after it at most
 * that bucket. No maximum age of its own: the rule set's largest window.
 */
export const defaultEventTime: EventTimeSettings = { maxAheadMs: 60_000 }

export interface EventTimeBounds {
  readonly maxAheadMs: number
  /** Infinity only when the rule set has no window and no maximum age is set. */
  readonly maxAgeMs: number
}

/** The bounds under a rule set: never older than its largest window (none can count the event). */
export function eventTimeBounds(plan: FeaturePlan, settings: EventTimeSettings): EventTimeBounds {
  const window = plan.largestWindowMs > 0 ? plan.largestWindowMs : Infinity
  return { maxAheadMs: settings.maxAheadMs, maxAgeMs: Math.min(settings.maxAgeMs ?? Infinity, window) }
}

/** The event times accepted, and what each bound is counted from, for a refusal ("the record's arrival"). */
export interface EventTimeRange {
  readonly notBefore: number
  readonly notAfter: number
  readonly of: { readonly notBefore: string; readonly notAfter: string }
}

/** The range around one clock: the stream's, where it is the record's arrival. */
export const rangeAround = (clock: number, bounds: EventTimeBounds, of: string): EventTimeRange => ({
  notBefore: clock - bounds.maxAgeMs,
  notAfter: clock + bounds.maxAheadMs,
  of: { notBefore: of, notAfter: of },
})

export interface EventTimeError {
  code: 'event_time_skew'
  issues: Issue[]
}

/** The transaction if its event time is in `range`; else why not, naming the bound (a timestamp), not the value. */
export function acceptEventTime(txn: Transaction, range: EventTimeRange, time = eventTime(txn)): Result<Transaction, EventTimeError> {
  // Written so that NaN fails both tests.
  if (!(time <= range.notAfter)) return refuse(`must not be after ${iso(range.notAfter)}: ${range.of.notAfter} plus the allowed skew`)
  if (!(time >= range.notBefore)) return refuse(`must not be before ${iso(range.notBefore)}: ${range.of.notBefore} minus the maximum age`)
  return ok(txn)
}

const refuse = (message: string) => err({ code: 'event_time_skew' as const, issues: [{ path: 'occurredAt', message }] })

const iso = (ms: number) => new Date(ms).toISOString()
