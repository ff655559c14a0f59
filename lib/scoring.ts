import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Aws, Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib'
import * as iam from 'aws-cdk-lib/aws-iam'
import type * as kinesis from 'aws-cdk-lib/aws-kinesis'
import * as kms from 'aws-cdk-lib/aws-kms'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import { KinesisEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources'
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs'
import * as logs from 'aws-cdk-lib/aws-logs'
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId, type AwsSdkCall } from 'aws-cdk-lib/custom-resources'
import { Construct } from 'constructs'
import type { ScoringConfig } from './config.ts'
import { acknowledge, grantsPolicyOf, keyGrantWildcards } from './nag.ts'
import { restrictTokenizationSecret } from './tokenization-secret.ts'
import { nodeFunction } from './node-function.ts'
import { ruleSetItems, tableSchemas, type TableKey } from './table-schema.ts'
import type { Tables } from './tables.ts'
import { serviceNames } from '../functions/aws/service-names.ts'

/** The tables the scorer reads and writes; cases belong to the escalation workflow and the API. */
const scorerTables = ['decisions', 'entityState', 'rules', 'quarantine'] as const satisfies readonly TableKey[]

const fromRoot = (path: string): string => fileURLToPath(new URL(`../${path}`, import.meta.url))

/** The scorer's entry (exports `handler`). */
export const scorerEntry = fromRoot('functions/score/handler.ts')

/**
 * The rule set the rules table starts with, stored as version 1 and made active on the stack's first
 * deploy. `createdAt` is when version 1 of rules/default.json was written (its commit), a constant:
 * CloudFormation offers no deploy-time clock, and a synth-time one would change the seeding
 * resources on every synth, so every `cdk diff` would show a change and every deploy an update.
 */
export const defaultRuleSet = {
  path: fromRoot('rules/default.json'),
  version: 1,
  createdAt: '2026-11-24T23:15:08.000Z',
} as const

/** What Lambda's Kinesis event source mapping is told, as plain data (the local runtime mirrors it). */
export interface ScorerEventSourceSettings {
  readonly startingPosition: 'TRIM_HORIZON'
  readonly batchSize: number
  readonly maxBatchingWindowSeconds: number
  readonly retryAttempts: number
  readonly maxRecordAgeSeconds: number
  readonly parallelizationFactor: number
  readonly bisectBatchOnError: true
  readonly reportBatchItemFailures: true
}

export interface ScoringProps {
  /** The transaction stream; the event source mapping grants the scorer read (and decrypt) on it. */
  readonly stream: kinesis.IStream
  readonly tables: Tables
  readonly settings: ScoringConfig
  readonly logRetention: logs.RetentionDays
  /** Applied to the keys, the secret, the queue and the log groups, like the stack's other stateful resources. */
  readonly removalPolicy: RemovalPolicy
}

/**
 * The score Lambda on the transaction stream, its secret, its dead-letter queue and the seeding of
 * the rules table.
 *
 * KMS keys (two more, on top of the stream's and the tables'):
 * - `secretKey` encrypts only the PAN tokenization HMAC key. With that key and a token, a PAN is a
 *   brute force of about 10⁹ HMACs away, so it must not be readable by everyone who can read the
 *   tables: the case API and escalation functions will be granted the tables key, and only the
 *   scorer is granted this one. It can also be disabled on its own after an incident.
 * - `operationsKey` encrypts the log groups and the dead-letter queue: operational data (structured
 *   logs without PANs; on-failure records that name a shard and sequence numbers, never a payload).
 *   CloudWatch Logs needs a key-policy statement for its service principal, which we keep off the
 *   data keys.
 */
export class Scoring extends Construct {
  /** Encrypts `tokenizationKey` only. */
  readonly secretKey: kms.Key
  /** The PAN tokenization HMAC key: a generated 64-character alphanumeric string (about 381 bits). */
  readonly tokenizationKey: secretsmanager.Secret
  /** Encrypts the log groups and the dead-letter queue. */
  readonly operationsKey: kms.Key
  readonly logGroup: logs.LogGroup
  readonly scorer: NodejsFunction
  /** Where the event source mapping reports batches it gave up on (metadata only, no record data). */
  readonly deadLetterQueue: sqs.Queue
  readonly eventSource: KinesisEventSource
  readonly eventSourceMapping: ScorerEventSourceSettings
  /** Puts rule set version 1 and, after it, the active pointer, on create only. */
  readonly seedRuleSetVersion: AwsCustomResource
  readonly seedActiveRuleSet: AwsCustomResource

  constructor(scope: Construct, id: string, props: ScoringProps) {
    super(scope, id)
    const { settings, tables, removalPolicy } = props
    const stackName = Stack.of(this).stackName

    // --- Tokenization key ---------------------------------------------------------------------
    this.secretKey = new kms.Key(this, 'SecretKey', {
      description: `${stackName}: Secrets Manager encryption of the PAN tokenization key`,
      enableKeyRotation: true,
      removalPolicy,
    })
    // Not rotated on a schedule: a new HMAC key gives every card a new token. A key change is a
    // planned change-over through a keyring of two live keys (functions/score/tokenization-key.ts).
    // The generated value is a plain string: the keyring's single key `k1`.
    this.tokenizationKey = new secretsmanager.Secret(this, 'TokenizationKey', {
      description: `${stackName}: HMAC-SHA256 key that turns a PAN into its card token (never rotate without a re-keying plan)`,
      encryptionKey: this.secretKey,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy,
    })
    acknowledge(this.tokenizationKey, {
      SMG4: 'the PAN tokenization HMAC key: rotating it gives every card a new token, so a key is changed by a planned change-over of two live keys, pinned by a deploy, never on a schedule',
    })

    // --- Operations key, logs, dead-letter queue ------------------------------------------------
    this.operationsKey = new kms.Key(this, 'OperationsKey', {
      description: `${stackName}: encryption of the scoring log groups and dead-letter queue`,
      enableKeyRotation: true,
      removalPolicy,
    })
    // CloudWatch Logs encrypts with the key as its regional service principal, scoped to this
    // account's log groups in this region (log group names are generated, so no narrower ARN
    // without a dependency cycle). Who may read the logs is decided by logs:* IAM permissions.
    this.operationsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsOfThisAccountAndRegion',
        principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*` },
        },
      }),
    )
    const logGroup = (logGroupId: string): logs.LogGroup =>
      new logs.LogGroup(this, logGroupId, {
        retention: props.logRetention,
        encryptionKey: this.operationsKey,
        removalPolicy,
      })
    this.logGroup = logGroup('ScorerLogs')

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.operationsKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    })
    acknowledge(this.deadLetterQueue, {
      SQS3: "this queue is itself the dead-letter destination (the Kinesis event source mapping's on-failure destination, which nag does not see as a redrive target); a dead-letter queue of it would have no producer",
    })

    // --- The scorer -----------------------------------------------------------------------------
    // An explicit role without AWSLambdaBasicExecutionRole (logs:* on every log group): the function
    // writes to its own log group only, and every other permission comes from a grant below.
    const role = new iam.Role(this, 'ScorerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${stackName}: the score Lambda`,
    })
    this.logGroup.grantWrite(role)

    const environment: Record<string, string> = {
      VIGIL_TOKENIZATION_SECRET_ARN: this.tokenizationKey.secretArn,
      // Every container reads this version, once: a key change is a deploy, never a cache expiry.
      VIGIL_TOKENIZATION_SECRET_VERSION: settings.tokenizationKey.version,
      VIGIL_EVENT_MAX_AHEAD_SECONDS: String(settings.eventMaxAheadSeconds),
    }
    if (settings.eventMaxAgeSeconds !== undefined) environment.VIGIL_EVENT_MAX_AGE_SECONDS = String(settings.eventMaxAgeSeconds)
    for (const key of scorerTables) environment[tableSchemas[key].envVar] = tables[key].tableName

    this.scorer = nodeFunction(this, 'Scorer', {
      description: `${stackName}: scores transactions from the Kinesis stream`,
      entry: scorerEntry,
      serviceName: serviceNames.scorer,
      memoryMb: settings.memoryMb,
      timeoutSeconds: settings.timeoutSeconds,
      role,
      logGroup: this.logGroup,
      environment,
    })

    // The calls the scorer makes, no more (no Scan, no DeleteItem): decisions are read in batches and
    // put once (GetItem after a lost conditional put), entity state likewise, quarantine entries put;
    // the rule set and its lists read, and rule hits counted (UpdateItem ADD).
    tables.grant(tables.decisions, this.scorer, 'BatchGetItem', 'GetItem', 'PutItem')
    tables.grant(tables.entityState, this.scorer, 'BatchGetItem', 'PutItem')
    tables.grant(tables.quarantine, this.scorer, 'PutItem')
    tables.grant(tables.rules, this.scorer, 'GetItem', 'Query', 'UpdateItem')
    this.tokenizationKey.grantRead(this.scorer)
    restrictTokenizationSecret(this.tokenizationKey, { reader: role, admins: settings.tokenizationKey.admins })

    // --- Event source mapping -------------------------------------------------------------------
    // Lambda's defaults let one bad record block a shard; each is overridden:
    // - MaximumRetryAttempts -1 (retry until the record leaves the stream, up to the retention of
    //   24 h to 365 days, with the shard stalled behind it) → finite, vigil:retryAttempts (5);
    // - MaximumRecordAgeInSeconds -1 (no age limit) → vigil:maxRecordAgeSeconds (1 day);
    // - BisectBatchOnFunctionError false (the whole batch fails again and again with its poison
    //   record) → true, so retries halve the batch and isolate the record;
    // - FunctionResponseTypes none (any error fails the whole batch) → ReportBatchItemFailures: the
    //   handler reports the first unprocessed record and the batch resumes there;
    // - DestinationConfig none (records given up on vanish without a trace) → OnFailure to an SQS
    //   queue, so every skipped record is reported with its shard and sequence numbers;
    // - function timeout 3 s and memory 128 MB (a batch that times out fails as a whole and is
    //   retried) → vigil:scorerTimeoutSeconds (60) and vigil:scorerMemoryMb (512).
    // Poison records themselves never reach these: the handler quarantines a record that fails
    // parsing or validation and reports it processed.
    this.eventSourceMapping = {
      startingPosition: 'TRIM_HORIZON', // from the oldest retained record: nothing in the stream is skipped on first deploy
      batchSize: settings.batchSize,
      maxBatchingWindowSeconds: settings.maxBatchingWindowSeconds,
      retryAttempts: settings.retryAttempts,
      maxRecordAgeSeconds: settings.maxRecordAgeSeconds,
      // Always 1, not a setting: exactly-once counting keeps per shard a high-water mark of the
      // last record applied to each entity (functions/core/stream/batch.ts), which is only sound
      // while one batch per shard runs at a time. Concurrent batches of one shard would interleave
      // below each other's marks. Scale with shards instead.
      parallelizationFactor: 1,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
    }
    this.eventSource = exactlyOnceEventSource(props.stream, this.eventSourceMapping, this.deadLetterQueue)
    this.scorer.addEventSource(this.eventSource)
    acknowledge(grantsPolicyOf(role), keyGrantWildcards('tables key (decisions, entity state, quarantine) and the operations key (dead-letter queue)'))

    // --- Seeding the rules table ----------------------------------------------------------------
    const body = readFileSync(defaultRuleSet.path, 'utf8')
    const ruleSet = JSON.parse(body) as { version?: unknown }
    if (ruleSet.version !== defaultRuleSet.version) {
      throw new Error(`${defaultRuleSet.path} must be version ${defaultRuleSet.version} to seed the rules table (got ${JSON.stringify(ruleSet.version)})`)
    }
    const rules = tableSchemas.rules
    const seedLogGroup = logGroup('SeedLogs')
    // Its own role rather than the provider's default, which carries the AWSLambdaBasicExecutionRole
    // managed policy (log writes to every log group of the account): it writes to its own log group
    // and puts two items.
    const seedRole = new iam.Role(this, 'SeedRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${stackName}: seeds the rules table with rule set version 1 (AwsCustomResource provider)`,
    })
    seedLogGroup.grantWrite(seedRole)
    // On create only, and conditional: no update or delete call, and a put that finds its item
    // already there (a replaced resource, a restored table) keeps the item. An operator's
    // activation of another version is never overwritten.
    const putOnce = (item: Record<string, { S: string } | { N: string }>, physicalId: string): AwsSdkCall => ({
      service: 'DynamoDB',
      action: 'putItem',
      parameters: {
        TableName: tables.rules.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': rules.partitionKey.name },
      },
      ignoreErrorCodesMatching: 'ConditionalCheckFailedException',
      physicalResourceId: PhysicalResourceId.of(physicalId),
    })
    // The provider function behind AwsCustomResource is a singleton per stack: its log group and
    // role serve every AwsCustomResource of the stack. Each resource adds only its own policy:
    // PutItem on the table.
    const seed = (seedId: string, call: AwsSdkCall): AwsCustomResource =>
      new AwsCustomResource(this, seedId, {
        resourceType: 'Custom::VigilRuleSetSeed',
        onCreate: call,
        policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: [tables.rules.tableArn] }),
        installLatestAwsSdk: false, // the runtime's SDK does a PutItem; no download at deploy time
        logGroup: seedLogGroup,
        role: seedRole,
      })
    this.seedRuleSetVersion = seed(
      'SeedRuleSetVersion',
      putOnce(
        {
          [rules.partitionKey.name]: { S: ruleSetItems.partition },
          [rules.sortKey.name]: { S: ruleSetItems.versionSortKey(defaultRuleSet.version) },
          body: { S: JSON.stringify(ruleSet) },
          createdAt: { S: defaultRuleSet.createdAt },
        },
        `${ruleSetItems.partition}/${ruleSetItems.versionSortKey(defaultRuleSet.version)}`,
      ),
    )
    this.seedActiveRuleSet = seed(
      'SeedActiveRuleSet',
      putOnce(
        {
          [rules.partitionKey.name]: { S: ruleSetItems.partition },
          [rules.sortKey.name]: { S: ruleSetItems.activeSortKey },
          version: { N: String(defaultRuleSet.version) },
        },
        `${ruleSetItems.partition}/${ruleSetItems.activeSortKey}`,
      ),
    )
    // The pointer never names a version that is not stored yet.
    this.seedActiveRuleSet.node.addDependency(this.seedRuleSetVersion)
    // The rules table is encrypted with the tables key: DynamoDB uses it on the caller's behalf.
    tables.key.grantEncryptDecrypt(seedRole)
    acknowledge(grantsPolicyOf(seedRole), keyGrantWildcards('tables key'))
  }
}

/**
 * A Kinesis event source with `mapping`'s settings and its on-failure queue, as the scorer's
 * commit discipline needs it (the settings' comment above says why each): the scorer's and the
 * label applier's (lib/labels.ts). No tumbling window: aggregates live in DynamoDB, not in the
 * mapping's state.
 */
export function exactlyOnceEventSource(stream: kinesis.IStream, mapping: ScorerEventSourceSettings, deadLetterQueue: sqs.IQueue): KinesisEventSource {
  return new KinesisEventSource(stream, {
    startingPosition: lambda.StartingPosition[mapping.startingPosition],
    batchSize: mapping.batchSize,
    maxBatchingWindow: Duration.seconds(mapping.maxBatchingWindowSeconds),
    retryAttempts: mapping.retryAttempts,
    maxRecordAge: Duration.seconds(mapping.maxRecordAgeSeconds),
    parallelizationFactor: mapping.parallelizationFactor,
    bisectBatchOnError: mapping.bisectBatchOnError,
    reportBatchItemFailures: mapping.reportBatchItemFailures,
    onFailure: new SqsDlq(deadLetterQueue),
  })
}
