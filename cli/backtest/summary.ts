import type { SourceCounts, StatsSummary } from '../../functions/core/rules/stats.ts'
import type { ModelMeasures } from './model-measures.ts'
import type { BacktestReport } from './run.ts'

const count = (n: number) => n.toLocaleString('en-US')
const percent = (share: number | null) => (share === null ? '–' : `${(share * 100).toFixed(1)}%`)
const sources = (by: SourceCounts) =>
  Object.entries(by)
    .map(([source, n]) => `${source} ${count(n)}`)
    .join(', ') || '–'

/** The backtest's closing report as a plain-text table. */
export function formatSummary(
  summary: StatsSummary,
  run: Pick<BacktestReport, 'lines' | 'rejected' | 'duplicates' | 'late' | 'labels'> & { seconds: number; decisionsPath: string; rejectsPath: string },
  models?: ReturnType<ModelMeasures['summary']>,
): string {
  const measure = (x: number | null) => (x === null ? '–' : x.toFixed(3))
  const { decisions, outcomes } = summary
  const share = (n: number) => percent(decisions === 0 ? null : n / decisions)
  const rows = summary.rules.map((r) => [r.id, r.mode, count(r.hits), share(r.hits), count(r.errored), percent(r.precision), percent(r.recall), sources(r.labeledBy)])
  const header = ['rule', 'mode', 'hits', 'hit rate', 'errored', 'precision', 'recall', 'labels by source']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 || i === 7 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()
  const { fed, accepted, duplicate, superseded, unmatched } = run.labels
  return [
    `records    ${count(run.lines)} lines: ${count(decisions)} decided, ${count(run.rejected)} invalid, ${count(run.duplicates)} duplicates (${run.rejectsPath})` +
      (run.late > 0 ? `, ${count(run.late)} scored late (beyond the reorder buffer)` : ''),
    `outcomes   approve ${count(outcomes.approve)} (${share(outcomes.approve)})  review ${count(outcomes.review)} (${share(outcomes.review)})  block ${count(outcomes.block)} (${share(outcomes.block)})`,
    summary.labeled > 0
      ? `labels     ${count(summary.labeled)} labeled (${sources(summary.labeledBy)}), ${count(summary.fraud)} fraud; flagged (review or block): precision ${percent(summary.precision)}, recall ${percent(summary.recall)}`
      : 'labels     none (pass --labels FILE for precision and recall)',
    ...(fed > 0
      ? [`fed        ${count(fed)} labels into features at their reportedAt: ${count(accepted)} accepted, ${count(duplicate)} duplicate, ${count(superseded)} superseded, ${count(unmatched)} unmatched`]
      : []),
    ...(models?.models.map(
      (m) =>
        `model      ${m.name} v${m.version} (${m.mode}): AUC ${measure(m.aucRoc)}, average precision ${measure(m.averagePrecision)} over ${count(m.measured)} transactions (${models.population}), ${count(m.frauds)} fraud`,
    ) ?? []),
    `speed      ${count(Math.round(run.lines / Math.max(run.seconds, 1e-9)))} records/s (${run.seconds.toFixed(2)} s)`,
    `decisions  ${run.decisionsPath}`,
    '',
    line(header),
    ...rows.map(line),
  ].join('\n')
}
