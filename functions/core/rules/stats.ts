import type { Decision, Outcome } from '../decision.ts'
import type { LabelSource } from '../labels/label.ts'
import type { RuleMode } from './rule-set.ts'

/** Who said so; `unknown` for a history's label that does not say. */
export type MeasuredSource = LabelSource | 'unknown'
export type SourceCounts = Partial<Record<MeasuredSource, number>>

interface RuleCounts {
  mode: RuleMode
  hits: number
  errored: number
  truePositives: number
  falsePositives: number
  /** The rule's labeled hits by the source of their label. */
  labeledBy: SourceCounts
}

/** Running counts over decisions; the summary is derived, so tallies can be merged or resumed. */
export interface StatsTally {
  decisions: number
  outcomes: Record<Outcome, number>
  rules: Record<string, RuleCounts>
  labeled: number
  labeledBy: SourceCounts
  fraud: number
  flaggedFraud: number
  flaggedLegitimate: number
}

const newCounts = (mode: RuleMode): RuleCounts => ({ mode, hits: 0, errored: 0, truePositives: 0, falsePositives: 0, labeledBy: {} })

export function emptyTally(rules: ReadonlyArray<{ id: string; mode: RuleMode }>): StatsTally {
  return {
    decisions: 0,
    outcomes: { approve: 0, review: 0, block: 0 },
    rules: Object.fromEntries(rules.map((r) => [r.id, newCounts(r.mode)])),
    labeled: 0,
    labeledBy: {},
    fraud: 0,
    flaggedFraud: 0,
    flaggedLegitimate: 0,
  }
}

/** Adds one decision (and its label, if known) to the tally, in place: it runs once per record. */
export function tallyDecision(tally: StatsTally, decision: Decision, label?: { fraud: boolean; source?: LabelSource | undefined }): void {
  tally.decisions++
  tally.outcomes[decision.outcome]++
  const labeled = label !== undefined
  const fraud = label?.fraud === true
  const source = label?.source ?? 'unknown'
  if (labeled) {
    tally.labeled++
    tally.labeledBy[source] = (tally.labeledBy[source] ?? 0) + 1
    if (fraud) tally.fraud++
    if (decision.outcome !== 'approve') fraud ? tally.flaggedFraud++ : tally.flaggedLegitimate++
  }
  for (const hit of decision.rules) {
    const counts = (tally.rules[hit.id] ??= newCounts(hit.mode))
    if (hit.status === 'errored') {
      counts.errored++
      continue
    }
    counts.hits++
    if (!labeled) continue
    fraud ? counts.truePositives++ : counts.falsePositives++
    counts.labeledBy[source] = (counts.labeledBy[source] ?? 0) + 1
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
  /** Where the labels of its hits came from: precision counts every source. */
  labeledBy: SourceCounts
}

export interface StatsSummary {
  decisions: number
  outcomes: Record<Outcome, number>
  labeled: number
  labeledBy: SourceCounts
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
    labeledBy: { ...tally.labeledBy },
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
      labeledBy: { ...c.labeledBy },
    })),
  }
}
