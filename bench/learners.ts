/**
 * `npm run bench -- learners`: which library should `vigil train` learn with? Maintained npm
 * learners against Vigil's own (cli/train/), on the Fraud Detection Handbook's protocol: trained on
 * its training week (2018-07-25 to 07-31), assessed on its test week (2018-08-08 to 08-14), the
 * rows being `vigil train`'s (the default rules' features with label-fed features, and the
 * transaction inputs). Training time and the heap and memory each took are measured around the
 * fit (resident memory, and the process's peak); the libraries take the rows as they ask for them
 * (arrays of arrays, or objects). Each fits in a process of its own (its peak memory is its own);
 * one still fitting after VIGIL_LEARNERS_MINUTES (default 20) is stopped and reported as such.
 *
 * The libraries are not dependencies of Vigil (none is used): install them beside the checkout
 * and point VIGIL_LEARNERS_DIR at their node_modules, e.g.
 *   npm install --prefix /tmp/learners ml-cart@2.1.1 ml-random-forest@2.1.0 ml-logistic-regression@2.0.0 ml-xgboost@1.1.2 ml-matrix@6 decision-tree@1.0.0
 *   VIGIL_LEARNERS_DIR=/tmp/learners/node_modules npm run bench -- learners
 * Without them the bench says so and measures Vigil's learners only.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { singleKey } from '../functions/core/keyring.ts'
import { defaultTreeParams } from '../cli/train/gbm.ts'
import { aucRoc, averagePrecision, cardPrecisionCeiling, expectedCardPrecisionAtK, sampledCardPrecisionAtK, testSetIndices } from '../cli/train/metrics.ts'
import { predictRows } from '../cli/train/predict.ts'
import { FeatureRows } from '../cli/train/rows.ts'
import { fitModel, rowsBetween, type ModelSettings } from '../cli/train/train.ts'
import { defaultLogisticParams } from '../cli/train/logistic.ts'
import { Random } from '../local/traffic/random.ts'
import { publishedProtocol } from './detection/published.ts'
import { benchRuleSets } from './detection/rule-sets.ts'
import { handbookConfig, simulate } from './detection/simulator.ts'
import { collectHandbookRows, type HandbookRows } from './detection/trained.ts'
import { saveResults } from './results.ts'

const exec = promisify(execFile)
const dayMs = 86_400_000
/** A 35-day window and a 7-day lag (the default rules' widest) warm up before the training week. */
const warmUpDays = 36

interface Learner {
  name: string
  library: string
  /** Trains on `x` (rows of numbers, missing as NaN) and `y`; returns a scorer of rows. */
  fit: (x: number[][], y: number[]) => Promise<(x: number[][]) => number[]> | ((x: number[][]) => number[])
  note: string
}

function libraries(dir: string | undefined): { learners: Learner[]; missing?: string } {
  if (!dir) return { learners: [], missing: 'VIGIL_LEARNERS_DIR is not set' }
  const require = createRequire(join(dir, 'noop.js'))
  try {
    // Each library is loaded when its learner fits, in that learner's own process (a wasm runtime
    // starts on load, and one library's state must not touch another's figures).
    const cart = () => require('ml-cart') as { DecisionTreeClassifier: new (o: object) => { train(x: number[][], y: number[]): void; root: { classify(row: number[]): { get(r: number, c: number): number; columns: number } } } }
    const forest = () => require('ml-random-forest') as { RandomForestClassifier: new (o: object) => { train(x: number[][], y: number[]): void; predictProbability(x: number[][], label: number): number[] } }
    const logistic = () => {
      const module = require('ml-logistic-regression') as { default?: unknown }
      return (module.default ?? module) as new (o: object) => { train(x: unknown, y: unknown): void; classifiers: Array<{ testScores(x: unknown): number[] }> }
    }
    const matrix = () => (require('ml-matrix') as { Matrix: { new (x: number[][]): unknown; columnVector(y: number[]): unknown } }).Matrix
    const xgboost = () => require('ml-xgboost') as Promise<new (o: object) => { train(x: number[][], y: number[]): void; predict(x: number[][]): number[]; free(): void }>
    // Its package exports only the ID3 tree; the boosting class is read from its file.
    const decisionTreeBoosting = () => (require(join(dir, 'decision-tree/lib/xgboost.js')) as { default: new (target: string, features: string[], config: object) => { train(data: object[]): void; predict(row: object): number } }).default
    require.resolve('ml-cart')
    require.resolve('ml-random-forest')
    require.resolve('ml-logistic-regression')
    require.resolve('ml-xgboost')
    require.resolve('decision-tree')
    // mljs learners cannot take NaN: a missing value is −1 (no feature here is negative).
    const filled = (x: number[][]) => x.map((r) => r.map((v) => (Number.isNaN(v) ? -1 : v)))
    return {
      learners: [
        {
          name: 'CART tree, depth 6',
          library: 'ml-cart 2.1.1 (mljs)',
          note: 'exact greedy splits (every midpoint of every feature at every node); a tree is a JS object graph; no missing values; gainThreshold lowered from its default 0.01, which no split reaches at a 0.8% fraud rate (the tree stays a stump); probabilities read from the leaf distribution',
          fit: (x, y) => {
            const tree = new (cart().DecisionTreeClassifier)({ maxDepth: 6, minNumSamples: 20, gainThreshold: 1e-6 })
            tree.train(filled(x), y)
            return (t) => filled(t).map((r) => {
              const d = tree.root.classify(r)
              return d.columns > 1 ? d.get(0, 1) : 0
            })
          },
        },
        {
          name: 'Random forest, 50 trees, depth 6',
          library: 'ml-random-forest 2.1.0 (mljs)',
          note: 'bagged ml-cart trees; seeded; no missing values; predictProbability is the share of trees voting fraud',
          fit: (x, y) => {
            const model = new (forest().RandomForestClassifier)({ nEstimators: 50, maxFeatures: 0.6, seed: 1, treeOptions: { maxDepth: 6, minNumSamples: 20, gainThreshold: 1e-6 }, noOOB: true })
            model.train(filled(x), y)
            return (t) => model.predictProbability(filled(t), 1)
          },
        },
        {
          name: 'Logistic regression',
          library: 'ml-logistic-regression 2.0.0 (mljs)',
          note: 'fixed-step gradient descent (numSteps × learningRate), one-vs-all, no regularization, no scaling: inputs standardized here first; score = −testScores of the fraud classifier (its predict takes the minimum)',
          fit: (x, y) => {
            const raw = filled(x)
            const d = raw[0]!.length
            const mean = Array.from({ length: d }, (_, j) => raw.reduce((s, r) => s + r[j]!, 0) / raw.length)
            const sd = Array.from({ length: d }, (_, j) => Math.sqrt(raw.reduce((s, r) => s + (r[j]! - mean[j]!) ** 2, 0) / raw.length) || 1)
            const z = (rows: number[][]) => rows.map((r) => r.map((v, j) => (v - mean[j]!) / sd[j]!))
            const Matrix = matrix()
            const model = new (logistic())({ numSteps: 2000, learningRate: 5e-3 })
            model.train(new Matrix(z(raw)), Matrix.columnVector(y))
            return (t) => model.classifiers[1]!.testScores(new Matrix(z(filled(t)))).map((s) => -s)
          },
        },
        {
          name: 'XGBoost (wasm), 300 trees, depth 4, eta 0.05',
          library: 'ml-xgboost 1.1.2 (mljs; XGBoost of 2017 built with emscripten 1.37)',
          note: 'the real XGBoost, in wasm with a fixed 16 MiB heap (TOTAL_MEMORY=16777216): beyond about 60,000 rows of 20 inputs, or with a NaN (missing value) in the rows, it aborts (RuntimeError: memory access out of bounds); missing values are −1 here; rows copied into the wasm heap as float32; its model saves as XGBoost’s binary format only (no tree dump to turn into Vigil’s file); unreleased since, on ml-matrix 5',
          fit: async (x, y) => {
            const XGBoost = await xgboost()
            const booster = new XGBoost({ booster: 'gbtree', objective: 'binary:logistic', max_depth: 4, eta: 0.05, min_child_weight: 1, subsample: 0.8, colsample_bytree: 0.8, silent: 1, iterations: 300 })
            booster.train(filled(x), y)
            return (t) => booster.predict(filled(t))
          },
        },
        {
          name: '"XGBoost", 50 trees, depth 4, inputs in deciles',
          library: 'decision-tree 1.0.0',
          note: 'splits are equality tests on values (a branch per distinct value, rows filtered per branch), so continuous inputs must be binned first (deciles here); rows are objects; its binary objective predicts only true/false, so the regression objective (squared loss on 0/1) gives the ranking',
          fit: (x, y) => {
            const d = x[0]!.length
            const cuts = Array.from({ length: d }, (_, j) => {
              const sorted = x.map((r) => r[j]!).filter((v) => !Number.isNaN(v)).sort((a, b) => a - b)
              return [1, 2, 3, 4, 5, 6, 7, 8, 9].map((q) => sorted[Math.floor((q * sorted.length) / 10)] ?? 0)
            })
            const decile = (v: number, j: number) => (Number.isNaN(v) ? -1 : cuts[j]!.filter((c) => c <= v).length)
            const names = Array.from({ length: d }, (_, j) => `f${j}`)
            const objects = (rows: number[][]) => rows.map((r) => Object.fromEntries(r.map((v, j) => [names[j]!, decile(v, j)])))
            const model = new (decisionTreeBoosting())('fraud', names, { nEstimators: 50, maxDepth: 4, learningRate: 0.1, objective: 'regression', randomState: 1 })
            model.train(objects(x).map((o, i) => ({ ...o, fraud: y[i] })))
            return (t) => objects(t).map((o) => Number(model.predict(o)))
          },
        },
      ],
    }
  } catch (error) {
    return { learners: [], missing: `cannot load the libraries from ${dir}: ${(error as Error).message}` }
  }
}

/** Vigil's own learners, fed the same rows as the libraries (through FeatureRows, as `vigil train` holds them). */
const vigilLearners: Learner[] = [
  {
    name: `Gradient-boosted trees, ${defaultTreeParams.trees} trees, depth ${defaultTreeParams.maxDepth}, eta ${defaultTreeParams.learningRate}`,
    library: 'Vigil (cli/train/gbm.ts)',
    note: 'histograms of ≤ 256 quantile bins (one byte a value), second-order logistic loss, missing values learnt per split, seeded subsampling; writes Vigil’s trees kind',
    fit: (x, y) => fitVigil(x, y, { kind: 'trees', params: defaultTreeParams }),
  },
  {
    name: 'Logistic regression, L2',
    library: 'Vigil (cli/train/logistic.ts)',
    note: 'Newton’s method on standardized inputs (missing as 0, as the model file scores it), folded back into raw weights',
    fit: (x, y) => fitVigil(x, y, { kind: 'logistic', params: defaultLogisticParams }),
  },
]

function fitVigil(x: number[][], y: number[], settings: ModelSettings): (t: number[][]) => number[] {
  const names = x[0]!.map((_, j) => `f${j}`)
  const load = (m: number[][], labels?: number[]) => {
    const rows = new FeatureRows(names, Math.max(1, m.length))
    m.forEach((r, i) => {
      rows.push(r, i, 'card')
      if (labels) rows.target[i] = labels[i]!
    })
    return rows
  }
  const training = load(x, y)
  const model = fitModel(training, Uint32Array.from(y, (_, i) => i), settings)
  return (t) => {
    const rows = load(t)
    return Array.from(predictRows(model, rows, Uint32Array.from(t, (_, i) => i)))
  }
}

/** The child process: `learners.ts --fit vigil:0|library:N rows.json` fits one learner and prints its test scores. */
async function fitOne(which: string, dataPath: string): Promise<void> {
  const { x, y, test } = JSON.parse(await readFile(dataPath, 'utf8')) as { x: number[][]; y: number[]; test: number[][] }
  // JSON has no NaN: missing values arrive as null.
  const nan = (m: number[][]) => m.map((r) => r.map((v) => (v === null ? Number.NaN : v)))
  const [kind, index] = which.split(':') as ['vigil' | 'library', string]
  const learner = kind === 'vigil' ? vigilLearners[Number(index)]! : libraries(process.env.VIGIL_LEARNERS_DIR).learners[Number(index)]!
  const began = performance.now()
  const scorer = await learner.fit(nan(x), y)
  const trainingMs = performance.now() - began
  const scores = scorer(nan(test))
  // Exits once written: a wasm runtime may hold the event loop open.
  process.stdout.write(JSON.stringify({ scores, trainingMs, maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }), () => process.exit(0))
}

if (process.argv[2] === '--fit') await fitOne(process.argv[3]!, process.argv[4]!)

function assess(h: HandbookRows, data: ReturnType<typeof simulate>, test: Uint32Array, scores: ArrayLike<number>, window: { trainingStartDay: number; testStartDay: number; testDays: number; delayDays: number }) {
  const t = data.transactions
  const score = new Float64Array(t.count).fill(Number.NaN)
  test.forEach((row, k) => (score[h.index[row]!] = scores[k]!))
  const kept = testSetIndices({ day: t.day, card: t.customer, fraud: t.fraud }, window)
  const set = { day: kept.map((i) => t.day[i]!), card: kept.map((i) => t.customer[i]!), fraud: kept.map((i) => t.fraud[i]!), score: kept.map((i) => score[i]!) }
  let cp: number
  try {
    cp = expectedCardPrecisionAtK(set, 100, { removeDetected: true }).mean
  } catch {
    cp = sampledCardPrecisionAtK(set, 100, 400, new Random(window.testStartDay, 1)).mean
  }
  return { aucRoc: aucRoc(set.score, set.fraud), averagePrecision: averagePrecision(set.score, set.fraud).expected, cardPrecisionAt100: cp, ceiling: cardPrecisionCeiling(set, 100) }
}

export async function learnersBench(): Promise<Record<string, unknown>> {
  const data = simulate(handbookConfig)
  const sets = await benchRuleSets()
  const start = Date.parse(`${handbookConfig.startDate}T00:00:00Z`)
  const testStartDay = Math.round((Date.parse(`${publishedProtocol.testStart}T00:00:00Z`) - start) / dayMs)
  const window = { trainingStartDay: testStartDay - publishedProtocol.trainingDays - publishedProtocol.delayDays, testStartDay, testDays: publishedProtocol.testDays, delayDays: publishedProtocol.delayDays }
  const h = await collectHandbookRows(data, { ruleSet: sets.withLabels, keyring: singleKey('detection-bench-tokenization-key', 'bench'), fromDay: window.trainingStartDay - warmUpDays, rowsFromDay: window.trainingStartDay, toDay: testStartDay + window.testDays, delayDays: publishedProtocol.delayDays })
  const training = rowsBetween(h.rows, start + window.trainingStartDay * dayMs, start + (window.trainingStartDay + publishedProtocol.trainingDays) * dayMs)
  const test = rowsBetween(h.rows, start + testStartDay * dayMs, start + (testStartDay + window.testDays) * dayMs)
  const matrix = (subset: Uint32Array) => Array.from(subset, (i) => h.rows.columns.map((c) => c[i]!))
  const y = Array.from(training, (i) => h.rows.target[i]!)

  const vigil = vigilLearners
  // Each learner fits in a process of its own: its peak resident memory is its own, and one still
  // fitting after the time limit is stopped and reported as such.
  const dataPath = join(await mkdtemp(join(tmpdir(), 'vigil-learners-')), 'rows.json')
  await writeFile(dataPath, JSON.stringify({ x: matrix(training), y, test: matrix(test) }))
  const found = libraries(process.env.VIGIL_LEARNERS_DIR)
  if (found.missing) console.log(`learners: ${found.missing}; measuring Vigil's learners only (see bench/learners.ts to install the others)`)
  const minutes = Number(process.env.VIGIL_LEARNERS_MINUTES ?? 20)
  const rows: Array<Record<string, unknown>> = []
  const all = [...vigil.map((l, i) => ({ learner: l, which: `vigil:${i}` })), ...found.learners.map((l, i) => ({ learner: l, which: `library:${i}` }))]
  for (const { learner, which } of all) {
    let figures: Record<string, number | string>
    try {
      const { stdout } = await exec(process.execPath, [new URL(import.meta.url).pathname, '--fit', which, dataPath], { timeout: minutes * 60_000, maxBuffer: 1 << 26, env: process.env })
      const fitted = JSON.parse(stdout) as { scores: number[]; trainingMs: number; maxRssMB: number }
      figures = { ...assess(h, data, test, fitted.scores, window), trainingMs: Math.round(fitted.trainingMs), peakRssMB: fitted.maxRssMB }
    } catch (error) {
      const e = error as { killed?: boolean; stderr?: string; message: string }
      // The error that stopped it (a wasm runtime prints warnings and its own minified source first).
      const lines = (e.stderr || e.message).split('\n').filter((l) => /^\s*\w*Error\b/.test(l) && l.length < 300)
      figures = { failed: e.killed ? `still fitting after ${minutes} minutes: stopped` : (lines.at(-1) ?? e.message).trim() }
    }
    const row = { learner: learner.name, library: learner.library, ...figures, note: learner.note }
    rows.push(row)
    const f = figures as { aucRoc: number; averagePrecision: number; cardPrecisionAt100: number; trainingMs: number; peakRssMB: number; failed?: string }
    console.log(`  ${learner.library.padEnd(40)} ${learner.name.padEnd(50)} ${f.failed === undefined ? `AUC ${f.aucRoc.toFixed(3)} AP ${f.averagePrecision.toFixed(3)} CP@100 ${f.cardPrecisionAt100.toFixed(3)} in ${(f.trainingMs / 1000).toFixed(1)} s, peak RSS ${f.peakRssMB} MB` : f.failed}`)
  }
  const figures = {
    protocol: `trained on ${publishedProtocol.trainingStart} + 6 days (${training.length} rows, ${y.reduce((s, v) => s + v, 0)} frauds), assessed on ${publishedProtocol.testStart} + 6 days by the handbook's protocol (cli/train/metrics.ts)`,
    inputs: h.rows.names,
    rows,
    memory: 'peakRssMB: the peak resident memory (getrusage maxrss) of a process that loads the rows (JSON) and fits that one learner, the rows included',
  }
  const path = await saveResults('learners', figures)
  console.log(`  saved ${path}`)
  return figures
}
