import { readFile, writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import * as z from 'zod'
import { compileModel, treesBody, withChecksum } from '../../functions/core/models/model-file.ts'
import { importLightgbm } from '../../functions/core/models/lightgbm.ts'
import type { TreeEnsemble } from '../../functions/core/models/tree-ensemble.ts'
import { importXgboost } from '../../functions/core/models/xgboost.ts'
import type { Issue } from '../../functions/core/result.ts'
import { readLines } from '../jsonl.ts'
import { formatIssues } from '../rule-set-file.ts'
import { UsageError } from '../usage-error.ts'
import { modelRegistry, modelRegistryUsage } from './model-registry.ts'

export const modelUsage = `vigil model import --format xgboost|lightgbm --input FILE --features a,b,c [--name NAME] [--version N] --out MODEL.json
vigil model predict --model MODEL.json --input ROWS.jsonl

import: turns a data scientist's model into Vigil's model file. --format xgboost reads XGBoost's
JSON (booster.save_model("m.json"), objective binary:logistic, gbtree); --format lightgbm reads
LightGBM's JSON dump (json.dump(booster.dump_model(), f), objective binary, numerical splits;
gbdt, dart or rf), scored in LightGBM's own double arithmetic. --features names, in
order, the rule set's features the model's columns are (its feature 0 is the first name). The file
records the features, the source and a checksum; --name (default "fraud") is what rules will call
it, models.<name>, and --version (default 1) what a rule set pins it by.

predict: one {"score": p, "top": [...]} line per input line; an input line is an object
{"<feature>": value, …}, a missing key (or null) being a missing value. "top" lists the three
features that moved the score most (per-path contributions for trees, weight × value for logistic).

${modelRegistryUsage}`

const featureList = z
  .string()
  .transform((text) => text.split(',').map((name) => name.trim()))
  .pipe(z.array(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'each must be a feature name (snake_case)')).min(1))

export async function model(args: string[]): Promise<number> {
  const [sub, ...rest] = args
  if (sub === 'import') return importModel(rest)
  if (sub === 'predict') return predict(rest)
  if (sub === 'push' || sub === 'list' || sub === 'activate' || sub === 'approve') return modelRegistry(sub, rest)
  throw new UsageError('model takes import, predict, push, list, activate or approve', modelUsage)
}

async function importModel(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { format: { type: 'string' }, input: { type: 'string' }, features: { type: 'string' }, name: { type: 'string', default: 'fraud' }, version: { type: 'string', default: '1' }, out: { type: 'string' } } })
  if (values.format !== 'xgboost' && values.format !== 'lightgbm') throw new UsageError('--format must be xgboost or lightgbm', modelUsage)
  if (!values.input || !values.features || !values.out) throw new UsageError('model import needs --input, --features and --out', modelUsage)
  const features = featureList.safeParse(values.features)
  if (!features.success) throw new UsageError(`--features: ${features.error.issues[0]!.message}`, modelUsage)
  const modelVersion = Number(values.version)
  if (!Number.isInteger(modelVersion) || modelVersion < 1) throw new UsageError('--version must be a positive integer', modelUsage)
  const imported = importOf(values.format, JSON.parse(await readFile(values.input, 'utf8')))
  if (!imported.ok) {
    process.stderr.write(`${values.input}: not a model Vigil can score\n${formatIssues(imported.issues)}\n`)
    return 1
  }
  const { ensemble, source, note } = imported
  if (ensemble.featureCount !== features.data.length) {
    process.stderr.write(`${values.input}: the model reads ${ensemble.featureCount} features; --features names ${features.data.length}\n`)
    return 1
  }
  const file = withChecksum({ format: 'vigil-model', formatVersion: 1, name: values.name, version: modelVersion, features: features.data, source, model: treesBody(ensemble) })
  const compiled = compileModel(file)
  if (!compiled.ok) throw new Error(`the written model does not load: ${JSON.stringify(compiled.error.issues)}`)
  await writeFile(values.out, `${JSON.stringify(file)}\n`)
  process.stdout.write(`${values.out}: model ${values.name} version ${modelVersion}, ${ensemble.trees.length} trees over ${features.data.join(', ')} (${file.checksum})\n`)
  if (note) process.stdout.write(`${note}\n`)
  return 0
}

type Imported = { ok: true; ensemble: TreeEnsemble; source: string; note?: string } | { ok: false; issues: Issue[] }

/** The model in the format's own JSON as an ensemble, where it came from, and what was folded in. */
function importOf(format: 'xgboost' | 'lightgbm', json: unknown): Imported {
  if (format === 'xgboost') {
    const imported = importXgboost(json)
    if (!imported.ok) return { ok: false, issues: imported.error.issues }
    const version = (json as { version?: number[] }).version?.join('.') ?? 'unknown'
    return { ok: true, ensemble: imported.value, source: `xgboost ${version} JSON` }
  }
  const imported = importLightgbm(json)
  if (!imported.ok) return { ok: false, issues: imported.error.issues }
  const { ensemble, sigmoid, leafScale, version } = imported.value
  const folded = [sigmoid !== 1 ? `the sigmoid's K (${sigmoid})` : '', leafScale !== sigmoid ? `the random forest's mean over ${ensemble.trees.length} trees` : ''].filter(Boolean)
  return {
    ok: true,
    ensemble,
    source: `lightgbm dump_model ${version ?? 'unknown'} JSON`,
    ...(folded.length > 0 ? { note: `folded into the leaf values (× ${leafScale}): ${folded.join(' and ')}; the scores are LightGBM's` } : {}),
  }
}

async function predict(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { model: { type: 'string' }, input: { type: 'string' } } })
  if (!values.model || !values.input) throw new UsageError('model predict needs --model and --input', modelUsage)
  const compiled = compileModel(JSON.parse(await readFile(values.model, 'utf8')))
  if (!compiled.ok) {
    process.stderr.write(`${values.model}: not a Vigil model file\n${formatIssues(compiled.error.issues)}\n`)
    return 1
  }
  const { features, score } = compiled.value
  const row = z.record(z.string(), z.number().nullable())
  let line = 0
  let invalid = 0
  for await (const text of readLines(values.input).lines) {
    line++
    if (text.trim() === '') continue
    let parsed
    try {
      parsed = row.safeParse(JSON.parse(text))
    } catch {
      parsed = undefined
    }
    if (!parsed?.success) {
      invalid++
      process.stderr.write(`line ${line}: must be an object of feature values (numbers or null)\n`)
      continue
    }
    const values = features.map((name) => parsed.data[name] ?? undefined)
    process.stdout.write(`${JSON.stringify(score(values))}\n`)
  }
  return invalid > 0 ? 1 : 0
}
