import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs'
import { caseApiEntry } from '../lib/case-api.ts'
import { caseTasksEntry } from '../lib/escalation.ts'
import { lambdaBundling } from '../lib/node-function.ts'
import { scorerEntry } from '../lib/scoring.ts'
import { localNames, synthesizeApp, type SynthesizedApp } from '../local/synthesized.ts'
import { bundleLambda, projectRoot, type Bundle } from './bundle.ts'
import { fmt, median, saveResults } from './results.ts'

const processes = 20
// Issue 14's measures: the scorer bundle ≤ 450 KB (it was 400 before models came into the scorer), init ≤ 150 ms.
const targets = { scorerKb: 450, initMs: 150 } as const
/** Under node_modules/, so a bundle's external `@aws-sdk/*` imports resolve to the project's copy, as Lambda resolves the runtime's. */
const buildDir = join(projectRoot, 'node_modules', '.cache', 'vigil-bench')
const probe = fileURLToPath(new URL('./init-probe.ts', import.meta.url))

const lambdas = [
  { name: 'scorer', entry: scorerEntry, logicalId: (app: SynthesizedApp) => app.logicalIds.scorer },
  { name: 'case tasks', entry: caseTasksEntry, logicalId: (app: SynthesizedApp) => app.logicalIds.caseTasks },
  { name: 'case API', entry: caseApiEntry, logicalId: (app: SynthesizedApp) => app.logicalIds.caseApi },
] as const

/** What the module-level init of every handler runs, as measured. */
const initIncludes =
  'loading and evaluating the bundle with --enable-source-maps (NODE_OPTIONS from the template); the AWS SDK v3 client packages it imports, ' +
  'loaded from node_modules as Lambda loads the runtime’s copy; Powertools Logger, Metrics and Tracer (with the X-Ray SDK) set up; the ' +
  'environment parsed by zod; the SDK clients constructed. Nothing reaches the network: the tokenization secret’s ARN is replaced by a plain ' +
  'VIGIL_TOKENIZATION_KEY, and rules load with the first batch. Not included: the Lambda runtime’s own bootstrap and the code download, ' +
  'which Lambda adds to Init Duration.'

/**
 * The environment a function gets in Lambda: its variables from the synthesized template (table
 * names, NODE_OPTIONS, Powertools settings), the ones Lambda sets, and dummy credentials. The
 * tokenization secret's ARN becomes a plain local key, so init does no network.
 */
function lambdaEnvironment(app: SynthesizedApp, logicalId: string, memoryMb: number): Record<string, string> {
  const stateMachineArn = `arn:aws:states:us-east-1:123456789012:stateMachine:${localNames.stateMachine}`
  const variables = (app.template.Resources[logicalId]?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}
  return {
    ...app.environment(logicalId, stateMachineArn),
    ...('VIGIL_TOKENIZATION_SECRET_ARN' in variables ? { VIGIL_TOKENIZATION_KEY: 'bench-local-tokenization-key' } : {}),
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: logicalId,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SESSION_TOKEN: 'bench',
  }
}

/** Median (and spread) of the module init of `bundle` over fresh Node processes, one at a time. */
function measureInit(bundle: string, env: Record<string, string>) {
  const samples: number[] = []
  for (let i = 0; i < processes; i++) {
    const run = spawnSync(process.execPath, [probe, bundle], { env, encoding: 'utf8', timeout: 60_000 })
    if (run.status !== 0) throw new Error(`init of ${bundle} failed: ${run.stderr.trim() || run.error?.message}`)
    samples.push((JSON.parse(run.stdout) as { initMs: number }).initMs)
  }
  const sorted = samples.toSorted((a, b) => a - b)
  return { medianMs: round(median(samples)), minMs: round(sorted[0]!), maxMs: round(sorted.at(-1)!), processes }
}

async function measure(name: string, variant: string, bundling: BundlingOptions, entry: string, env: Record<string, string>) {
  const bundle: Bundle = await bundleLambda(bundling, relative(projectRoot, entry), join(buildDir, `${name.replace(/\W+/g, '-')}-${variant}`, 'index.mjs'))
  const gzipBytes = gzipSync(readFileSync(bundle.file), { level: 9 }).length
  return {
    lambda: name,
    variant,
    bytes: bundle.bytes,
    kb: round(bundle.bytes / 1024),
    gzipKb: round(gzipBytes / 1024),
    init: measureInit(bundle.file, env),
    composition: bundle.composition.slice(0, 12).map((part) => ({ source: part.source, kb: round(part.bytes / 1024) })),
  }
}

export async function coldStartBench(): Promise<Record<string, unknown>> {
  const app = synthesizeApp()
  const runs = []
  for (const lambda of lambdas) {
    const logicalId = lambda.logicalId(app)
    const memoryMb = Number(app.template.Resources[logicalId]?.Properties?.MemorySize ?? 128)
    const env = lambdaEnvironment(app, logicalId, memoryMb)
    runs.push(await measure(lambda.name, 'shipped', lambdaBundling, lambda.entry, env))
    // The road not taken, measured the same way: the SDK bundled instead of the runtime's.
    if (lambda.name === 'scorer') runs.push(await measure(lambda.name, 'sdk-bundled', { ...lambdaBundling, bundleAwsSDK: true, externalModules: [] }, lambda.entry, env))
  }
  const scorer = runs.find((r) => r.lambda === 'scorer' && r.variant === 'shipped')!
  const figures = {
    measures: `minified bundle size as lib/node-function.ts bundles it (KB = 1,024 bytes; gzip -9 for the upload), and module init: the median of ${processes} fresh Node processes importing the bundle`,
    initIncludes,
    bundling: { externalModules: lambdaBundling.externalModules, bundleAwsSDK: lambdaBundling.bundleAwsSDK, minify: lambdaBundling.minify, keepNames: lambdaBundling.keepNames },
    targets: { ...targets, scorerMet: scorer.kb <= targets.scorerKb, initMet: runs.filter((r) => r.variant === 'shipped').every((r) => r.init.medianMs <= targets.initMs) },
    runs,
  }
  const path = await saveResults('cold-start', figures)
  console.log(`\ncold start: bundles as lib/node-function.ts builds them; init = median of ${processes} fresh processes importing the bundle`)
  console.log('  lambda       variant       KB   gzip KB   init ms (min–max)   largest parts (KB)')
  for (const r of runs) {
    const parts = r.composition.slice(0, 5).map((p) => `${p.source} ${fmt(p.kb)}`).join(', ')
    console.log(
      `  ${r.lambda.padEnd(11)}  ${r.variant.padEnd(11)}  ${fmt(r.kb).padStart(5)}  ${fmt(r.gzipKb).padStart(7)}   ${r.init.medianMs.toFixed(0).padStart(5)} (${r.init.minMs.toFixed(0)}–${r.init.maxMs.toFixed(0)})`.padEnd(66) + `  ${parts}`,
    )
  }
  console.log(`  targets: scorer ≤ ${targets.scorerKb} KB ${figures.targets.scorerMet ? 'met' : 'MISSED'}, init ≤ ${targets.initMs} ms ${figures.targets.initMet ? 'met' : 'MISSED'}`)
  console.log(`  saved               ${path}`)
  return figures
}

const round = (n: number) => Math.round(n * 10) / 10
