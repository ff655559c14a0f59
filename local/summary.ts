/**
 * The local runtime's counters and the line it prints every few seconds. The pipeline's figures
 * come from the EMF lines the handlers write (./emf.ts), the very lines CloudWatch turns into the
 * Vigil metrics, so the summary and the cloud's dashboard count the same things the same way.
 * The runtime adds what only it sees: records produced, dead letters, failed invocations and the
 * lag from arrival in the stream to the committed decision.
 */
import { caseOutcomeSchema, type CaseOutcome } from '../functions/core/cases/index.ts'
import type { Outcome } from '../functions/core/decision.ts'
import { metricSamples, type EmfDocument } from './emf.ts'

export interface Percentiles {
  readonly p50: number | undefined
  readonly p99: number | undefined
  readonly samples: number
}

export interface CaseFigures {
  readonly opened: number
  readonly escalated: number
  readonly closed: Readonly<Record<CaseOutcome, number>>
  readonly slaBreaches: number
}

export interface RuntimeStats {
  /** Records put by the traffic generator. */
  readonly produced: number
  /** Chargeback labels the demo feed sent for the traffic's frauds (local/chargebacks.ts). */
  readonly chargebacks: number
  /** Labels the applier resolved, by outcome (its EMF Labels_<outcome>). */
  readonly labels: Readonly<Record<'accepted' | 'duplicate' | 'superseded' | 'pending', number>>
  /** Records the scorer finished: decided, redelivered, skipped as duplicates or quarantined. */
  readonly ingested: number
  readonly decided: Readonly<Record<Outcome, number>>
  readonly quarantined: number
  readonly quarantinedByReason: Readonly<Record<string, number>>
  readonly duplicates: number
  readonly deadLetters: number
  /** Invocations of the scorer that threw or reported a partial failure. */
  readonly failedInvocations: number
  readonly cases: CaseFigures
  /** Rule hits by rule id, busiest first (shadow rules included). */
  readonly topRules: ReadonlyArray<{ readonly ruleId: string; readonly hits: number }>
  /** Event time → decision committed (EventTimeToDecision), ms, over the last reporting interval. */
  readonly eventTimeToDecisionMs: Percentiles
  /** Arrival in the stream → decision committed, milliseconds, over the last reporting interval. */
  readonly lagMs: Percentiles
}

const maxSamples = 20_000
const shownRules = 3

/** Samples of the current reporting interval; the last full one is reported while the next fills. */
class IntervalSamples {
  #current: number[] = []
  #last: number[] = []

  add(value: number): void {
    if (this.#current.length < maxSamples) this.#current.push(value)
  }

  roll(): void {
    if (this.#current.length > 0) this.#last = this.#current
    this.#current = []
  }

  percentiles(): Percentiles {
    const sorted = (this.#current.length > 0 ? this.#current : this.#last).toSorted((a, b) => a - b)
    const at = (q: number) => (sorted.length === 0 ? undefined : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)])
    return { p50: at(0.5), p99: at(0.99), samples: sorted.length }
  }
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0)

export class StatsCollector {
  produced = 0
  chargebacks = 0
  deadLetters = 0
  failedInvocations = 0
  /** Totals by metric name, and by `name dimension=value` for the dimensions the summary splits on. */
  readonly #totals = new Map<string, number>()
  readonly #eventTimes = new IntervalSamples()
  readonly #lags = new IntervalSamples()

  /** Counts one EMF document of a handler. */
  emf(document: EmfDocument): void {
    for (const sample of metricSamples(document)) {
      if (sample.name === 'EventTimeToDecision') for (const value of sample.values) this.#eventTimes.add(value)
      this.#add(sample.name, sum(sample.values))
      for (const dimension of ['ruleId', 'reason', 'outcome'] as const) {
        const value = sample.dimensions[dimension]
        if (value !== undefined) this.#add(`${sample.name} ${dimension}=${value}`, sum(sample.values))
      }
    }
  }

  lag(ms: number): void {
    this.#lags.add(ms)
  }

  /** Closes the reporting interval: its samples become the ones reported. */
  roll(): void {
    this.#eventTimes.roll()
    this.#lags.roll()
  }

  snapshot(): RuntimeStats {
    const total = (key: string) => this.#totals.get(key) ?? 0
    const decided = { approve: total('Decisions_approve'), review: total('Decisions_review'), block: total('Decisions_block') }
    return {
      produced: this.produced,
      chargebacks: this.chargebacks,
      labels: { accepted: total('Labels_accepted'), duplicate: total('Labels_duplicate'), superseded: total('Labels_superseded'), pending: total('Labels_pending') },
      ingested: decided.approve + decided.review + decided.block + total('Redelivered') + total('DuplicatesSkipped') + total('Quarantined'),
      decided,
      quarantined: total('Quarantined'),
      quarantinedByReason: Object.fromEntries(this.#by('QuarantinedByReason', 'reason')),
      duplicates: total('DuplicatesSkipped'),
      deadLetters: this.deadLetters,
      failedInvocations: this.failedInvocations,
      cases: {
        opened: total('CasesOpened'),
        escalated: total('CasesEscalated'),
        closed: Object.fromEntries(caseOutcomeSchema.options.map((outcome) => [outcome, total(`CasesClosed outcome=${outcome}`)])) as Record<CaseOutcome, number>,
        slaBreaches: total('SlaBreaches'),
      },
      topRules: this.#by('RuleHits', 'ruleId')
        .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
        .map(([ruleId, hits]) => ({ ruleId, hits })),
      eventTimeToDecisionMs: this.#eventTimes.percentiles(),
      lagMs: this.#lags.percentiles(),
    }
  }

  #add(key: string, value: number): void {
    this.#totals.set(key, (this.#totals.get(key) ?? 0) + value)
  }

  #by(name: string, dimension: string): Array<[string, number]> {
    const prefix = `${name} ${dimension}=`
    return [...this.#totals].filter(([key]) => key.startsWith(prefix)).map(([key, value]) => [key.slice(prefix.length), value])
  }
}

const n = (value: number) => value.toLocaleString('en-US')
const seconds = (ms: number | undefined) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(2)} s`)

/** One summary line, e.g. `12:00:05  ingested 98 · decided 97: approve 95 review 1 block 1 · …`. */
export function formatSummary(stats: RuntimeStats, at: Date, rate?: number): string {
  const decided = stats.decided.approve + stats.decided.review + stats.decided.block
  const clock = at.toTimeString().slice(0, 8)
  const reasons = Object.entries(stats.quarantinedByReason).map(([reason, count]) => `${reason} ${n(count)}`)
  const { closed } = stats.cases
  const rules = stats.topRules.slice(0, shownRules).map(({ ruleId, hits }) => `${ruleId} ${n(hits)}`)
  return [
    `${clock}  ingested ${n(stats.ingested)}${rate === undefined ? '' : ` (${rate.toFixed(1)}/s)`}`,
    `decided ${n(decided)}: approve ${n(stats.decided.approve)} review ${n(stats.decided.review)} block ${n(stats.decided.block)}`,
    `quarantined ${n(stats.quarantined)}${reasons.length > 0 ? ` (${reasons.join(', ')})` : ''}`,
    `duplicates ${n(stats.duplicates)}`,
    `dead letters ${n(stats.deadLetters)}`,
    `cases opened ${n(stats.cases.opened)} escalated ${n(stats.cases.escalated)} closed ${n(closed.fraud + closed.legitimate + closed.expired)} ` +
      `(fraud ${n(closed.fraud)} legitimate ${n(closed.legitimate)} expired ${n(closed.expired)}) · SLA breaches ${n(stats.cases.slaBreaches)}`,
    `labels ${n(stats.labels.accepted)} applied (${n(stats.labels.duplicate)} duplicate, ${n(stats.labels.pending)} waiting; ${n(stats.chargebacks)} chargebacks sent)`,
    `top rules ${rules.length > 0 ? rules.join(', ') : '–'}`,
    `event→decision p50 ${seconds(stats.eventTimeToDecisionMs.p50)} p99 ${seconds(stats.eventTimeToDecisionMs.p99)}`,
    `lag p50 ${seconds(stats.lagMs.p50)} p99 ${seconds(stats.lagMs.p99)}`,
  ].join(' · ')
}
