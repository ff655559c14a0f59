/**
 * The AWS SDK v3 clients, configured once. Thin: no business logic.
 *
 * Endpoints. The SDK (v3.1143+ here, via @smithy/core `getEndpointFromConfig`) already reads
 * `AWS_ENDPOINT_URL_<SERVICE>` (`_DYNAMODB`, `_KINESIS`), then `AWS_ENDPOINT_URL`, then
 * `endpoint_url` in the shared config file, unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`. So
 * the endpoint itself is left to the SDK. What it does not do, and this module adds:
 *
 * - Loopback endpoints (an emulator): when no credentials are configured (no explicit
 *   `credentials`, no `AWS_ACCESS_KEY_ID`) dummy `local`/`local` credentials are used, so the default
 *   chain does not probe the instance metadata service; and region falls back to `us-east-1` when
 *   neither `region` nor `AWS_REGION`/`AWS_DEFAULT_REGION` is set.
 * - `maxAttempts`: 4 (the first try and up to 3 retries, the SDK's standard mode: exponential
 *   backoff with jitter on throttling, 5xx and transient network errors) unless `AWS_MAX_ATTEMPTS`
 *   or an explicit `maxAttempts` says otherwise. Kept low: a Lambda that exhausts them fails the
 *   batch item, and the event source mapping retries it, so long client-side waits only burn time.
 *
 * The Kinesis client, which no Lambda needs (the event source mapping reads the stream), is in
 * ./kinesis-client.ts, so a Lambda's cold start does not load it.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb'

/** Service ids as the SDK spells them in `AWS_ENDPOINT_URL_<ID>`. */
export type ServiceId = 'DYNAMODB' | 'KINESIS'

export const defaultMaxAttempts = 4

/** Dummy credentials the emulators accept (they check the signature's shape, not its value). */
export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' } as const

export const localRegion = 'us-east-1'

export type Env = Readonly<Record<string, string | undefined>>

/**
 * The endpoint the SDK will use from the environment for `service`, or undefined (the SDK then
 * resolves the regional AWS endpoint). Mirrors the SDK's own precedence, environment only.
 */
export function configuredEndpoint(service: ServiceId, env: Env = process.env): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === 'true') return undefined
  return nonEmpty(env[`AWS_ENDPOINT_URL_${service}`]) ?? nonEmpty(env.AWS_ENDPOINT_URL)
}

/** The fields the client configs have in common, as far as the defaults below look at them. */
interface CommonConfig {
  readonly endpoint?: unknown
  readonly region?: unknown
  readonly credentials?: unknown
  readonly maxAttempts?: unknown
}

interface Defaults {
  maxAttempts?: number
  credentials?: typeof localCredentials
  region?: string
}

/** The defaults to add to `config`: only keys that `config` and the environment leave unset. */
export function defaults(service: ServiceId, config: CommonConfig, env: Env): Defaults {
  const endpoint = endpointOf(config.endpoint) ?? configuredEndpoint(service, env)
  const local = endpoint !== undefined && isLoopback(endpoint)
  const out: Defaults = {}
  if (config.maxAttempts === undefined && nonEmpty(env.AWS_MAX_ATTEMPTS) === undefined) out.maxAttempts = defaultMaxAttempts
  if (local && config.credentials === undefined && nonEmpty(env.AWS_ACCESS_KEY_ID) === undefined) {
    out.credentials = localCredentials
  }
  if (local && config.region === undefined && nonEmpty(env.AWS_REGION ?? env.AWS_DEFAULT_REGION) === undefined) {
    out.region = localRegion
  }
  return out
}

export function createDynamoDbClient(config: DynamoDBClientConfig = {}, env: Env = process.env): DynamoDBClient {
  return new DynamoDBClient({ ...config, ...defaults('DYNAMODB', config, env) })
}

let dynamo: DynamoDBClient | undefined

/** The process's DynamoDB client (reused across warm invocations), or a new one when `config` is given. */
export function dynamoDbClient(config?: DynamoDBClientConfig): DynamoDBClient {
  if (config !== undefined) return createDynamoDbClient(config)
  return (dynamo ??= createDynamoDbClient())
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}

/** The URL of an explicit `endpoint` when it is a plain string or URL (providers are left alone). */
function endpointOf(endpoint: unknown): string | undefined {
  if (typeof endpoint === 'string') return nonEmpty(endpoint)
  if (endpoint instanceof URL) return endpoint.href
  if (typeof endpoint === 'object' && endpoint !== null && 'hostname' in endpoint) {
    const { protocol, hostname } = endpoint as { protocol?: unknown; hostname?: unknown }
    return `${typeof protocol === 'string' ? protocol : 'https:'}//${String(hostname)}`
  }
  return undefined
}

function isLoopback(endpoint: string): boolean {
  let host: string
  try {
    host = new URL(endpoint).hostname
  } catch {
    return false
  }
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}
