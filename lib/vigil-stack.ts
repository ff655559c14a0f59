import { CfnOutput, RemovalPolicy, Stack, Tags, type StackProps } from 'aws-cdk-lib'
import type { Construct } from 'constructs'
import { CaseApi } from './case-api.ts'
import type { VigilConfig } from './config.ts'
import { Escalation } from './escalation.ts'
import { Ingest } from './ingest.ts'
import { LabelFeed } from './labels.ts'
import { Observability } from './observability.ts'
import { Scoring } from './scoring.ts'
import { TokenizationSecretAlarm } from './tokenization-secret.ts'
import { tableSchemas, Tables, type TableKey } from './tables.ts'

export interface VigilStackProps extends StackProps {
  readonly config: VigilConfig
}

/**
 * One stage of Vigil. Environment-agnostic (no account/region, no lookups), so it synthesizes
 * offline; the account and region come from the deploying credentials.
 *
 * KMS keys, one per concern rather than one shared (lib/scoring.ts adds one for the tokenization
 * secret and one for logs and the dead-letter queue, for the reasons given there):
 * - the stream may carry raw PANs (producers can send `{pan}`; the score Lambda tokenizes), the
 *   tables hold tokens only. Separate keys keep cardholder data under a key that only producers
 *   (encrypt) and the score Lambda (decrypt) are granted, while the case API and escalation
 *   functions, which read tables, can never decrypt the stream;
 * - each key's CloudTrail usage and key policy then describe one data flow, and the stream key can
 *   be disabled or rotated on its own after an incident.
 * The cost is one more key (about $1 a month per stage); Kinesis and DynamoDB cache data keys, so
 * per-request KMS calls stay low with either choice.
 */
export class VigilStack extends Stack {
  readonly config: VigilConfig
  readonly ingest: Ingest
  readonly tables: Tables
  readonly labels: LabelFeed
  readonly scoring: Scoring
  readonly escalation: Escalation
  readonly caseApi: CaseApi
  readonly observability: Observability

  constructor(scope: Construct, id: string, props: VigilStackProps) {
    const { config, ...stackProps } = props
    const retain = config.removalPolicy === RemovalPolicy.RETAIN
    super(scope, id, {
      description: `Vigil fraud detection (${config.stage}): ingest stream, core tables, scorer, case workflow, case API and alarms`,
      terminationProtection: retain,
      ...stackProps,
    })
    this.config = config

    // Not on the dashboard: AWS::CloudWatch::Dashboard takes no Tags in the schema cfn-lint checks (E3002).
    Tags.of(this).add('vigil:stage', config.stage, { excludeResourceTypes: ['AWS::CloudWatch::Dashboard'] })

    this.ingest = new Ingest(this, 'Ingest', {
      capacity: config.stream.capacity,
      retentionHours: config.stream.retentionHours,
      removalPolicy: config.removalPolicy,
    })
    this.tables = new Tables(this, 'Tables', { removalPolicy: config.removalPolicy })
    this.scoring = new Scoring(this, 'Scoring', {
      stream: this.ingest.stream,
      tables: this.tables,
      settings: config.scoring,
      logRetention: config.logRetention,
      removalPolicy: config.removalPolicy,
    })
    this.labels = new LabelFeed(this, 'Labels', {
      tables: this.tables,
      settings: config.scoring,
      mapping: this.scoring.eventSourceMapping,
      operationsKey: this.scoring.operationsKey,
      logRetention: config.logRetention,
      removalPolicy: config.removalPolicy,
    })
    this.escalation = new Escalation(this, 'Escalation', {
      tables: this.tables,
      labelStream: this.labels.stream,
      settings: config.escalation,
      operationsKey: this.scoring.operationsKey,
      logRetention: config.logRetention,
      removalPolicy: config.removalPolicy,
    })
    // Reviews and blocks start the case workflow, one execution per transaction.
    this.scoring.scorer.addEnvironment('VIGIL_ESCALATION_STATE_MACHINE_ARN', this.escalation.stateMachine.stateMachineArn)
    this.escalation.stateMachine.grantStartExecution(this.scoring.scorer)
    // Analysts review the cases the workflow opened; their verdicts resume it (SendTaskSuccess).
    this.caseApi = new CaseApi(this, 'CaseApi', {
      tables: this.tables,
      stateMachine: this.escalation.stateMachine,
      labelStream: this.labels.stream,
      operationsKey: this.scoring.operationsKey,
      settings: config.caseApi,
      logRetention: config.logRetention,
      removalPolicy: config.removalPolicy,
    })
    // Alarms on every stage of the pipeline, and its dashboard.
    this.observability = new Observability(this, 'Observability', {
      stream: this.ingest.stream,
      scorer: this.scoring.scorer,
      deadLetterQueue: this.scoring.deadLetterQueue,
      labelApplier: this.labels.applier,
      labelDeadLetterQueue: this.labels.deadLetterQueue,
      stateMachine: this.escalation.stateMachine,
      escalationTopic: this.escalation.topic,
      api: this.caseApi.api,
      operationsKey: this.scoring.operationsKey,
      settings: config.observability,
    })

    // A change to the tokenization secret is an incident unless it is a planned change-over.
    new TokenizationSecretAlarm(this, 'TokenizationSecretAlarm', {
      secret: this.scoring.tokenizationKey,
      topic: this.observability.topic,
      topicKey: this.scoring.operationsKey,
    })

    new CfnOutput(this, 'StreamName', {
      description: 'Kinesis stream producers PutRecords to',
      value: this.ingest.stream.streamName,
    })
    for (const key of Object.keys(tableSchemas) as TableKey[]) {
      const schema = tableSchemas[key]
      new CfnOutput(this, `${schema.constructId}TableName`, {
        description: `DynamoDB table ${key} (${schema.envVar})`,
        value: this.tables[key].tableName,
      })
    }
    new CfnOutput(this, 'ScorerFunctionName', {
      description: 'The score Lambda on the stream',
      value: this.scoring.scorer.functionName,
    })
    new CfnOutput(this, 'LabelStreamName', {
      description: 'Kinesis stream of labels (POST /labels writes to it); the label applier reads it',
      value: this.labels.stream.streamName,
    })
    new CfnOutput(this, 'LabelDeadLetterQueueUrl', {
      description: 'SQS queue where the labels event source mapping reports records it gave up on',
      value: this.labels.deadLetterQueue.queueUrl,
    })
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      description: 'SQS queue where the event source mapping reports records it gave up on (shard and sequence numbers)',
      value: this.scoring.deadLetterQueue.queueUrl,
    })
    new CfnOutput(this, 'CaseApiUrl', {
      description: "Base URL of the analysts' case API (every route needs a token of the user pool below)",
      value: this.caseApi.url,
    })
    new CfnOutput(this, 'UserPoolId', {
      description: 'Cognito user pool of analysts and supervisors (add users with admin-create-user, then to the analyst or supervisor group)',
      value: this.caseApi.userPool.userPoolId,
    })
    new CfnOutput(this, 'UserPoolClientId', {
      description: 'App client to sign in with (SRP; also USER_PASSWORD_AUTH on the dev stage); the API accepts only its access tokens',
      value: this.caseApi.userPoolClient.userPoolClientId,
    })
    new CfnOutput(this, 'LabelFeedClientId', {
      description: 'App client of chargeback feeds (client credentials; its secret: aws cognito-idp describe-user-pool-client): tokens for POST /labels only',
      value: this.caseApi.labelFeedClient.userPoolClientId,
    })
    new CfnOutput(this, 'TokenEndpoint', {
      description: 'Where a machine client gets its access token (grant_type=client_credentials, HTTP Basic with the client id and secret)',
      value: `${this.caseApi.domain.baseUrl()}/oauth2/token`,
    })
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'SNS topic every operations alarm notifies (ALARM and OK); subscribe on-call to it, or set vigil:alarmEmail',
      value: this.observability.topic.topicArn,
    })
  }
}
