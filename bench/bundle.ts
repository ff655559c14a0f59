import { build, type BuildOptions, type Metafile } from 'esbuild'
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs'
import { fileURLToPath } from 'node:url'

/** The project root: where `cdk synth` runs esbuild (the directory of the lock file). */
export const projectRoot = fileURLToPath(new URL('../', import.meta.url))

/** The options of BundlingOptions this translation knows; anything else set is refused, not ignored. */
const translated = new Set([
  'forceDockerBundling',
  'format',
  'target',
  'mainFields',
  'banner',
  'footer',
  'minify',
  'keepNames',
  'sourceMap',
  'sourcesContent',
  'bundleAwsSDK',
  'externalModules',
  'define',
  'loader',
  'esbuildArgs',
])

/**
 * esbuild's API options for what CDK's NodejsFunction runs as a command line from the same
 * BundlingOptions (aws-lambda-nodejs/lib/bundling.js: `--bundle entry --platform=node --target=…
 * --format=… --minify --sourcemap --sources-content=false --external:… --keep-names --banner:js=…
 * --main-fields=…`), run from the project root. test/infra/scoring.test.ts checks that the output
 * is byte for byte the asset `cdk synth` builds.
 */
export function esbuildOptions(bundling: BundlingOptions, entry: string, outfile: string): BuildOptions {
  const unknown = Object.keys(bundling).filter((key) => !translated.has(key))
  if (unknown.length > 0) throw new Error(`bench/bundle.ts does not translate bundling options ${unknown.join(', ')}`)
  // CDK derives the externals from bundleAwsSDK and a feature flag when none are named; naming them keeps one truth.
  if (bundling.externalModules === undefined) throw new Error('name externalModules in the bundling options')
  return {
    absWorkingDir: projectRoot,
    entryPoints: [entry],
    bundle: true,
    outfile,
    platform: 'node',
    ...(bundling.target !== undefined ? { target: bundling.target } : {}),
    ...(bundling.format !== undefined ? { format: bundling.format } : {}),
    minify: bundling.minify ?? false,
    sourcemap: bundling.sourceMap ?? false,
    sourcesContent: bundling.sourcesContent ?? true,
    external: [...bundling.externalModules],
    keepNames: bundling.keepNames ?? false,
    ...(bundling.banner !== undefined ? { banner: { js: bundling.banner } } : {}),
    ...(bundling.footer !== undefined ? { footer: { js: bundling.footer } } : {}),
    ...(bundling.mainFields !== undefined ? { mainFields: [...bundling.mainFields] } : {}),
    ...(bundling.define !== undefined ? { define: bundling.define } : {}),
    ...(bundling.loader !== undefined ? { loader: bundling.loader as BuildOptions['loader'] } : {}),
    ...aliases(bundling.esbuildArgs),
    logLevel: 'warning',
  }
}

/** `--alias:name=path` of esbuildArgs (CDK passes them to the CLI as such); any other argument is refused. */
function aliases(args: BundlingOptions['esbuildArgs']): Pick<BuildOptions, 'alias'> {
  if (args === undefined) return {}
  const alias: Record<string, string> = {}
  for (const [key, value] of Object.entries(args)) {
    if (key !== '--alias' || typeof value !== 'string') throw new Error(`bench/bundle.ts does not translate esbuild argument ${key}`)
    const [name, path] = value.split('=') as [string, string]
    alias[name] = path
  }
  return { alias }
}

export interface Bundle {
  readonly file: string
  readonly bytes: number
  /** Bytes of the output by package (`zod`, `@aws-sdk/client-dynamodb`) or project folder (`functions/core`). */
  readonly composition: ReadonlyArray<{ readonly source: string; readonly bytes: number }>
}

/** Builds `entry` (relative to the project root) to `outfile` as CDK would, and says what is in it. */
export async function bundleLambda(bundling: BundlingOptions, entry: string, outfile: string): Promise<Bundle> {
  const result = await build({ ...esbuildOptions(bundling, entry, outfile), metafile: true })
  const output = Object.entries(result.metafile.outputs).find(([path]) => path.endsWith('.mjs') || path.endsWith('.js'))
  if (output === undefined) throw new Error(`esbuild wrote no JavaScript for ${entry}`)
  return { file: outfile, bytes: output[1].bytes, composition: composition(output[1].inputs) }
}

function composition(inputs: Metafile['outputs'][string]['inputs']) {
  const bytes = new Map<string, number>()
  for (const [path, input] of Object.entries(inputs)) {
    const source = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.split('/').slice(0, 2).join('/')
    bytes.set(source, (bytes.get(source) ?? 0) + input.bytesInOutput)
  }
  return [...bytes].map(([source, n]) => ({ source, bytes: n })).sort((a, b) => b.bytes - a.bytes)
}
