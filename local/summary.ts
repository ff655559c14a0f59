/**
 * The local runtime's counters and the line it prints every few seconds. Decisions are counted
 * once per transaction id (a retried batch can hand back a decision an earlier attempt made).
 */
import type { Outcome } from '../functions/core/decision.ts'

export interface CaseCounts {
  readonly open: number
  readonly inReview: number
  readonly escalated: number
  readonly closed: number
}

export interface RuntimeStats {
  /** Records put by the traffic generator. */
  readonly produced: number
  /** Records the scorer finished (decided, quarantined or skipped as duplicates). */
  readonly ingested: number
  readonly decided: Readonly<Record<Outcome, number>>
  readonly quarantined: number
  readonly duplicates: number
  readonly deadLetters: number
  /** Invocations of the scorer that threw or reported a partial failure. */
  readonly failedInvocations: number
  readonly cases: CaseCounts
  /** Arrival in the stream → decision committed, milliseconds, over the last reporting interval. */
  readonly lagMs: { readonly p50: number | undefined; readonly p99: number | undefined; readonly samples: number }
}

const maxLagSamples = 20_000

export class StatsCollector {
  produced = 0
  ingested = 0
  quarantined = 0
  duplicates = 0
  deadLetters = 0
  failedInvocations = 0
  readonly decided: Record<Outcome, number> = { approve: 0, review: 0, block: 0 }
  cases: CaseCounts = { open: 0, inReview: 0, escalated: 0, closed: 0 }
  readonly #seen = new Set<string>()
  #lags: number[] = []
  #lastLags: number[] = []

  decision(transactionId: string, outcome: Outcome): void {
    if (this.#seen.has(transactionId)) return
    this.#seen.add(transactionId)
    this.decided[outcome]++
  }

  lag(ms: number): void {
    if (this.#lags.length < maxLagSamples) this.#lags.push(ms)
  }

  /** Closes the reporting interval: its lags become the ones reported. */
  roll(): void {
    if (this.#lags.length > 0) this.#lastLags = this.#lags
    this.#lags = []
  }

  snapshot(): RuntimeStats {
    const lags = (this.#lags.length > 0 ? this.#lags : this.#lastLags).toSorted((a, b) => a - b)
    const at = (q: number) => (lags.length === 0 ? undefined : lags[Math.min(lags.length - 1, Math.ceil(q * lags.length) - 1)])
    return {
      produced: this.produced,
      ingested: this.ingested,
      decided: { ...this.decided },
      quarantined: this.quarantined,
      duplicates: this.duplicates,
      deadLetters: this.deadLetters,
      failedInvocations: this.failedInvocations,
      cases: this.cases,
      lagMs: { p50: at(0.5), p99: at(0.99), samples: lags.length },
    }
  }
}

const n = (value: number) => value.toLocaleString('en-US')
const seconds = (ms: number | undefined) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(2)} s`)

/** One summary line, e.g. `12:00:05  ingested 98 · approve 95 review 1 block 1 · …`. */
export function formatSummary(stats: RuntimeStats, at: Date, rate?: number): string {
  const decided = stats.decided.approve + stats.decided.review + stats.decided.block
  const clock = at.toTimeString().slice(0, 8)
  return [
    `${clock}  ingested ${n(stats.ingested)}${rate === undefined ? '' : ` (${rate.toFixed(1)}/s)`}`,
    `decided ${n(decided)}: approve ${n(stats.decided.approve)} review ${n(stats.decided.review)} block ${n(stats.decided.block)}`,
    `quarantined ${n(stats.quarantined)}`,
    `duplicates ${n(stats.duplicates)}`,
    `dead letters ${n(stats.deadLetters)}`,
    `cases open ${n(stats.cases.open + stats.cases.inReview)} escalated ${n(stats.cases.escalated)} closed ${n(stats.cases.closed)}`,
    `lag p50 ${seconds(stats.lagMs.p50)} p99 ${seconds(stats.lagMs.p99)}`,
  ].join(' · ')
}
