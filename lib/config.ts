import { RemovalPolicy } from 'aws-cdk-lib'
import { RetentionDays } from 'aws-cdk-lib/aws-logs'
import type { Node } from 'constructs'
import { priorities } from '../functions/core/cases/priority.ts'
import { defaultSlaTable, type SlaTable } from '../functions/core/cases/sla.ts'

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
  /** Most records the stream hands the scorer in one invocation: 1 to 10000. cdk.json: 100. */
  batchSize: 'vigil:batchSize',
  /** How long the event source mapping gathers records before invoking, in seconds: 0 to 300. cdk.json: 1. */
  maxBatchingWindowSeconds: 'vigil:maxBatchingWindowSeconds',
  /** Retries of a failing batch before its records go to the dead-letter queue: 0 to 10000 (never infinite). cdk.json: 5. */
  retryAttempts: 'vigil:retryAttempts',
  /**
   * Records older than this (seconds) are not scored but sent to the dead-letter queue: 60 to 604800 and at
   * most the stream's retention, so a record is never trimmed from the stream unreported. cdk.json: 86400.
   */
  maxRecordAgeSeconds: 'vigil:maxRecordAgeSeconds',
  /** The scorer's memory (and so its CPU share), in MB: 128 to 10240. cdk.json: 512. */
  scorerMemoryMb: 'vigil:scorerMemoryMb',
  /** The scorer's timeout per batch, in seconds: 1 to 900. cdk.json: 60. */
  scorerTimeoutSeconds: 'vigil:scorerTimeoutSeconds',
  /** How far after its arrival in the stream a transaction may be dated, in seconds: 0 to 3600; later ones are quarantined (event_time_skew). cdk.json: 60. */
  eventMaxAheadSeconds: 'vigil:eventMaxAheadSeconds',
  /** How far before its arrival, in seconds: 60 to 34560000 (400 days); the active rule set's largest window bounds it anyway. Not in cdk.json: that window. */
  eventMaxAgeSeconds: 'vigil:eventMaxAgeSeconds',
  /** Seconds an analyst has to decide a case, by priority: an object {critical, high, medium, low}. */
  analystSlaSeconds: 'vigil:analystSlaSeconds',
  /** Optional e-mail address subscribed to the supervisors' escalation topic. */
  supervisorEmail: 'vigil:supervisorEmail',
  /**
   * Retention of every log group (functions, the case workflow, the API's access logs), in days: one of
   * CloudWatch Logs' values (1, 3, 5, 7, 14, 30, 60, 90, … 3653). Not in cdk.json: derived from the stage
   * like removalPolicy (30 for dev, 365 otherwise: PCI DSS 10.5.1 keeps audit logs a year).
   */
  logRetentionDays: 'vigil:logRetentionDays',
  /**
   * Browser origins allowed to call the case API (CORS): a JSON array, or from the CLI a comma-separated
   * list, of `https://host[:port]` origins (`http://` for localhost only), no path, no wildcard.
   * cdk.json: [] (no CORS: only non-browser clients, or a UI served from the API's own origin).
   */
  corsOrigins: 'vigil:corsOrigins',
  /** The case API stage's steady request rate, per second, over all routes: 1 to 10000. cdk.json: 50. */
  apiThrottleRateLimit: 'vigil:apiThrottleRateLimit',
  /** The case API stage's burst of requests above that rate: 1 to 5000. cdk.json: 100. */
  apiThrottleBurstLimit: 'vigil:apiThrottleBurstLimit',
  /**
   * Alarm thresholds (lib/observability.ts): an object of any of {iteratorAgeSeconds, scorerErrors,
   * scorerThrottles, quarantineRatePercent, api5xxRatePercent, escalationsPerHour, blockRateBandWidth,
   * slaBreachesPerHour};
   * keys left out keep their defaults. From the CLI, a JSON object. cdk.json: every key, see alarmDefaults.
   */
  alarms: 'vigil:alarms',
  /** Optional e-mail address subscribed to the operations alarm topic. */
  alarmEmail: 'vigil:alarmEmail',
  /**
   * The version of the PAN tokenization secret the scorer reads: a VersionId (a UUID) or a staging label.
   * Pin a VersionId outside dev, so a key change is a deploy (functions/score/tokenization-key.ts).
   * cdk.json: "AWSCURRENT".
   */
  tokenizationKeyVersion: 'vigil:tokenizationKeyVersion',
  /**
   * IAM principal ARNs (wildcards allowed) that may read and change the tokenization secret besides the
   * scorer's reading of it: a JSON array, or from the CLI a comma-separated list. cdk.json: [] (nobody
   * but the deploying CloudFormation role can change it).
   */
  tokenizationKeyAdmins: 'vigil:tokenizationKeyAdmins',
  /**
   * Whether bin/vigil.ts runs cdk-nag's AwsSolutions checks on the app (lib/nag.ts): any unacknowledged
   * finding then fails `cdk synth` and `cdk deploy`. true or false. cdk.json: true.
   */
  nag: 'vigil:nag',
} as const

/** The stage whose stateful resources are destroyed with the stack unless told otherwise. */
export const disposableStage = 'dev'

export type StreamCapacity = { readonly mode: 'on-demand' } | { readonly mode: 'provisioned'; readonly shardCount: number }

export interface VigilConfig {
  readonly stage: string
  /** Applied to every stateful resource (keys, stream, tables) so data never outlives its key. */
  readonly removalPolicy: RemovalPolicy
  /** Of every log group of the stage. */
  readonly logRetention: RetentionDays
  readonly stream: { readonly capacity: StreamCapacity; readonly retentionHours: number }
  readonly scoring: ScoringConfig
  readonly escalation: EscalationConfig
  readonly caseApi: CaseApiConfig
  readonly observability: ObservabilityConfig
  /** Check the app against cdk-nag's AwsSolutions rules when it is synthesized. */
  readonly nag: boolean
}

/** The operations alarms (lib/observability.ts): each alarm fires when its value exceeds the threshold (SlaBreaches: reaches it). */
export interface AlarmThresholds {
  /** Age of the oldest record the scorer was handed (Lambda IteratorAge, maximum per minute), in seconds. */
  readonly iteratorAgeSeconds: number
  /** Scorer invocation errors per 5 minutes above which to alarm (0: any error). */
  readonly scorerErrors: number
  /** Scorer throttles per 5 minutes above which to alarm (0: any throttle). */
  readonly scorerThrottles: number
  /** Quarantined records as a percentage of records scored, per 5 minutes. */
  readonly quarantineRatePercent: number
  /** Case API 5xx responses as a percentage of requests, per 5 minutes. */
  readonly api5xxRatePercent: number
  /** Cases escalated to supervisors (analyst SLA missed) per hour. */
  readonly escalationsPerHour: number
  /** Width of the block rate's anomaly-detection band, in standard deviations. */
  readonly blockRateBandWidth: number
  /** Cases whose analyst SLA or supervisor deadline ran out (SlaBreaches) per hour at which to alarm. */
  readonly slaBreachesPerHour: number
}

export interface ObservabilityConfig {
  readonly alarms: AlarmThresholds
  readonly alarmEmail: string | undefined
}

/** The defaults, also written in cdk.json. */
export const alarmDefaults: AlarmThresholds = {
  iteratorAgeSeconds: 60,
  scorerErrors: 0,
  scorerThrottles: 0,
  quarantineRatePercent: 5,
  api5xxRatePercent: 1,
  escalationsPerHour: 5,
  blockRateBandWidth: 3,
  slaBreachesPerHour: 1,
}

/** Each threshold's accepted range, and whether it must be a whole number. */
const alarmRanges: Readonly<Record<keyof AlarmThresholds, readonly [min: number, max: number, integer: boolean]>> = {
  iteratorAgeSeconds: [1, 604_800, true],
  scorerErrors: [0, 100_000, true],
  scorerThrottles: [0, 100_000, true],
  quarantineRatePercent: [0, 100, false],
  api5xxRatePercent: [0, 100, false],
  escalationsPerHour: [0, 100_000, true],
  blockRateBandWidth: [0.5, 10, false],
  slaBreachesPerHour: [1, 100_000, true],
}

/** The analysts' HTTP API (lib/case-api.ts). */
export interface CaseApiConfig {
  /** Allowed CORS origins; empty: no CORS configuration at all. */
  readonly corsOrigins: readonly string[]
  /** Stage-wide throttling: requests per second, and the burst above it. */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number }
  /**
   * Whether the app client allows USER_PASSWORD_AUTH (the password itself sent to Cognito, handy for
   * scripts against a dev stack). Not a setting: the disposable stage only; elsewhere SRP alone.
   */
  readonly passwordSignIn: boolean
}

/** The defaults, also written in cdk.json. A few analysts need far less; the limit caps a runaway client's cost. */
export const caseApiDefaults: Omit<CaseApiConfig, 'passwordSignIn'> = { corsOrigins: [], throttle: { rateLimit: 50, burstLimit: 100 } }

/**
 * The case workflow's deadlines (see lib/escalation.ts): seconds to a verdict by priority. An
 * escalated case gets a new deadline from the same table at its raised priority, for supervisors.
 */
export interface EscalationConfig {
  readonly analystSlaSeconds: SlaTable
  readonly supervisorEmail: string | undefined
}

export const escalationDefaults: EscalationConfig = { analystSlaSeconds: defaultSlaTable, supervisorEmail: undefined }

/** The score Lambda and its Kinesis event source mapping; see lib/scoring.ts for why each value. */
export interface ScoringConfig {
  readonly batchSize: number
  readonly maxBatchingWindowSeconds: number
  readonly retryAttempts: number
  readonly maxRecordAgeSeconds: number
  readonly memoryMb: number
  readonly timeoutSeconds: number
  readonly tokenizationKey: TokenizationKeyConfig
  /** Event-time bounds against arrival (functions/core/event-time.ts says why the defaults). */
  readonly eventMaxAheadSeconds: number
  readonly eventMaxAgeSeconds: number | undefined
}

/** The defaults, also written in cdk.json. */
export const scoringDefaults: ScoringConfig = {
  batchSize: 100,
  maxBatchingWindowSeconds: 1,
  retryAttempts: 5,
  maxRecordAgeSeconds: 86_400,
  memoryMb: 512,
  timeoutSeconds: 60,
  tokenizationKey: { version: 'AWSCURRENT', admins: [] },
  eventMaxAheadSeconds: 60,
  eventMaxAgeSeconds: undefined,
}

/**
 * Log retention by stage unless `vigil:logRetentionDays` says otherwise: a disposable stage keeps a
 * month; every other stage a year, what PCI DSS 10.5.1 asks of audit logs (CloudWatch Logs keeps them
 * all at hand, which covers its "three months immediately available").
 */
export const logRetentionDefaults = { disposable: RetentionDays.ONE_MONTH, other: RetentionDays.ONE_YEAR } as const

/** The retentions CloudWatch Logs accepts, in days, except "never expire". */
const logRetentionValues: readonly number[] = Object.values(RetentionDays).filter(
  (days): days is number => typeof days === 'number' && days !== RetentionDays.INFINITE,
)

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

  const integer = (key: string, min: number, max: number, fallback: number): number => optionalInteger(get(key), key, min, max) ?? fallback
  const maxRecordAgeSeconds = integer(contextKeys.maxRecordAgeSeconds, 60, 604_800, scoringDefaults.maxRecordAgeSeconds)
  if (maxRecordAgeSeconds > retentionHours * 3600) {
    throw new Error(
      `${contextKeys.maxRecordAgeSeconds} (${maxRecordAgeSeconds}) must not exceed the stream's retention ` +
        `(${contextKeys.retentionHours}=${retentionHours}, ${retentionHours * 3600} seconds): older records would leave the stream unreported`,
    )
  }
  const logRetention = integer(contextKeys.logRetentionDays, 1, 3653, stage === disposableStage ? logRetentionDefaults.disposable : logRetentionDefaults.other)
  if (!logRetentionValues.includes(logRetention)) {
    throw new Error(`${contextKeys.logRetentionDays} must be one of ${logRetentionValues.join(', ')} (got ${JSON.stringify(get(contextKeys.logRetentionDays))})`)
  }
  const scoring: ScoringConfig = {
    batchSize: integer(contextKeys.batchSize, 1, 10_000, scoringDefaults.batchSize),
    maxBatchingWindowSeconds: integer(contextKeys.maxBatchingWindowSeconds, 0, 300, scoringDefaults.maxBatchingWindowSeconds),
    retryAttempts: integer(contextKeys.retryAttempts, 0, 10_000, scoringDefaults.retryAttempts),
    maxRecordAgeSeconds,
    memoryMb: integer(contextKeys.scorerMemoryMb, 128, 10_240, scoringDefaults.memoryMb),
    timeoutSeconds: integer(contextKeys.scorerTimeoutSeconds, 1, 900, scoringDefaults.timeoutSeconds),
    tokenizationKey: tokenizationKeyConfig(get(contextKeys.tokenizationKeyVersion), get(contextKeys.tokenizationKeyAdmins)),
    eventMaxAheadSeconds: integer(contextKeys.eventMaxAheadSeconds, 0, 3600, scoringDefaults.eventMaxAheadSeconds),
    eventMaxAgeSeconds: optionalInteger(get(contextKeys.eventMaxAgeSeconds), contextKeys.eventMaxAgeSeconds, 60, 34_560_000),
  }

  const sla = get(contextKeys.analystSlaSeconds) ?? escalationDefaults.analystSlaSeconds
  if (typeof sla !== 'object' || sla === null) throw new Error(`${contextKeys.analystSlaSeconds} must be an object {critical, high, medium, low} of seconds`)
  const analystSlaSeconds = Object.fromEntries(
    priorities.map((p) => [p, optionalInteger((sla as Record<string, unknown>)[p], `${contextKeys.analystSlaSeconds}.${p}`, 60, 31_536_000) ?? escalationDefaults.analystSlaSeconds[p]]),
  ) as SlaTable
  const email = get(contextKeys.supervisorEmail)
  if (email !== undefined && (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(email))) {
    throw new Error(`${contextKeys.supervisorEmail} must be an e-mail address (got ${JSON.stringify(email)})`)
  }
  const escalation: EscalationConfig = { analystSlaSeconds, supervisorEmail: email }

  const caseApi: CaseApiConfig = {
    corsOrigins: corsOrigins(get(contextKeys.corsOrigins)),
    throttle: {
      rateLimit: integer(contextKeys.apiThrottleRateLimit, 1, 10_000, caseApiDefaults.throttle.rateLimit),
      burstLimit: integer(contextKeys.apiThrottleBurstLimit, 1, 5_000, caseApiDefaults.throttle.burstLimit),
    },
    passwordSignIn: stage === disposableStage,
  }

  const alarmEmail = get(contextKeys.alarmEmail)
  if (alarmEmail !== undefined && (typeof alarmEmail !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(alarmEmail))) {
    throw new Error(`${contextKeys.alarmEmail} must be an e-mail address (got ${JSON.stringify(alarmEmail)})`)
  }
  const observability: ObservabilityConfig = { alarms: alarmThresholds(get(contextKeys.alarms)), alarmEmail }

  const nag = get(contextKeys.nag) ?? false
  if (nag !== true && nag !== false && nag !== 'true' && nag !== 'false') {
    throw new Error(`${contextKeys.nag} must be true or false (got ${JSON.stringify(nag)})`)
  }

  return {
    stage,
    removalPolicy: removal === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    logRetention: logRetention as RetentionDays,
    stream: { capacity, retentionHours },
    scoring,
    escalation,
    caseApi,
    observability,
    nag: nag === true || nag === 'true',
  }
}

/**
 * Alarm thresholds from context: an object (cdk.json), or from `-c` a JSON object. Keys left out keep
 * their defaults; an unknown key is refused (a misspelt threshold would otherwise silently not apply).
 */
function alarmThresholds(value: unknown): AlarmThresholds {
  const key = contextKeys.alarms
  if (value === undefined || value === null) return alarmDefaults
  let object: unknown = value
  if (typeof value === 'string') {
    try {
      object = JSON.parse(value)
    } catch {
      throw new Error(`${key} must be a JSON object of thresholds (got ${JSON.stringify(value)})`)
    }
  }
  if (typeof object !== 'object' || object === null || Array.isArray(object)) throw new Error(`${key} must be an object of thresholds (got ${JSON.stringify(value)})`)
  const given = object as Record<string, unknown>
  const names = Object.keys(alarmRanges) as (keyof AlarmThresholds)[]
  const unknown = Object.keys(given).filter((name) => !(names as string[]).includes(name))
  if (unknown.length > 0) throw new Error(`${key}: unknown threshold ${unknown.join(', ')} (known: ${names.join(', ')})`)
  const thresholds: Record<keyof AlarmThresholds, number> = { ...alarmDefaults }
  for (const name of names) {
    const raw = given[name]
    if (raw === undefined || raw === null) continue
    const [min, max, integer] = alarmRanges[name]
    const number = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw
    if (typeof number !== 'number' || !Number.isFinite(number) || number < min || number > max || (integer && !Number.isInteger(number))) {
      throw new Error(`${key}.${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got ${JSON.stringify(raw)})`)
    }
    thresholds[name] = number
  }
  return thresholds
}

/**
 * CORS origins from context: a JSON array (cdk.json), or a string from `-c`, either a JSON array or a
 * comma-separated list. Each must be an exact origin: `https://host[:port]`, or `http://` for
 * localhost and 127.0.0.1 (a local UI against a deployed API). A path, a trailing slash or a
 * wildcard is refused: the API's bearer tokens are only for the origins named.
 */
function corsOrigins(value: unknown): readonly string[] {
  const key = contextKeys.corsOrigins
  if (value === undefined || value === null) return caseApiDefaults.corsOrigins
  const list = contextList(value, key, 'origins like https://vigil.example.com')
  const origins = list.map((origin: unknown) => {
    if (typeof origin !== 'string') throw new Error(`${key}: ${JSON.stringify(origin)} is not an origin`)
    let url: URL | undefined
    try {
      url = new URL(origin)
    } catch {
      url = undefined
    }
    const local = url !== undefined && (url.hostname === 'localhost' || url.hostname === '127.0.0.1')
    if (!url || url.origin !== origin || !/^[a-z0-9.-]+$/.test(url.hostname) || !(url.protocol === 'https:' || (url.protocol === 'http:' && local))) {
      throw new Error(
        `${key}: ${JSON.stringify(origin)} must be an exact origin like https://vigil.example.com or http://localhost:5173 (lower case, no path, no trailing slash, no wildcard; http only for localhost)`,
      )
    }
    return origin
  })
  return [...new Set(origins)]
}

function optionalInteger(value: unknown, key: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined
  const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    throw new Error(`${key} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`)
  }
  return number
}

/** The PAN tokenization secret's settings (lib/tokenization-secret.ts, functions/score/tokenization-key.ts). */
export interface TokenizationKeyConfig {
  /** The secret version the scorer reads: a VersionId or a staging label. */
  readonly version: string
  /** IAM principal ARNs (wildcards allowed) that may read and change the secret. */
  readonly admins: readonly string[]
}

function tokenizationKeyConfig(version: unknown, admins: unknown): TokenizationKeyConfig {
  const defaults = scoringDefaults.tokenizationKey
  if (version !== undefined && (typeof version !== 'string' || !/^[A-Za-z0-9_.-]{1,256}$/.test(version))) {
    throw new Error(`${contextKeys.tokenizationKeyVersion} must be a secret VersionId or staging label (got ${JSON.stringify(version)})`)
  }
  const list = contextList(admins ?? defaults.admins, contextKeys.tokenizationKeyAdmins, 'IAM ARNs')
  for (const arn of list) {
    // A principal of an account, never "*": a wildcard in the account would exempt everyone from the policy's denies.
    if (typeof arn !== 'string' || !/^arn:aws[a-z-]*:(iam|sts)::\d{12}:[A-Za-z0-9+=,.@_/*-]+$/.test(arn)) {
      throw new Error(`${contextKeys.tokenizationKeyAdmins}: ${JSON.stringify(arn)} must be an IAM role or user ARN of an account (wildcards only after the account)`)
    }
  }
  return { version: (version as string | undefined) ?? defaults.version, admins: list as string[] }
}

/**
 * A list from context: an array (cdk.json), or a string from `-c`, either a JSON array or a
 * comma-separated list. The entries are the caller's to check.
 */
function contextList(value: unknown, key: string, what: string): unknown[] {
  let list = value
  if (typeof value === 'string') {
    const text = value.trim()
    if (text.startsWith('[')) {
      try {
        list = JSON.parse(text)
      } catch {
        throw new Error(`${key} must be a JSON array or a comma-separated list of ${what} (got ${JSON.stringify(value)})`)
      }
    } else list = text === '' ? [] : text.split(',').map((entry) => entry.trim())
  }
  if (!Array.isArray(list)) throw new Error(`${key} must be a list of ${what} (got ${JSON.stringify(value)})`)
  return list
}
