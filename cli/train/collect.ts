import type { HistoricalLabel } from '../../functions/core/labels/label.ts'
import { inputReader, transactionInputNames } from '../../functions/core/models/inputs.ts'
import type { CompiledRuleSet } from '../../functions/core/rules/compile.ts'
import { eventTime, type Transaction } from '../../functions/core/transaction.ts'
import { runBacktest, type BacktestOptions, type BacktestReport } from '../backtest/run.ts'
import { FeatureRows } from './rows.ts'

/**
 * The training examples of `vigil train`: the backtest's replay (`runBacktest`, the scorer's own
 * core in event-time order, label-fed features seeing each label from its `reportedAt`) and, for
 * every transaction it decides with `occurredAt` in [from, to), the model's inputs as the scorer
 * will read them (`inputReader`): the feature values it was decided on (the table `vigil features`
 * writes, in typed arrays instead of CSV) and the transaction's own inputs (`txn_amount`, …).
 *
 * The target, and the leakage rule: a transaction's target is the label that stands among those
 * KNOWN AT THE CUTOFF (`asOf`, default the end of the replayed history: the newest event time
 * replayed), each label known from its `reportedAt` (or its transaction's time plus `labelDelayMs`
 * when it has none). A label reported after the cutoff is not a target: a model trained at the
 * cutoff could not have had it. No label: legitimate (the handbook's convention). A label with
 * neither a `reportedAt` nor a delay has no time at which it was known, so it is refused.
 * Features are point-in-time by the replay itself: a row's features see labels reported by its own
 * time, and the cutoff is never before `to`, so no row's features postdate it either.
 */
export interface CollectOptions extends Pick<BacktestOptions, 'ruleSet' | 'keyring' | 'refusedKeyId' | 'lines' | 'labels' | 'labelDelayMs' | 'onProgress' | 'startedAt'> {
  /** The model's inputs, in order; every feature of the rule set, then every transaction input, if left out. */
  inputs?: readonly string[]
  /** [from, to) in epoch ms: the transactions that become rows. */
  from: number
  to: number
  /** The cutoff for targets (epoch ms, not before `to`); the end of the replayed history if left out. */
  asOf?: number
  /** Called with each row as it is added (the detection bench maps rows back to its dataset). */
  onRow?: (txn: Transaction, row: number) => void
}

export interface Collected {
  rows: FeatureRows
  /** The cutoff the targets were taken at (epoch ms). */
  asOf: number
  report: BacktestReport
  /** Labels of rows left out as targets because they were reported after the cutoff. */
  labelsAfterCutoff: number
}

export class UndatedLabelError extends Error {
  readonly code = 'undated_label'
  readonly count: number
  constructor(count: number) {
    super(`${count} label(s) have no reportedAt: say when labels become known with --label-delay (e.g. 7d), or date them`)
    this.name = 'UndatedLabelError'
    this.count = count
  }
}

export async function collectRows(options: CollectOptions): Promise<Collected> {
  const { ruleSet, from, to } = options
  if (options.asOf !== undefined && options.asOf < to) throw new RangeError('the cutoff for labels must not be before the end of the training range')
  const labels = options.labels ?? []
  const undated = labels.filter((l) => l.reportedAt === undefined).length
  if (undated > 0 && options.labelDelayMs === undefined) throw new UndatedLabelError(undated)
  // Each transaction's labels, with their file order (the later of two reports at one time stands, as in the replay).
  const byTransaction = new Map<string, Array<{ label: HistoricalLabel; order: number }>>()
  labels.forEach((label, order) => {
    const list = byTransaction.get(label.transactionId)
    if (list) list.push({ label, order })
    else byTransaction.set(label.transactionId, [{ label, order }])
  })
  const names = options.inputs ?? defaultInputs(ruleSet)
  const readers = names.map(inputReader)
  const values = new Array<number | undefined>(names.length)
  const rows = new FeatureRows(names)
  // Rows with labels: when each label became known, resolved once the cutoff is known.
  const labelled = new Map<number, Array<{ known: number; fraud: boolean; order: number }>>()
  let newest = -Infinity
  const report = await runBacktest({
    ruleSet,
    keyring: options.keyring,
    ...(options.refusedKeyId ? { refusedKeyId: options.refusedKeyId } : {}),
    lines: options.lines,
    ...(labels.length > 0 ? { labels } : {}),
    ...(options.labelDelayMs !== undefined ? { labelDelayMs: options.labelDelayMs } : {}),
    reorderCapacity: 10_000,
    dedupeHorizonMs: 86_400_000,
    ...(options.startedAt !== undefined ? { startedAt: options.startedAt } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    onDecision: (_decision, { txn, features }) => {
      const time = eventTime(txn)
      if (time > newest) newest = time
      if (time < from || time >= to) return
      for (let f = 0; f < readers.length; f++) values[f] = readers[f]!(txn, features)
      const row = rows.push(values, time, txn.card.token)
      const own = byTransaction.get(txn.transactionId)
      if (own) labelled.set(row, own.map(({ label, order }) => ({ known: label.reportedAt !== undefined ? Date.parse(label.reportedAt) : time + options.labelDelayMs!, fraud: label.fraud, order })))
      options.onRow?.(txn, row)
    },
    onReject: () => undefined,
  })
  const asOf = options.asOf ?? Math.max(newest, from)
  let labelsAfterCutoff = 0
  for (const [row, list] of labelled) {
    const known = list.filter((l) => l.known <= asOf)
    labelsAfterCutoff += list.length - known.length
    const standing = known.reduce<(typeof known)[number] | undefined>((a, b) => (a === undefined || b.known > a.known || (b.known === a.known && b.order > a.order) ? b : a), undefined)
    if (standing?.fraud) {
      rows.target[row] = 1
      rows.knownAt[row] = Math.min(...known.filter((l) => l.fraud).map((l) => l.known))
    }
  }
  return { rows, asOf, report, labelsAfterCutoff }
}

/** Every feature the rule set declares, then every transaction input. */
export const defaultInputs = (ruleSet: CompiledRuleSet): string[] => [...ruleSet.features.map((f) => f.name), ...transactionInputNames]
