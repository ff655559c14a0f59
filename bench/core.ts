import { readFile } from 'node:fs/promises'
import { decideOutcome, type RuleHit } from '../functions/core/decision.ts'
import { readFeatures } from '../functions/core/features/index.ts'
import { MemoryScorer } from '../functions/core/memory-scorer.ts'
import { compileRuleSet, type CompiledRuleSet } from '../functions/core/rules/compile.ts'
import type { RuleSetInput } from '../functions/core/rules/rule-set.ts'
import { advanceStates, trackedEntities, type EntityStates } from '../functions/core/scoring.ts'
import { singleKey } from '../functions/core/keyring.ts'
import { eventTime, parseTransactionJson } from '../functions/core/transaction.ts'
import type { EntityState } from '../functions/core/features/index.ts'
import { evaluateRules } from '../functions/core/rules/evaluate.ts'
import type { FeatureValues } from '../functions/core/features/definition.ts'
import type { Transaction } from '../functions/core/transaction.ts'
import { compileModel, type CompiledModel } from '../functions/core/models/model-file.ts'
import { inputReader } from '../functions/core/models/inputs.ts'
import { topContributions } from '../functions/core/models/score-models.ts'
import { packEnsemble, walkPacked } from '../functions/core/models/packed-ensemble.ts'
import { pathContributions, predictMargin } from '../functions/core/models/tree-ensemble.ts'
import { jsonRulesEngine, jsonRulesEngineFacts } from './peers/json-rules-engine.ts'
import { fmt, median, rate, saveResults } from './results.ts'
import { ensembleOf, syntheticTreeModel } from './synthetic-model.ts'
import { referenceLines } from './workload.ts'

const records = 100_000
const key = singleKey('bench-tokenization-key')
/** Issue 14's model: 100 full trees of depth 6 over the default rule set's 15 features. */
const modelShape = { name: 'bench_trees', trees: 100, depth: 6, seed: 14 } as const
const modelRule = { id: 'model-high', description: 'The bench model finds it likely fraud', when: `models.${modelShape.name} > 0.9`, score: 40, mode: 'active', tags: ['model'] }

/** Vigil's scoring path, exactly as the backtest and the scorer run it. */
function runVigil(ruleSet: CompiledRuleSet, lines: string[]): { ms: number; fired: string[] } {
  const scorer = new MemoryScorer(ruleSet)
  const fired: string[] = []
  const started = performance.now()
  for (const line of lines) {
    const parsed = parseTransactionJson(line, key)
    if (!parsed.ok) throw new Error('the reference workload holds only valid records')
    const decision = scorer.score(parsed.value, parsed.value.occurredAt)
    fired.push(firedKey(decision.rules))
  }
  return { ms: performance.now() - started, fired }
}

/** The same pipeline with the rule evaluation swapped for json-rules-engine. */
async function runPeer(ruleSet: CompiledRuleSet, source: RuleSetInput, lines: string[]): Promise<{ ms: number; fired: string[] }> {
  const engine = jsonRulesEngine({ lists: source.lists ?? {} })
  const shadow = new Set(ruleSet.rules.filter((r) => r.mode === 'shadow').map((r) => r.id))
  const store = new Map<string, EntityState>()
  const fired: string[] = []
  const started = performance.now()
  for (const line of lines) {
    const parsed = parseTransactionJson(line, key)
    if (!parsed.ok) throw new Error('the reference workload holds only valid records')
    const txn = parsed.value
    const time = eventTime(txn)
    const entities = trackedEntities(ruleSet, txn)
    const states: EntityStates = {}
    for (const { kind, key: k } of entities) states[kind] = store.get(k)
    const features = readFeatures(ruleSet.plan, states, txn, time)
    const { events } = await engine.run(jsonRulesEngineFacts(txn, features))
    const hits: RuleHit[] = events.map((e) => ({
      id: e.type,
      mode: shadow.has(e.type) ? 'shadow' : 'active',
      status: 'fired',
      score: Number(e.params?.score ?? 0),
      ...(e.params?.action ? { action: e.params.action } : {}),
      values: {},
    }))
    decideOutcome(hits, ruleSet.thresholds)
    const next = advanceStates(ruleSet, txn, states, time)
    for (const { kind, key: k } of entities) store.set(k, next[kind]!)
    fired.push(firedKey(hits))
  }
  return { ms: performance.now() - started, fired }
}

/** Each record with the features it was scored with: the input of a rules-only comparison. */
function scoredInputs(ruleSet: CompiledRuleSet, lines: string[]): Array<{ txn: Transaction; features: FeatureValues }> {
  const store = new Map<string, EntityState>()
  return lines.map((line) => {
    const parsed = parseTransactionJson(line, key)
    if (!parsed.ok) throw new Error('the reference workload holds only valid records')
    const txn = parsed.value
    const entities = trackedEntities(ruleSet, txn)
    const states: EntityStates = {}
    for (const { kind, key: k } of entities) states[kind] = store.get(k)
    const features = readFeatures(ruleSet.plan, states, txn)
    const next = advanceStates(ruleSet, txn, states)
    for (const { kind, key: k } of entities) store.set(k, next[kind]!)
    return { txn, features }
  })
}

/** Rule evaluation alone, engine against engine, on identical transactions and features. */
async function rulesOnly(ruleSet: CompiledRuleSet, source: RuleSetInput, inputs: Array<{ txn: Transaction; features: FeatureValues }>) {
  const engine = jsonRulesEngine({ lists: source.lists ?? {} })
  const facts = inputs.map(({ txn, features }) => jsonRulesEngineFacts(txn, features))
  const time = async (run: () => Promise<void> | void) => {
    await run()
    const started = performance.now()
    await run()
    return performance.now() - started
  }
  const vigilMs = await time(() => {
    for (const { txn, features } of inputs) decideOutcome(evaluateRules(ruleSet, txn, features), ruleSet.thresholds)
  })
  const peerMs = await time(async () => {
    for (const f of facts) await engine.run(f)
  })
  return { vigilMicroseconds: (vigilMs * 1000) / inputs.length, peerMicroseconds: (peerMs * 1000) / inputs.length, ratio: peerMs / vigilMs }
}

/** The model's inputs for every record, read as scoring reads them, from the features the default rules scored it with. */
function modelVectors(ruleSet: CompiledRuleSet, lines: string[], names: readonly string[]): Array<Array<number | undefined>> {
  const scorer = new MemoryScorer(ruleSet)
  const readers = names.map(inputReader)
  return lines.map((line) => {
    const parsed = parseTransactionJson(line, key)
    if (!parsed.ok) throw new Error('the reference workload holds only valid records')
    const { features } = scorer.scoreWithFeatures(parsed.value, parsed.value.occurredAt)
    return readers.map((read) => read(parsed.value, features))
  })
}

/**
 * The model alone on every vector: as the scorer calls it (score + top k), its walk alone (margin
 * and path contributions in one pass over the packed trees), and the plain walks it replaced
 * (margin, then contributions, one node array at a time), all warm; and the scorer's call with
 * cold caches, each call after 4 MB of other memory was read, timed call by call.
 */
function modelAlone(model: CompiledModel, file: Parameters<typeof ensembleOf>[0], vectors: Array<Array<number | undefined>>) {
  const ensemble = ensembleOf(file)
  const packed = packEnsemble(ensemble)
  if (packed === undefined) throw new Error('the synthetic model packs')
  const scratch = new Float64Array(ensemble.featureCount + 1)
  const time = (run: (x: Array<number | undefined>) => unknown) => {
    const runs: number[] = []
    for (let pass = 0; pass < 5; pass++) {
      const started = performance.now()
      for (const x of vectors) run(x)
      runs.push(((performance.now() - started) * 1000) / vectors.length)
    }
    return median(runs)
  }
  time((x) => model.score(x, topContributions))
  return {
    scoreWithTopMicroseconds: time((x) => model.score(x, topContributions)),
    walkMicroseconds: time((x) => walkPacked(packed, x, scratch)),
    plainMarginMicroseconds: time((x) => predictMargin(ensemble, x)),
    plainPathContributionsMicroseconds: time((x) => pathContributions(ensemble, x, scratch)),
    scoreWithTopColdMicroseconds: coldCalls((x) => model.score(x, topContributions), vectors.slice(0, 5_000)),
  }
}

/** Per call, the median of 3 passes' mean time of `run` right after 4 MB of other memory is read (the timer's own cost taken off). */
function coldCalls(run: (x: Array<number | undefined>) => unknown, vectors: Array<Array<number | undefined>>): number {
  const other = new Int32Array(1 << 20)
  let sink = 0
  const evict = () => {
    for (let i = 0; i < other.length; i += 16) sink += other[i]!++
  }
  const pass = (call: (x: Array<number | undefined>) => unknown) => {
    let total = 0
    for (const x of vectors) {
      evict()
      const started = performance.now()
      call(x)
      total += performance.now() - started
    }
    return (total * 1000) / vectors.length
  }
  const runs: number[] = []
  for (let p = 0; p < 3; p++) runs.push(pass(run) - pass(() => sink))
  if (sink === -1) console.log(sink)
  return median(runs)
}

const firedKey = (hits: readonly RuleHit[]) =>
  hits
    .filter((h) => h.status === 'fired')
    .map((h) => h.id)
    .sort()
    .join(',')

export async function coreBench(): Promise<Record<string, unknown>> {
  const source = JSON.parse(await readFile(new URL('../rules/default.json', import.meta.url), 'utf8')) as RuleSetInput
  const compiled = compileRuleSet(source)
  if (!compiled.ok) throw new Error('rules/default.json does not compile')
  const ruleSet = compiled.value
  const lines = referenceLines(records)

  // The model: built on realistic vectors (the first 5,000 records' features shape its thresholds), timed on all of them.
  const featureNames = ruleSet.features.map((f) => f.name)
  const vectors = modelVectors(ruleSet, lines, featureNames)
  const modelFile = syntheticTreeModel(featureNames, vectors.slice(0, 5_000), modelShape)
  const model = compileModel(modelFile)
  if (!model.ok) throw new Error(`the synthetic model does not compile: ${JSON.stringify(model.error.issues)}`)
  const alone = modelAlone(model.value, modelFile, vectors)
  const withModelSource = { ...source, models: [{ name: modelShape.name, version: 1, mode: 'active' }], rules: [...source.rules, modelRule] }
  const withModelCompiled = compileRuleSet(withModelSource, { models: [model.value] })
  if (!withModelCompiled.ok) throw new Error(`the default rules with the model do not compile: ${JSON.stringify(withModelCompiled.error.issues)}`)
  const withModel = withModelCompiled.value

  // The default rules and the same rules with the model, run in turn so that both see the same machine.
  runVigil(ruleSet, lines.slice(0, 20_000))
  runVigil(withModel, lines.slice(0, 20_000))
  const vigilRuns: Array<ReturnType<typeof runVigil>> = []
  const modelRuns: Array<ReturnType<typeof runVigil>> = []
  for (let i = 0; i < 3; i++) {
    vigilRuns.push(runVigil(ruleSet, lines))
    modelRuns.push(runVigil(withModel, lines))
  }
  await runPeer(ruleSet, source, lines.slice(0, 5_000))
  const peer = await runPeer(ruleSet, source, lines)

  const rules = await rulesOnly(ruleSet, source, scoredInputs(ruleSet, lines))

  const vigilRate = median(vigilRuns.map((r) => rate(records, r.ms)))
  const withModelRate = median(modelRuns.map((r) => rate(records, r.ms)))
  const modelCost = {
    differenceOfMediansMicroseconds: 1e6 / withModelRate - 1e6 / vigilRate,
    medianPairedDifferenceMicroseconds: median(modelRuns.map((r, i) => ((r.ms - vigilRuns[i]!.ms) * 1000) / records)),
  }
  const peerRate = rate(records, peer.ms)
  const vigilFired = vigilRuns[0]!.fired
  const agreeing = vigilFired.filter((f, i) => f === peer.fired[i]).length
  const flagged = vigilFired.filter((f) => f !== '').length
  const figures = {
    records,
    workload: `seeded traffic generator (seed 7): 10,000 cards, ~1% fraud episodes, ~1% out of order; rules/default.json (${ruleSet.rules.length} rules, ${source.features?.length ?? 0} features; no labels, so the label-fed features read 0)`,
    measures: 'records/s on one core for parse (JSON + zod + PAN HMAC) + features + rules + decision + state update; median of 3 runs after a warm-up',
    vigil: { recordsPerSecond: vigilRate, microsecondsPerRecord: 1e6 / vigilRate, runsMicrosecondsPerRecord: vigilRuns.map((r) => (r.ms * 1000) / records) },
    vigilWithModel: {
      recordsPerSecond: withModelRate,
      microsecondsPerRecord: 1e6 / withModelRate,
      runsMicrosecondsPerRecord: modelRuns.map((r) => (r.ms * 1000) / records),
      setup: `rules/default.json plus model ${modelShape.name} (active) and rule ${modelRule.id} (${modelRule.when}); runs alternate with the default rules' runs`,
      modelMicrosecondsPerRecord: modelCost,
    },
    model: {
      shape: `${modelShape.trees} full binary trees of depth ${modelShape.depth} (${2 ** modelShape.depth - 1} splits each) over the default rule set's ${featureNames.length} features; seeded thresholds from the workload's feature values, seed ${modelShape.seed}`,
      measures: `compiled.score(values, ${topContributions}) (margin, sigmoid, path contributions, top ${topContributions}) per record on the ${fmt(records)} records' feature vectors, median of 5 passes; the packed walk alone (margin and contributions in one pass); the plain walks it replaced (margin, then contributions); and compiled.score cold (each call timed alone right after 4 MB of other memory is read, first 5,000 vectors, median of 3 passes)`,
      ...alone,
    },
    jsonRulesEngine: { recordsPerSecond: peerRate, microsecondsPerRecord: 1e6 / peerRate, setup: 'same parse, features and state; flat facts (no JSONPath); engine.run per record' },
    ratio: vigilRate / peerRate,
    rulesOnly: { ...rules, measures: `evaluating the ${ruleSet.rules.length} rules and the outcome per record, features precomputed; CEL (cel-js) vs json-rules-engine` },
    agreement: { records: agreeing, share: agreeing / records, recordsWithAFiredRule: flagged },
    // Issue 14's measures (the 100,000 records/s of the first core target, never met, gave way to 80,000).
    targets: { recordsPerSecond: 80_000, ratio: 20, modelMicrosecondsPerRecord: 3 },
  }
  const path = await saveResults('core', figures)
  console.log(`core scoring, ${fmt(records)} records (${figures.workload})`)
  console.log(`  vigil               ${fmt(vigilRate).padStart(9)} records/s  ${(1e6 / vigilRate).toFixed(1)} µs/record   target ≥ 80,000`)
  console.log(`  vigil + model       ${fmt(withModelRate).padStart(9)} records/s  ${(1e6 / withModelRate).toFixed(1)} µs/record   model ${modelCost.medianPairedDifferenceMicroseconds.toFixed(2)} µs/record (paired runs), target ≤ 3`)
  console.log(`  model alone         score + top ${topContributions} ${alone.scoreWithTopMicroseconds.toFixed(2)} µs warm, ${alone.scoreWithTopColdMicroseconds.toFixed(2)} µs cold; walk ${alone.walkMicroseconds.toFixed(2)} µs (plain walks: margin ${alone.plainMarginMicroseconds.toFixed(2)}, path contributions ${alone.plainPathContributionsMicroseconds.toFixed(2)}) (${modelShape.trees} trees, depth ${modelShape.depth})`)
  console.log(`  json-rules-engine   ${fmt(peerRate).padStart(9)} records/s  ${(1e6 / peerRate).toFixed(1)} µs/record`)
  console.log(`  ratio               ${figures.ratio.toFixed(1)}× end to end   target ≥ 20×`)
  console.log(`  rules only          vigil ${rules.vigilMicroseconds.toFixed(2)} µs/record, json-rules-engine ${rules.peerMicroseconds.toFixed(1)} µs/record: ${rules.ratio.toFixed(0)}×`)
  console.log(`  same rules fired    ${fmt(agreeing)} of ${fmt(records)} records (${fmt(flagged)} with a fired rule)`)
  console.log(`  saved               ${path}`)
  return figures
}
