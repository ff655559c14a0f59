import type { Decision } from '../../functions/core/decision.ts'
import type { RuleMode } from '../../functions/core/rules/rule-set.ts'
import { aucRoc, averagePrecision } from '../train/metrics.ts'

export interface ModelMeasure {
  name: string
  version: number
  mode: RuleMode
  /** Transactions measured, and the frauds among them. */
  measured: number
  frauds: number
  aucRoc: number | null
  averagePrecision: number | null
}

/**
 * How well each model of the rule set (shadow ones too: that is what shadow is for) ranks the
 * labeled history, by the measures of `vigil train`. Scores are kept per transaction (8 bytes
 * each, 9 with the label), so a million-line backtest holds 9 MB per model.
 *
 * Which transactions count: with both kinds of label in the file (analysts' verdicts), the labeled
 * ones; with fraud labels only (a chargeback feed), every transaction, the unlabeled counted
 * legitimate, as the handbook counts them.
 */
export class ModelMeasures {
  private readonly models = new Map<string, { version: number; mode: RuleMode; scores: number[]; labels: Array<0 | 1 | undefined> }>()

  add(decision: Decision, label: { fraud: boolean } | undefined): void {
    for (const m of decision.models ?? []) {
      let kept = this.models.get(m.name)
      if (!kept) this.models.set(m.name, (kept = { version: m.version, mode: m.mode, scores: [], labels: [] }))
      kept.scores.push(m.score)
      kept.labels.push(label === undefined ? undefined : label.fraud ? 1 : 0)
    }
  }

  /** The measures, and which transactions they are over. */
  summary(): { population: 'labeled' | 'all, unlabeled as legitimate'; models: ModelMeasure[] } {
    const all = [...this.models.values()]
    const verdicts = all.some((m) => m.labels.includes(0))
    const models = [...this.models].map(([name, m]) => {
      const scores: number[] = []
      const labels: number[] = []
      m.labels.forEach((label, i) => {
        if (label === undefined && verdicts) return
        scores.push(m.scores[i]!)
        labels.push(label ?? 0)
      })
      const frauds = labels.reduce((s, l) => s + l, 0)
      const finite = (x: number) => (Number.isFinite(x) ? x : null)
      return { name, version: m.version, mode: m.mode, measured: scores.length, frauds, aucRoc: finite(aucRoc(scores, labels)), averagePrecision: finite(averagePrecision(scores, labels).expected) }
    })
    return { population: verdicts ? 'labeled' : 'all, unlabeled as legitimate', models }
  }
}
