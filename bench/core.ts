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
import { jsonRulesEngine, jsonRulesEngineFacts } from './peers/json-rules-engine.ts'
import { fmt, median, rate, saveResults } from './results.ts'
import { referenceLines } from './workload.ts'

const records = 100_000
const key = singleKey('bench-tokenization-key')

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

  runVigil(ruleSet, lines.slice(0, 20_000))
  const vigilRuns = [runVigil(ruleSet, lines), runVigil(ruleSet, lines), runVigil(ruleSet, lines)]
  await runPeer(ruleSet, source, lines.slice(0, 5_000))
  const peer = await runPeer(ruleSet, source, lines)

  const rules = await rulesOnly(ruleSet, source, scoredInputs(ruleSet, lines))

  const vigilRate = median(vigilRuns.map((r) => rate(records, r.ms)))
  const peerRate = rate(records, peer.ms)
  const vigilFired = vigilRuns[0]!.fired
  const agreeing = vigilFired.filter((f, i) => f === peer.fired[i]).length
  const flagged = vigilFired.filter((f) => f !== '').length
  const figures = {
    records,
    workload: `seeded traffic generator (seed 7): 10,000 cards, ~1% fraud episodes, ~1% out of order; rules/default.json (${ruleSet.rules.length} rules, ${source.features?.length ?? 0} features; no labels, so the label-fed features read 0)`,
    measures: 'records/s on one core for parse (JSON + zod + PAN HMAC) + features + rules + decision + state update; median of 3 runs after a warm-up',
    vigil: { recordsPerSecond: vigilRate, microsecondsPerRecord: 1e6 / vigilRate },
    jsonRulesEngine: { recordsPerSecond: peerRate, microsecondsPerRecord: 1e6 / peerRate, setup: 'same parse, features and state; flat facts (no JSONPath); engine.run per record' },
    ratio: vigilRate / peerRate,
    rulesOnly: { ...rules, measures: `evaluating the ${ruleSet.rules.length} rules and the outcome per record, features precomputed; CEL (cel-js) vs json-rules-engine` },
    agreement: { records: agreeing, share: agreeing / records, recordsWithAFiredRule: flagged },
    targets: { recordsPerSecond: 100_000, ratio: 20 },
  }
  const path = await saveResults('core', figures)
  console.log(`core scoring, ${fmt(records)} records (${figures.workload})`)
  console.log(`  vigil               ${fmt(vigilRate).padStart(9)} records/s  ${(1e6 / vigilRate).toFixed(1)} µs/record   target ≥ 100,000`)
  console.log(`  json-rules-engine   ${fmt(peerRate).padStart(9)} records/s  ${(1e6 / peerRate).toFixed(1)} µs/record`)
  console.log(`  ratio               ${figures.ratio.toFixed(1)}× end to end   target ≥ 20×`)
  console.log(`  rules only          vigil ${rules.vigilMicroseconds.toFixed(2)} µs/record, json-rules-engine ${rules.peerMicroseconds.toFixed(1)} µs/record: ${rules.ratio.toFixed(0)}×`)
  console.log(`  same rules fired    ${fmt(agreeing)} of ${fmt(records)} records (${fmt(flagged)} with a fired rule)`)
  console.log(`  saved               ${path}`)
  return figures
}
