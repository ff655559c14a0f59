/**
 * The detection bench's `vigil train` rows: the handbook's days replayed through `vigil train`'s
 * own collection (`collectRows`: the backtest's replay of the scorer's core, label-fed features
 * seeing each fraud label from its report, 7 days after the transaction), a model trained with
 * `vigil train`'s default settings on each assessed week's training week, then the week scored
 * with that model. Only the models differ from the rules columns: the same transactions, the same
 * labels, the same rule set's features, plus the transaction inputs a model reads (txn_amount, …).
 */
import type { Keyring } from '../../functions/core/keyring.ts'
import type { HistoricalLabel } from '../../functions/core/labels/label.ts'
import type { ModelBody } from '../../functions/core/models/model-file.ts'
import type { CompiledRuleSet } from '../../functions/core/rules/compile.ts'
import { collectRows } from '../../cli/train/collect.ts'
import { defaultTreeParams } from '../../cli/train/gbm.ts'
import { predictRows } from '../../cli/train/predict.ts'
import type { FeatureRows } from '../../cli/train/rows.ts'
import { fitModel, rowsBetween, type ModelSettings } from '../../cli/train/train.ts'
import type { SimulatedDataset } from './simulator.ts'
import { transactionIdOf, wireTransactions } from './transactions.ts'

const dayMs = 86_400_000

export interface HandbookRows {
  rows: FeatureRows
  /** The dataset index of each row. */
  index: Int32Array
  /** Epoch ms of day 0. */
  start: number
  ms: number
}

/** Replays days [fromDay, toDay) as `vigil train` does, every transaction from `rowsFromDay` on a row. */
export async function collectHandbookRows(data: SimulatedDataset, options: { ruleSet: CompiledRuleSet; keyring: Keyring; fromDay: number; rowsFromDay: number; toDay: number; delayDays: number }): Promise<HandbookRows> {
  const t = data.transactions
  const start = Date.parse(`${data.config.startDate}T00:00:00Z`)
  const wire = wireTransactions(data, options.keyring)
  let first = 0
  while (first < t.count && t.day[first]! < options.fromDay) first++
  let end = first
  while (end < t.count && t.day[end]! < options.toDay) end++
  const labels: HistoricalLabel[] = []
  for (let i = first; i < end; i++) {
    if (t.fraud[i]) labels.push({ transactionId: transactionIdOf(i), fraud: true, reportedAt: new Date(start + t.seconds[i]! * 1000 + options.delayDays * dayMs).toISOString(), source: 'chargeback' })
  }
  async function* lines() {
    for (let i = first; i < end; i++) yield JSON.stringify(wire(i))
  }
  let index = new Int32Array(1 << 16)
  const began = performance.now()
  const { rows } = await collectRows({
    ruleSet: options.ruleSet,
    keyring: options.keyring,
    lines: lines(),
    labels,
    from: start + options.rowsFromDay * dayMs,
    to: start + options.toDay * dayMs,
    startedAt: start + options.toDay * dayMs,
    onRow: (txn, row) => {
      if (row >= index.length) {
        const wider = new Int32Array(index.length * 2)
        wider.set(index)
        index = wider
      }
      index[row] = Number(txn.transactionId.slice(3))
    },
  })
  return { rows, index: index.subarray(0, rows.length), start, ms: performance.now() - began }
}

export const defaultSettings: ModelSettings = { kind: 'trees', params: defaultTreeParams }

/**
 * Trains on the training week [trainingStartDay, +7 days) and scores the test week: Vigil's
 * probability per dataset transaction of the test week, NaN elsewhere. The targets are the fraud
 * labels of the training week, all reported by the test week's start (7 days after the last of
 * them), as the handbook's protocol knows them; the test week's features are point-in-time.
 */
export function trainAndScore(h: HandbookRows, count: number, week: { trainingStartDay: number; trainingDays: number; testStartDay: number; testDays: number }, settings: ModelSettings = defaultSettings): { score: Float64Array; model: ModelBody['model']; trainingRows: number; ms: number } {
  const day = (d: number) => h.start + d * dayMs
  const began = performance.now()
  const training = rowsBetween(h.rows, day(week.trainingStartDay), day(week.trainingStartDay + week.trainingDays))
  const model = fitModel(h.rows, training, settings)
  const ms = performance.now() - began
  const test = rowsBetween(h.rows, day(week.testStartDay), day(week.testStartDay + week.testDays))
  const predicted = predictRows(model, h.rows, test)
  const score = new Float64Array(count).fill(Number.NaN)
  test.forEach((row, k) => (score[h.index[row]!] = predicted[k]!))
  return { score, model, trainingRows: training.length, ms }
}
