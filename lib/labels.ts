import { fileURLToPath } from 'node:url'
import { Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib'
import * as events from 'aws-cdk-lib/aws-events'
import * as targets from 'aws-cdk-lib/aws-events-targets'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as kinesis from 'aws-cdk-lib/aws-kinesis'
import type * as kms from 'aws-cdk-lib/aws-kms'
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs'
import * as logs from 'aws-cdk-lib/aws-logs'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import { Construct } from 'constructs'
import { labelStreamEnvVar, serviceNames } from '../functions/aws/service-names.ts'
import type { ScoringConfig } from './config.ts'
import { acknowledge, arnInFinding, grantsPolicyOf, keyGrantWildcards } from './nag.ts'
import { nodeFunction } from './node-function.ts'
import { exactlyOnceEventSource, type ScorerEventSourceSettings } from './scoring.ts'
import { tableSchemas } from './table-schema.ts'
import type { Tables } from './tables.ts'

/** The label applier's entry (exports `handler`). */
export const labelApplierEntry = fileURLToPath(new URL('../functions/apply-labels/handler.ts', import.meta.url))
/** The sweep of waiting labels' entry. */
export const labelSweepEntry = fileURLToPath(new URL('../functions/label-sweep/handler.ts', import.meta.url))
/** How often the sweep runs: a label that came before its transaction waits at most this long after it. */
export const labelSweepMinutes = 5

export interface LabelFeedProps {
  readonly tables: Tables
  /** The scorer's function and mapping settings: memory, timeout, retries, record age and batch size apply to labels alike. */
  readonly settings: ScoringConfig
  readonly mapping: ScorerEventSourceSettings
  /** Encrypts the applier's log group and dead-letter queue. */
  readonly operationsKey: kms.IKey
  readonly logRetention: logs.RetentionDays
  readonly removalPolicy: RemovalPolicy
}

/**
 * Where labels enter and where they are applied.
 *
 * - **Stream.** Every source writes to one Kinesis stream (POST /labels, which `vigil labels
 *   import` and chargeback feeds call, and the analysts' verdicts), partition key = transaction id,
 *   so every label of one transaction is applied in order by one shard. A stream rather than a
 *   queue: the applier inherits the scorer's discipline whole (ordered per shard, bisect, partial
 *   batch failures, per-shard high-water marks on the entities it writes, an on-failure
 *   destination), and the local runtime runs it on the same emulator. One provisioned shard
 *   (1,000 labels/s) is far above any chargeback feed and costs a third of an on-demand stream's
 *   floor. Labels hold no card number: the tables key encrypts it, as it does what they become.
 * - **Applier.** A Lambda on the stream (functions/apply-labels/): label items in the labels table
 *   and fraud counts in the entity state, exactly once (functions/core/labels/apply-batch.ts),
 *   with the scorer's event source settings and parallelization 1 for the same reason.
 * - **Sweep.** Every 5 minutes (functions/label-sweep/): a label that came before its transaction
 *   is sent again once the transaction is scored, or set aside as unmatched after 7 days (the
 *   `LabelsUnmatched` alarm): never silently dropped.
 */
export class LabelFeed extends Construct {
  readonly stream: kinesis.Stream
  readonly applier: NodejsFunction
  readonly sweep: NodejsFunction
  readonly deadLetterQueue: sqs.Queue
  readonly logGroup: logs.LogGroup

  constructor(scope: Construct, id: string, props: LabelFeedProps) {
    super(scope, id)
    const { tables, settings, removalPolicy } = props
    const stackName = Stack.of(this).stackName

    this.stream = new kinesis.Stream(this, 'Stream', {
      streamMode: kinesis.StreamMode.PROVISIONED,
      shardCount: 1,
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: tables.key,
      retentionPeriod: Duration.days(7),
      removalPolicy,
    })
    acknowledge(this.stream, {
      KDS3: 'encrypted with the tables key on purpose instead of aws/kinesis: labels become table items under that key, and its key policy covers both',
    })

    this.logGroup = new logs.LogGroup(this, 'ApplierLogs', { retention: props.logRetention, encryptionKey: props.operationsKey, removalPolicy })
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.operationsKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    })
    acknowledge(this.deadLetterQueue, {
      SQS3: "this queue is itself the dead-letter destination (the labels event source mapping's on-failure destination, which nag does not see as a redrive target)",
    })

    const role = new iam.Role(this, 'ApplierRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${stackName}: the label applier Lambda`,
    })
    this.logGroup.grantWrite(role)
    const environment: Record<string, string> = {}
    for (const key of ['labels', 'decisions', 'entityState', 'rules', 'quarantine'] as const) environment[tableSchemas[key].envVar] = tables[key].tableName
    this.applier = nodeFunction(this, 'Applier', {
      description: `${stackName}: applies labels from the labels stream to label items and entity fraud counts`,
      entry: labelApplierEntry,
      serviceName: serviceNames.labelApplier,
      memoryMb: settings.memoryMb,
      timeoutSeconds: settings.timeoutSeconds,
      role,
      logGroup: this.logGroup,
      environment,
    })
    // The calls it makes, no more: label items read in batches and put conditionally; decisions and
    // the rule set read, the rules' label counts added (UpdateItem ADD); entity state read in
    // batches and put conditionally; bad records quarantined.
    tables.grant(tables.labels, this.applier, 'BatchGetItem', 'PutItem')
    tables.grant(tables.decisions, this.applier, 'BatchGetItem')
    tables.grant(tables.entityState, this.applier, 'BatchGetItem', 'PutItem')
    tables.grant(tables.rules, this.applier, 'GetItem', 'Query', 'UpdateItem')
    tables.grant(tables.quarantine, this.applier, 'PutItem')

    // The scorer's mapping, settings and all: per-shard high-water marks need one batch per shard at a time.
    this.applier.addEventSource(exactlyOnceEventSource(this.stream, props.mapping, this.deadLetterQueue))
    const labelsIndex = { [`IAM5[Resource::${arnInFinding(tables.labels)}/index/*]`]: "the labels table's own secondary index (the pending labels), as CDK's table.grant names them: no other table's" }
    acknowledge(grantsPolicyOf(role), { ...keyGrantWildcards('tables key (labels stream and tables) and the operations key (dead-letter queue)'), ...labelsIndex })

    // --- The sweep of waiting labels ----------------------------------------------------------------
    const sweepLogs = new logs.LogGroup(this, 'SweepLogs', { retention: props.logRetention, encryptionKey: props.operationsKey, removalPolicy })
    const sweepRole = new iam.Role(this, 'SweepRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${stackName}: the sweep of labels waiting for their transaction`,
    })
    sweepLogs.grantWrite(sweepRole)
    this.sweep = nodeFunction(this, 'Sweep', {
      description: `${stackName}: resends labels whose transaction is now scored; sets aside those that waited too long`,
      entry: labelSweepEntry,
      serviceName: serviceNames.labelSweep,
      memoryMb: 256,
      timeoutSeconds: 60,
      role: sweepRole,
      logGroup: sweepLogs,
      environment: {
        [tableSchemas.labels.envVar]: tables.labels.tableName,
        [tableSchemas.decisions.envVar]: tables.decisions.tableName,
        [labelStreamEnvVar]: this.stream.streamName,
      },
    })
    // Waiting items queried on the index and set aside conditionally; decisions looked up; labels resent.
    tables.grant(tables.labels, this.sweep, 'Query', 'PutItem')
    tables.grant(tables.decisions, this.sweep, 'BatchGetItem')
    this.stream.grant(this.sweep, 'kinesis:PutRecords')
    this.stream.encryptionKey?.grant(this.sweep, 'kms:GenerateDataKey')
    new events.Rule(this, 'SweepSchedule', {
      description: `${stackName}: sweeps the labels waiting for their transaction`,
      schedule: events.Schedule.rate(Duration.minutes(labelSweepMinutes)),
      targets: [new targets.LambdaFunction(this.sweep, { retryAttempts: 0 })],
    })
    acknowledge(grantsPolicyOf(sweepRole), { ...keyGrantWildcards('tables key (labels table and stream)'), ...labelsIndex })
  }
}
