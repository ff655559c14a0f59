import { RemovalPolicy } from 'aws-cdk-lib'
import type { Node } from 'constructs'

/**
 * Every context key the app reads, named once. Defaults live in cdk.json; any key can be
 * overridden on the command line, e.g. `npx cdk synth -c vigil:stage=prod -c vigil:shardCount=4`.
 */
export const contextKeys = {
  /** Deployment stage; names the stack `Vigil-<stage>`. cdk.json: "dev". */
  stage: 'vigil:stage',
  /** "on-demand" (cdk.json default) or "provisioned" (then vigil:shardCount is required). */
  streamMode: 'vigil:streamMode',
  /** A positive shard count. Setting it makes the stream provisioned whatever vigil:streamMode says. */
  shardCount: 'vigil:shardCount',
  /** How long the stream keeps records, in hours: 24 to 8760. cdk.json: 24. */
  retentionHours: 'vigil:retentionHours',
  /** "retain" or "destroy". Not in cdk.json: derived from the stage (destroy for dev only). */
  removalPolicy: 'vigil:removalPolicy',
} as const

/** The stage whose stateful resources are destroyed with the stack unless told otherwise. */
export const disposableStage = 'dev'

export type StreamCapacity = { readonly mode: 'on-demand' } | { readonly mode: 'provisioned'; readonly shardCount: number }

export interface VigilConfig {
  readonly stage: string
  /** Applied to every stateful resource (keys, stream, tables) so data never outlives its key. */
  readonly removalPolicy: RemovalPolicy
  readonly stream: { readonly capacity: StreamCapacity; readonly retentionHours: number }
}

/** The stack id (and CloudFormation stack name) of a stage. */
export function stackIdOf(stage: string): string {
  return `Vigil-${stage}`
}

/**
 * Reads and validates the app's context. Values from cdk.json arrive typed; values from `-c` arrive
 * as strings, so numbers are accepted in both forms. Anything invalid fails synthesis with the key
 * name, rather than deploying something unintended.
 */
export function readVigilConfig(node: Node): VigilConfig {
  const get = (key: string): unknown => node.tryGetContext(key)

  const stage = get(contextKeys.stage) ?? disposableStage
  if (typeof stage !== 'string' || !/^[a-z][a-z0-9-]{0,31}$/.test(stage)) {
    throw new Error(`${contextKeys.stage} must be 1–32 characters of a-z 0-9 -, starting with a letter (got ${JSON.stringify(stage)})`)
  }

  const removal = get(contextKeys.removalPolicy) ?? (stage === disposableStage ? 'destroy' : 'retain')
  if (removal !== 'retain' && removal !== 'destroy') {
    throw new Error(`${contextKeys.removalPolicy} must be "retain" or "destroy" (got ${JSON.stringify(removal)})`)
  }

  const shardCount = optionalInteger(get(contextKeys.shardCount), contextKeys.shardCount, 1, 10_000)
  const mode = get(contextKeys.streamMode) ?? 'on-demand'
  if (mode !== 'on-demand' && mode !== 'provisioned') {
    throw new Error(`${contextKeys.streamMode} must be "on-demand" or "provisioned" (got ${JSON.stringify(mode)})`)
  }
  if (mode === 'provisioned' && shardCount === undefined) {
    throw new Error(`${contextKeys.streamMode}=provisioned needs ${contextKeys.shardCount}`)
  }
  const capacity: StreamCapacity = shardCount === undefined ? { mode: 'on-demand' } : { mode: 'provisioned', shardCount }

  const retentionHours = optionalInteger(get(contextKeys.retentionHours), contextKeys.retentionHours, 24, 8760) ?? 24

  return {
    stage,
    removalPolicy: removal === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    stream: { capacity, retentionHours },
  }
}

function optionalInteger(value: unknown, key: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined
  const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    throw new Error(`${key} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`)
  }
  return number
}
