import type { Decision, Outcome } from '../decision.ts'
import type { RuleMode } from './rule-set.ts'

/** A fraud label from an analyst or a chargeback feed. */
export interface Label {
  transactionId: string
  fraud: boolean
}

interface RuleCounts {
  mode: RuleMode
  hits: number
  errored: number
  truePositives: number
  falsePositives: number
}

/** Running counts over decisions; the summary is derived, so tallies can be merged or resumed. */
export interface StatsTally {
  decisions: number
  outcomes: Record<Outcome, number>
  rules: Record<string, RuleCounts>
  labeled: number
  fraud: number
  flaggedFraud: number
  flaggedLegitimate: number
}

export function emptyTally(rules: ReadonlyArray<{ id: string; mode: RuleMode }>): StatsTally {
  return {
    decisions: 0,
    outcomes: { approve: 0, review: 0, block: 0 },
    rules: Object.fromEntries(rules.map((r) => [r.id, { mode: r.mode, hits: 0, errored: 0, truePositives: 0, falsePositives: 0 }])),
    labeled: 0,
    fraud: 0,
    flaggedFraud: 0,
    flaggedLegitimate: 0,
  }
}

/** Adds one decision (and its label, if known) to the tally, in place: it runs once per record. */
export function tallyDecision(tally: StatsTally, decision: Decision, fraud?: boolean): void {
  tally.decisions++
  tally.outcomes[decision.outcome]++
  const labeled = fraud !== undefined
  if (labeled) {
    tally.labeled++
    if (fraud) tally.fraud++
    if (decision.outcome !== 'approve') fraud ? tally.flaggedFraud++ : tally.flaggedLegitimate++
  }
  for (const hit of decision.rules) {
    const counts = (tally.rules[hit.id] ??= { mode: hit.mode, hits: 0, errored: 0, truePositives: 0, falsePositives: 0 })
    if (hit.status === 'errored') {
      counts.errored++
      continue
    }
    counts.hits++
    if (labeled) fraud ? counts.truePositives++ : counts.falsePositives++
  }
}

export interface RuleSummary {
  id: string
  mode: RuleMode
  hits: number
  errored: number
  /** Share of the rule's labeled hits that were fraud; null until it has a labeled hit. */
  precision: number | null
  /** Share of all labeled fraud the rule caught; null while no fraud is labeled. */
  recall: number | null
}

export interface StatsSummary {
  decisions: number
  outcomes: Record<Outcome, number>
  labeled: number
  fraud: number
  /** Overall: a decision other than approve counts as flagging the transaction. */
  precision: number | null
  recall: number | null
  rules: RuleSummary[]
}

const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole)

export function summarize(tally: StatsTally): StatsSummary {
  return {
    decisions: tally.decisions,
    outcomes: { ...tally.outcomes },
    labeled: tally.labeled,
    fraud: tally.fraud,
    precision: ratio(tally.flaggedFraud, tally.flaggedFraud + tally.flaggedLegitimate),
    recall: ratio(tally.flaggedFraud, tally.fraud),
    rules: Object.entries(tally.rules).map(([id, c]) => ({
      id,
      mode: c.mode,
      hits: c.hits,
      errored: c.errored,
      precision: ratio(c.truePositives, c.truePositives + c.falsePositives),
      recall: ratio(c.truePositives, tally.fraud),
    })),
  }
}
