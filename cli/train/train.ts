import type { ModelBody } from '../../functions/core/models/model-file.ts'
import { trainTrees, type TreeParams } from './gbm.ts'
import { trainLogistic, type LogisticParams } from './logistic.ts'
import { aucRoc, averagePrecision, cardPrecisionCeiling, expectedCardPrecisionAtK, sampledCardPrecisionAtK, testSetIndices } from './metrics.ts'
import { predictRows } from './predict.ts'
import type { FeatureRows } from './rows.ts'
import { Random } from '../../local/traffic/random.ts'

export const dayMs = 86_400_000

export type ModelSettings = { kind: 'trees'; params: TreeParams } | { kind: 'logistic'; params: LogisticParams }

/** Fits a model on the rows of `subset` (indices into `rows`). */
export function fitModel(rows: FeatureRows, subset: Uint32Array, settings: ModelSettings, onTree?: (done: number) => void): ModelBody['model'] {
  if (settings.kind === 'trees') return trainTrees(rows.columns, rows.target, subset, settings.params, onTree).model
  return trainLogistic(rows.columns, rows.target, subset, settings.params)
}

/** The indices of the rows whose time is in [from, to), in row order. */
export function rowsBetween(rows: FeatureRows, from: number, to: number): Uint32Array {
  const out: number[] = []
  for (let i = 0; i < rows.length; i++) if (rows.time[i]! >= from && rows.time[i]! < to) out.push(i)
  return Uint32Array.from(out)
}

export interface Figures {
  rows: number
  frauds: number
  aucRoc: number
  averagePrecision: number
  /** CP@100 by the handbook's protocol over the days of the assessed stretch. */
  cardPrecisionAt100: number
  /** CP@100 of a perfect ranking of the same test set: the most any model could reach. */
  cardPrecisionCeiling: number
}

/**
 * The handbook's figures for scores of the rows of [start, end), each "day" a 24-hour period from
 * `start`: AUC ROC and average precision over those rows, and CP@100 on its test set, each day
 * without the cards whose fraud was known by then (a fraud label reported during a day counts from
 * the next, from `knownFrom` on: frauds before it are not looked at, as the handbook's training
 * start), and the cards caught on earlier days dropped, in expectation over ties (sampled where
 * following every tie is out of reach).
 */
export function assessRows(rows: FeatureRows, score: (subset: Uint32Array) => Float64Array, window: { knownFrom: number; start: number; end: number }): Figures {
  const context = rowsBetween(rows, window.knownFrom, window.end)
  const dayOf = (t: number) => Math.floor((t - window.start) / dayMs)
  const day = Array.from(context, (i) => dayOf(rows.time[i]!))
  const card = Array.from(context, (i) => rows.card[i]!)
  const fraud = Array.from(context, (i) => rows.target[i]!)
  const knownDay = Array.from(context, (i) => (rows.knownAt[i]! === Infinity ? Infinity : dayOf(rows.knownAt[i]!) + 1))
  const assessed = rowsBetween(rows, window.start, window.end)
  const scores = score(assessed)
  const position = new Map<number, number>()
  assessed.forEach((row, k) => position.set(row, k))
  const testDays = Math.ceil((window.end - window.start) / dayMs)
  const kept = testSetIndices({ day, card, fraud, knownDay }, { trainingStartDay: dayOf(window.knownFrom), testStartDay: 0, testDays, delayDays: 0 })
  const test = { day: kept.map((j) => day[j]!), card: kept.map((j) => card[j]!), fraud: kept.map((j) => fraud[j]!), score: kept.map((j) => scores[position.get(context[j]!)!]!) }
  let cp: number
  try {
    cp = expectedCardPrecisionAtK(test, 100, { removeDetected: true, maxBranches: 200_000 }).mean
  } catch {
    cp = sampledCardPrecisionAtK(test, 100, 400, new Random(window.start % 2 ** 31, 1)).mean
  }
  const target = Array.from(assessed, (i) => rows.target[i]!)
  return {
    rows: assessed.length,
    frauds: target.reduce((s, f) => s + f, 0),
    aucRoc: aucRoc(scores, target),
    averagePrecision: averagePrecision(scores, target).expected,
    cardPrecisionAt100: cp,
    cardPrecisionCeiling: test.day.length > 0 ? cardPrecisionCeiling(test, 100) : Number.NaN,
  }
}

export interface Trained {
  model: ModelBody['model']
  /** The hold-out's figures, for a model fitted the same way on the rows before it. */
  validation: Figures & { from: number; to: number }
  trainingRows: number
  trainingFrauds: number
}

/**
 * `vigil train`'s recipe: hold out the last `holdoutMs` of [from, to) by time, fit on the rows
 * before it and assess on it (features of the hold-out are point-in-time, its labels never reach
 * the fit); then fit again, the same way, on every row of [from, to): that is the model written.
 */
export function trainWithHoldout(rows: FeatureRows, range: { from: number; to: number; holdoutMs: number }, settings: ModelSettings, progress?: (done: number, total: number) => void): Trained {
  const holdoutStart = range.to - range.holdoutMs
  const before = rowsBetween(rows, range.from, holdoutStart)
  const all = rowsBetween(rows, range.from, range.to)
  const steps = settings.kind === 'trees' ? settings.params.trees : 1
  const validationModel = fitModel(rows, before, settings, (done) => progress?.(done, 2 * steps))
  progress?.(steps, 2 * steps)
  const validation = { from: holdoutStart, to: range.to, ...assessRows(rows, (subset) => predictRows(validationModel, rows, subset), { knownFrom: range.from, start: holdoutStart, end: range.to }) }
  const model = fitModel(rows, all, settings, (done) => progress?.(steps + done, 2 * steps))
  progress?.(2 * steps, 2 * steps)
  let frauds = 0
  for (const i of all) frauds += rows.target[i]!
  return { model, validation, trainingRows: all.length, trainingFrauds: frauds }
}
