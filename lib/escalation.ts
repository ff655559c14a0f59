import { fileURLToPath } from 'node:url'
import { Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib'
import * as iam from 'aws-cdk-lib/aws-iam'
import type * as kinesis from 'aws-cdk-lib/aws-kinesis'
import type * as kms from 'aws-cdk-lib/aws-kms'
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs'
import * as logs from 'aws-cdk-lib/aws-logs'
import * as sns from 'aws-cdk-lib/aws-sns'
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions'
import * as sfn from 'aws-cdk-lib/aws-stepfunctions'
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks'
import { Construct } from 'constructs'
import type { EscalationConfig } from './config.ts'
import { acknowledge, arnInFinding, grantsPolicyOf, keyGrantWildcards } from './nag.ts'
import { nodeFunction } from './node-function.ts'
import { listItems, tableSchemas, ttlAttribute } from './table-schema.ts'
import type { Tables } from './tables.ts'
import { labelStreamEnvVar, serviceNames } from '../functions/aws/service-names.ts'

/** The case tasks' entry: one Lambda, an `action` per task state (functions/escalation/). */
export const caseTasksEntry = fileURLToPath(new URL('../functions/escalation/handler.ts', import.meta.url))

export interface EscalationProps {
  readonly tables: Tables
  /** Where a verdict goes as a label (lib/labels.ts). */
  readonly labelStream: kinesis.IStream
  readonly settings: EscalationConfig
  /** Encrypts the topic, the logs and the state machine's data: operational, never cardholder data. */
  readonly operationsKey: kms.Key
  readonly logRetention: logs.RetentionDays
  readonly removalPolicy: RemovalPolicy
}

/**
 * The case workflow, a Standard state machine started by the scorer for every review or block,
 * named after the case (so a repeated start is a no-op):
 *
 *   OpenCase → [block? ListCard → MarkBlocked] → AwaitAnalyst (task token, timeout = SLA by priority)
 *     └ timeout → Escalate (priority up) → [decided meanwhile? → ApplyOutcome]
 *                 → NotifySupervisors (SNS) → AwaitSupervisor (task token, supervisor SLA)
 *                     └ timeout → Expire
 *   → ApplyOutcome (fraud: keep the card listed | legitimate: unlist it, MarkUnblocked) → RecordLabel → CloseCase
 *
 * Case logic runs in one task Lambda (the pure case model of functions/core/cases/); the block list
 * and the notification are direct service integrations, with no code of ours in between.
 */
export class Escalation extends Construct {
  readonly topic: sns.Topic
  readonly logGroup: logs.LogGroup
  readonly caseTasks: NodejsFunction
  readonly stateMachine: sfn.StateMachine

  constructor(scope: Construct, id: string, props: EscalationProps) {
    super(scope, id)
    const { tables, settings, operationsKey, removalPolicy } = props
    const stackName = Stack.of(this).stackName

    this.topic = new sns.Topic(this, 'SupervisorTopic', {
      displayName: `${stackName}: fraud cases escalated to supervisors`,
      masterKey: operationsKey,
      enforceSSL: true,
    })
    if (settings.supervisorEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(settings.supervisorEmail))

    const logGroup = (logGroupId: string) => new logs.LogGroup(this, logGroupId, { retention: props.logRetention, encryptionKey: operationsKey, removalPolicy })
    this.logGroup = logGroup('StateMachineLogs')

    const role = new iam.Role(this, 'CaseTasksRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `${stackName}: the case task Lambda` })
    const taskLogs = logGroup('CaseTasksLogs')
    taskLogs.grantWrite(role)
    this.caseTasks = nodeFunction(this, 'CaseTasks', {
      description: `${stackName}: the case workflow's tasks (open, block, escalate, expire, label, close)`,
      entry: caseTasksEntry,
      serviceName: serviceNames.caseTasks,
      memoryMb: 256,
      timeoutSeconds: 30,
      role,
      logGroup: taskLogs,
      environment: {
        [tableSchemas.cases.envVar]: tables.cases.tableName,
        [labelStreamEnvVar]: props.labelStream.streamName,
        VIGIL_SLA_SECONDS: JSON.stringify(settings.analystSlaSeconds),
      },
    })
    // The calls the tasks make: cases read, created and updated; a verdict put on the labels stream
    // (the label applier records it and counts it in the rules' stats).
    tables.grant(tables.cases, this.caseTasks, 'GetItem', 'PutItem', 'UpdateItem')
    props.labelStream.grant(this.caseTasks, 'kinesis:PutRecords')
    props.labelStream.encryptionKey?.grant(this.caseTasks, 'kms:GenerateDataKey')
    acknowledge(grantsPolicyOf(role), {
      ...keyGrantWildcards('tables key'),
      [`IAM5[Resource::${arnInFinding(tables.cases)}/index/*]`]: "the cases table's own secondary indexes, as CDK's table.grant names them: no other table's",
    })

    const caseId = sfn.JsonPath.stringAt('$.case.caseId')
    const caseTask = (stateId: string, action: string, resultPath: string = '$.case') =>
      new tasks.LambdaInvoke(this, stateId, {
        lambdaFunction: this.caseTasks,
        payload: sfn.TaskInput.fromObject({ action, caseId }),
        payloadResponseOnly: true,
        resultPath,
        retryOnServiceExceptions: true,
        // An analyst changed the case between the task's read and its write: run it again on the new case.
      }).addRetry({ errors: ['Vigil.CaseChanged'], interval: Duration.seconds(1), maxAttempts: 5, backoffRate: 2 })
    const awaitDecision = (stateId: string, role: 'analyst' | 'supervisor') =>
      new tasks.LambdaInvoke(this, stateId, {
        lambdaFunction: this.caseTasks,
        integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        payload: sfn.TaskInput.fromObject({ action: 'await', caseId, role, taskToken: sfn.JsonPath.taskToken }),
        // The case says how long: the SLA of its priority, or the supervisor's once escalated.
        taskTimeout: sfn.Timeout.at('$.case.slaSeconds'),
        resultPath: '$.verdict',
      })
    const blockedCards = 'blocked_cards'
    const blockedCard = (value: string) => ({
      pk: tasks.DynamoAttributeValue.fromString(listItems.partition(blockedCards)),
      sk: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt(value)),
    })

    const openCase = new tasks.LambdaInvoke(this, 'OpenCase', {
      lambdaFunction: this.caseTasks,
      payload: sfn.TaskInput.fromObject({
        action: 'open',
        caseId: sfn.JsonPath.stringAt('$$.Execution.Name'),
        decision: sfn.JsonPath.objectAt('$.decision'),
        transaction: sfn.JsonPath.objectAt('$.transaction'),
      }),
      payloadResponseOnly: true,
      resultPath: '$.case',
      retryOnServiceExceptions: true,
    })
    // After each change to the list, its change counter (lib/table-schema.ts listItems): the scorer
    // re-reads the list only when the counter moved.
    const countListChange = (stateId: string) =>
      new tasks.DynamoUpdateItem(this, stateId, {
        table: tables.rules,
        key: {
          pk: tasks.DynamoAttributeValue.fromString(listItems.changesPartition),
          sk: tasks.DynamoAttributeValue.fromString(blockedCards),
        },
        updateExpression: 'ADD #changes :one',
        expressionAttributeNames: { '#changes': listItems.changesAttribute },
        expressionAttributeValues: { ':one': tasks.DynamoAttributeValue.fromNumber(1) },
        resultPath: sfn.JsonPath.DISCARD,
      })
    const listCard = (stateId: string) =>
      sfn.Chain.start(
        new tasks.DynamoPutItem(this, stateId, {
          table: tables.rules,
          item: {
            ...blockedCard('$.case.entity'),
            caseId: tasks.DynamoAttributeValue.fromString(caseId),
            listedAt: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.State.EnteredTime')),
            // The listing's end (functions/escalation/tasks.ts): scorers ignore it after, TTL removes it.
            [ttlAttribute]: tasks.DynamoAttributeValue.numberFromString(sfn.JsonPath.format('{}', sfn.JsonPath.stringAt('$.case.listUntil'))),
          },
          resultPath: sfn.JsonPath.DISCARD,
        }),
      ).next(countListChange(`${stateId}Counted`))
    // Only this case's listing is removed: another case may have listed the card too.
    const unlistCard = new tasks.DynamoDeleteItem(this, 'UnlistCard', {
      table: tables.rules,
      key: blockedCard('$.case.entity'),
      conditionExpression: 'attribute_not_exists(caseId) OR caseId = :case',
      expressionAttributeValues: { ':case': tasks.DynamoAttributeValue.fromString(caseId) },
      resultPath: sfn.JsonPath.DISCARD,
    })
    const notifySupervisors = new tasks.SnsPublish(this, 'NotifySupervisors', {
      topic: this.topic,
      subject: 'Vigil: fraud case escalated',
      message: sfn.TaskInput.fromObject({
        caseId,
        priority: sfn.JsonPath.stringAt('$.case.priority'),
        slaDueAt: sfn.JsonPath.stringAt('$.case.slaDueAt'),
        transactionId: sfn.JsonPath.stringAt('$.case.transactionId'),
      }),
      resultPath: sfn.JsonPath.DISCARD,
    })

    const closeCase = caseTask('CloseCase', 'close').next(new sfn.Succeed(this, 'Closed'))
    const recordLabel = caseTask('RecordLabel', 'label', sfn.JsonPath.DISCARD)
      // The labels stream refused the verdict (throttled, unavailable): without a retry the execution
      // would fail and the analyst's label would be lost. Sending again is harmless (applied once).
      .addRetry({ errors: ['Vigil.LabelNotSent'], interval: Duration.seconds(2), maxAttempts: 8, backoffRate: 2 })
      .next(closeCase)
    const markUnblocked = caseTask('MarkUnblocked', 'markUnblocked').next(recordLabel)
    const applyOutcome = new sfn.Choice(this, 'ApplyOutcome')
      .when(sfn.Condition.stringEquals('$.verdict.outcome', 'fraud'), listCard('KeepCardListed').next(recordLabel))
      .when(sfn.Condition.stringEquals('$.verdict.outcome', 'legitimate'), unlistCard.next(countListChange('UnlistCardCounted')).next(markUnblocked))
      .otherwise(closeCase)
    // Another case listed the card since: its listing stays, and this case no longer holds one.
    unlistCard.addCatch(markUnblocked, { errors: ['DynamoDB.ConditionalCheckFailedException'], resultPath: sfn.JsonPath.DISCARD })
    // Escalate and Expire return the case; a case an analyst decided in the meantime keeps that
    // decision, which becomes the verdict (the decision won the race with the timeout).
    const verdictOfCase = (stateId: string) =>
      new sfn.Pass(this, stateId, { parameters: { 'outcome.$': '$.case.outcome' }, resultPath: '$.verdict' }).next(applyOutcome)

    const expire = caseTask('Expire', 'expire').next(verdictOfCase('VerdictAfterExpiry'))
    const awaitSupervisor = awaitDecision('AwaitSupervisor', 'supervisor').addCatch(expire, { errors: ['States.Timeout'], resultPath: '$.timeout' })
    awaitSupervisor.next(applyOutcome)
    const escalate = caseTask('Escalate', 'escalate').next(
      new sfn.Choice(this, 'DecidedMeanwhile')
        .when(sfn.Condition.stringEquals('$.case.status', 'closed'), verdictOfCase('VerdictAfterEscalation'))
        .otherwise(notifySupervisors.next(awaitSupervisor)),
    )
    const awaitAnalyst = awaitDecision('AwaitAnalyst', 'analyst').addCatch(escalate, { errors: ['States.Timeout'], resultPath: '$.timeout' })
    awaitAnalyst.next(applyOutcome)

    const definition = openCase.next(
      new sfn.Choice(this, 'BlockedByScore')
        .when(sfn.Condition.stringEquals('$.decision.outcome', 'block'), listCard('ListCard').next(caseTask('MarkBlocked', 'markBlocked')).next(awaitAnalyst))
        .otherwise(awaitAnalyst),
    )

    this.stateMachine = new sfn.StateMachine(this, 'CaseWorkflow', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      // Longer than any case can live: two deadlines of the slowest priority, and an hour to spare.
      timeout: Duration.seconds(2 * Math.max(...Object.values(settings.analystSlaSeconds)) + 3_600),
      // Every state transition is logged (the case's audit trail in CloudWatch, kept as long as the
      // stage's logs), but without execution data: the input carries the tokenized transaction and
      // the await states' parameters carry task tokens, which would let a log reader resume a case.
      // The data stays in the execution history, encrypted with the operations key.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
      encryptionConfiguration: new sfn.CustomerManagedEncryptionConfiguration(operationsKey),
      // Named, so the execution role's KMS condition (kms:EncryptionContext:aws:states:stateMachineArn)
      // names its ARN: CDK builds that ARN from the name, and a generated name leaves it
      // `…:stateMachine:`, which no execution matches, so it could neither encrypt nor decrypt.
      stateMachineName: `${stackName}-case-workflow`,
    })
    acknowledge(grantsPolicyOf(this.stateMachine.role), {
      [`IAM5[Resource::${arnInFinding(this.caseTasks)}:*]`]: "the case task function's own versions and aliases, as the LambdaInvoke task grants them: no other function",
      'IAM5[Resource::*]':
        'only for the actions that have no resource-level permissions: X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) and the CloudWatch Logs vended-log delivery APIs Step Functions logging needs (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups)',
    })
  }
}
