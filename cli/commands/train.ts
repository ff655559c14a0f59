import { stat, writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { durationSchema } from '../../functions/core/features/definition.ts'
import { isTransactionInput } from '../../functions/core/models/inputs.ts'
import { compileModel, withChecksum, type ModelBody } from '../../functions/core/models/model-file.ts'
import { RefusedKeyError } from '../backtest/run.ts'
import { readLines } from '../jsonl.ts'
import { ProgressBar } from '../progress.ts'
import { loadReplayInput, replayOptions } from '../replay-input.ts'
import { collectRows, defaultInputs, UndatedLabelError } from '../train/collect.ts'
import { defaultTreeParams, type TreeParams } from '../train/gbm.ts'
import { defaultLogisticParams } from '../train/logistic.ts'
import { dayMs, trainWithHoldout, type ModelSettings } from '../train/train.ts'
import { UsageError } from '../usage-error.ts'

const d = defaultTreeParams

export const trainUsage = `vigil train --rules FILE --input FILE --labels FILE --from DATE --to DATE --out MODEL.json
            [--label-delay DURATION] [--as-of DATE] [--name fraud] [--version 1] [--kind trees|logistic]
            [--inputs a,b,c] [--holdout DURATION] [--seed ${d.seed}] [--trees ${d.trees}] [--learning-rate ${d.learningRate}]
            [--max-depth ${d.maxDepth}] [--min-child-weight ${d.minChildWeight}] [--lambda ${d.lambda}] [--subsample ${d.subsample}]
            [--colsample ${d.colsample}] [--l2 ${defaultLogisticParams.l2}] [--allow-development-key]

Trains a fraud model on a history and writes Vigil's model file. The history is replayed through
the scoring core exactly as vigil backtest and vigil features replay it (event-time order,
label-fed features seeing each label from its reportedAt on); every transaction with occurredAt in
[--from, --to) becomes a training row: the model's inputs as the scorer will read them (by default
every feature of the rule set, then txn_amount, txn_local_hour, txn_weekend, txn_night and
txn_card_present; --inputs picks some) and its target.

The target is the label that stands among those known at --as-of (default: the end of the replayed
history); a label reported later is not used, since a model trained then could not have had it.
No label: legitimate. Labels without reportedAt need --label-delay (known at their transaction's
time plus the delay).

Validation: the last --holdout of the range (default a fifth of it, in whole days) is held out;
a model fitted the same way on the rows before it is assessed on it by the Fraud Detection
Handbook's protocol (AUC ROC, average precision, CP@100 with the ceiling a perfect ranking would
reach). The model written is then fitted on the whole range.

--kind trees (default): gradient-boosted trees (logistic loss, histogram splits, seeded row and
feature subsampling); --kind logistic: an L2 logistic regression. Same inputs and --seed, same file,
byte for byte. A progress bar shows on a terminal.`

const number = (name: string, text: string, check: (n: number) => boolean, what: string): number => {
  const n = Number(text)
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} must be ${what}`, trainUsage)
  return n
}

function parseDate(name: string, text: string | undefined): number {
  const ms = text === undefined ? Number.NaN : Date.parse(text)
  if (Number.isNaN(ms)) throw new UsageError(`--${name} must be a date (2018-07-25) or an ISO 8601 date-time`, trainUsage)
  return ms
}

export async function train(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...replayOptions,
      from: { type: 'string' },
      to: { type: 'string' },
      'as-of': { type: 'string' },
      name: { type: 'string', default: 'fraud' },
      version: { type: 'string', default: '1' },
      kind: { type: 'string', default: 'trees' },
      inputs: { type: 'string' },
      holdout: { type: 'string' },
      seed: { type: 'string', default: String(d.seed) },
      trees: { type: 'string', default: String(d.trees) },
      'learning-rate': { type: 'string', default: String(d.learningRate) },
      'max-depth': { type: 'string', default: String(d.maxDepth) },
      'min-child-weight': { type: 'string', default: String(d.minChildWeight) },
      lambda: { type: 'string', default: String(d.lambda) },
      gamma: { type: 'string', default: String(d.gamma) },
      subsample: { type: 'string', default: String(d.subsample) },
      colsample: { type: 'string', default: String(d.colsample) },
      l2: { type: 'string', default: String(defaultLogisticParams.l2) },
    },
  })
  if (!values.labels) throw new UsageError('train needs --labels: the targets come from them', trainUsage)
  const from = parseDate('from', values.from)
  const to = parseDate('to', values.to)
  if (!(from < to)) throw new UsageError('--from must be before --to', trainUsage)
  const asOf = values['as-of'] === undefined ? undefined : parseDate('as-of', values['as-of'])
  if (asOf !== undefined && asOf < to) throw new UsageError('--as-of must not be before --to: the rows of the range are not all known before it', trainUsage)
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(values.name)) throw new UsageError('--name must be snake_case, starting with a letter', trainUsage)
  const version = number('version', values.version, (n) => Number.isInteger(n) && n > 0, 'a positive whole number')
  if (values.kind !== 'trees' && values.kind !== 'logistic') throw new UsageError('--kind must be trees or logistic', trainUsage)
  const holdoutMs = values.holdout === undefined ? defaultHoldout(to - from) : durationSchema.safeParse(values.holdout).data
  if (holdoutMs === undefined || holdoutMs >= to - from) throw new UsageError('--holdout must be a duration (like 1d) shorter than the range', trainUsage)
  const params: TreeParams = {
    seed: number('seed', values.seed, Number.isInteger, 'a whole number'),
    trees: number('trees', values.trees, (n) => Number.isInteger(n) && n >= 1 && n <= 5000, 'a whole number from 1 to 5000'),
    learningRate: number('learning-rate', values['learning-rate'], (n) => n > 0 && n <= 1, 'in (0, 1]'),
    maxDepth: number('max-depth', values['max-depth'], (n) => Number.isInteger(n) && n >= 1 && n <= 12, 'a whole number from 1 to 12'),
    minChildWeight: number('min-child-weight', values['min-child-weight'], (n) => n >= 0, 'at least 0'),
    lambda: number('lambda', values.lambda, (n) => n >= 0, 'at least 0'),
    gamma: number('gamma', values.gamma, (n) => n >= 0, 'at least 0'),
    subsample: number('subsample', values.subsample, (n) => n > 0 && n <= 1, 'in (0, 1]'),
    colsample: number('colsample', values.colsample, (n) => n > 0 && n <= 1, 'in (0, 1]'),
  }
  const settings: ModelSettings =
    values.kind === 'trees' ? { kind: 'trees', params } : { kind: 'logistic', params: { ...defaultLogisticParams, l2: number('l2', values.l2, (n) => n >= 0, 'at least 0') } }

  const replay = await loadReplayInput('train', trainUsage, values)
  if (replay === 1) return 1
  const { ruleSet, labels, labelDelayMs, keyring, refusedKeyId, development } = replay
  const inputs = values.inputs === undefined ? defaultInputs(ruleSet) : values.inputs.split(',').map((s) => s.trim())
  const declared = new Set(ruleSet.features.map((f) => f.name))
  const unknown = inputs.filter((name) => !declared.has(name) && !isTransactionInput(name))
  if (unknown.length > 0 || inputs.length === 0 || new Set(inputs).size !== inputs.length) {
    throw new UsageError(`--inputs must name distinct features of the rule set or transaction inputs${unknown.length > 0 ? `; unknown: ${unknown.join(', ')}` : ''}`, trainUsage)
  }
  if (development && values['allow-development-key']) process.stderr.write('note: VIGIL_TOKENIZATION_KEY is not set; card numbers are tokenized with the public development key\n')

  const { lines, stream } = readLines(replay.input)
  const progress = new ProgressBar((await stat(replay.input)).size)
  const started = performance.now()
  let collected
  try {
    collected = await collectRows({
      ruleSet,
      keyring,
      ...(refusedKeyId ? { refusedKeyId } : {}),
      lines,
      labels: labels ?? [],
      ...(labelDelayMs !== undefined ? { labelDelayMs } : {}),
      inputs,
      from,
      to,
      ...(asOf !== undefined ? { asOf } : {}),
      onProgress: (read) => progress.update(stream.bytesRead, read),
    })
  } catch (error) {
    if (error instanceof UndatedLabelError) {
      process.stderr.write(`${values.labels}: ${error.message}\n`)
      return 1
    }
    if (!(error instanceof RefusedKeyError)) throw error
    process.stderr.write(
      `${replay.input}: ${error.message}, and VIGIL_TOKENIZATION_KEY is not set: card numbers would be tokenized with the public development key. ` +
        'Set VIGIL_TOKENIZATION_KEY, or pass --allow-development-key for sample data.\n',
    )
    return 1
  } finally {
    progress.done()
  }
  const replayed = performance.now()
  const { rows } = collected
  const holdoutStart = to - holdoutMs
  let before = 0
  let beforeFrauds = 0
  let after = 0
  let afterFrauds = 0
  for (let i = 0; i < rows.length; i++) {
    if (rows.time[i]! < holdoutStart) {
      before++
      beforeFrauds += rows.target[i]!
    } else {
      after++
      afterFrauds += rows.target[i]!
    }
  }
  if (beforeFrauds === 0 || before - beforeFrauds === 0 || afterFrauds === 0 || after - afterFrauds === 0) {
    process.stderr.write(
      `${replay.input}: [${iso(from)}, ${iso(to)}) holds ${before} rows (${beforeFrauds} frauds) before the hold-out and ${after} (${afterFrauds} frauds) in it: ` +
        'each needs frauds and legitimate transactions. Widen the range, or move --holdout.\n',
    )
    return 1
  }
  const fitting = new ProgressBar(1, process.stderr, 'trees')
  const trained = trainWithHoldout(rows, { from, to, holdoutMs }, settings, (done, total) => fitting.update(done / total, done))
  fitting.done()
  const seconds = (performance.now() - started) / 1000
  const v = trained.validation
  const metrics: Record<string, number> = {
    trainingRows: trained.trainingRows,
    trainingFrauds: trained.trainingFrauds,
    validationRows: v.rows,
    validationFrauds: v.frauds,
    validationAucRoc: v.aucRoc,
    validationAveragePrecision: v.averagePrecision,
    validationCardPrecisionAt100: v.cardPrecisionAt100,
    validationCardPrecisionCeiling: v.cardPrecisionCeiling,
  }
  for (const [key, value] of Object.entries(metrics)) if (!Number.isFinite(value)) delete metrics[key]
  const body: ModelBody = {
    format: 'vigil-model',
    formatVersion: 1,
    name: values.name,
    version,
    features: inputs,
    source: sourceOf(settings),
    training: { from: iso(from), to: iso(to) },
    metrics,
    model: trained.model,
  }
  const file = withChecksum(body)
  const compiled = compileModel(file)
  if (!compiled.ok) throw new Error(`the trained model does not load: ${JSON.stringify(compiled.error.issues)}`)
  await writeFile(replay.out, `${JSON.stringify(file)}\n`)

  const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a')
  const use = { name: values.name, version, mode: 'shadow' }
  const rule = {
    id: `model-${values.name.replace(/_/g, '-')}`,
    description: `The ${values.name} model (version ${version}, trained on ${iso(from).slice(0, 10)} to ${iso(to).slice(0, 10)}) gives a fraud probability over 0.5`,
    when: `models.${values.name} > 0.5`,
    score: 100,
    mode: 'shadow',
  }
  process.stdout.write(
    [
      `${replay.out}: model ${values.name} version ${version}, ${settings.kind === 'trees' ? `${settings.params.trees} trees` : 'logistic regression'} over ${inputs.length} inputs (${file.checksum})`,
      `  trained on ${fmt(trained.trainingRows)} transactions of [${iso(from)}, ${iso(to)}), ${fmt(trained.trainingFrauds)} fraud by the labels known at ${iso(collected.asOf)}` +
        (collected.labelsAfterCutoff > 0 ? ` (${fmt(collected.labelsAfterCutoff)} labels reported later not used)` : ''),
      `  validation, the last ${formatDays(holdoutMs)} (${fmt(v.rows)} transactions, ${fmt(v.frauds)} fraud), by a model fitted on the rows before it:`,
      `    AUC ROC ${f3(v.aucRoc)}   average precision ${f3(v.averagePrecision)}   CP@100 ${f3(v.cardPrecisionAt100)} (ceiling ${f3(v.cardPrecisionCeiling)})`,
      `  replay ${((replayed - started) / 1000).toFixed(1)} s, training ${(seconds - (replayed - started) / 1000).toFixed(1)} s`,
      '',
      'To run it, add the model to the rule set (shadow: scored and recorded with each decision, never acting):',
      `  "models": [${JSON.stringify(use)}],`,
      'and a rule that reads it:',
      `  ${JSON.stringify(rule)}`,
      `then pass --model ${replay.out} to vigil validate-rules and vigil backtest.`,
      '',
    ].join('\n'),
  )
  return 0
}

/** A fifth of the range, in whole days when it spans two or more. */
function defaultHoldout(rangeMs: number): number {
  const fifth = rangeMs / 5
  return rangeMs >= 2 * dayMs ? Math.max(1, Math.round(fifth / dayMs)) * dayMs : fifth
}

function sourceOf(settings: ModelSettings): string {
  if (settings.kind === 'logistic') return `vigil train logistic (l2 ${settings.params.l2})`
  const p = settings.params
  return `vigil train trees (${p.trees} trees, depth ${p.maxDepth}, eta ${p.learningRate}, min_child_weight ${p.minChildWeight}, lambda ${p.lambda}, gamma ${p.gamma}, subsample ${p.subsample}, colsample ${p.colsample}, seed ${p.seed})`
}

const iso = (ms: number) => new Date(ms).toISOString()
const fmt = (n: number) => n.toLocaleString('en-US')
const formatDays = (ms: number) => (ms % dayMs === 0 ? `${ms / dayMs} day${ms === dayMs ? '' : 's'}` : `${(ms / 3_600_000).toFixed(1)} hours`)
