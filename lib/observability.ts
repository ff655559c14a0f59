import { Duration, Stack } from 'aws-cdk-lib'
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions'
import * as iam from 'aws-cdk-lib/aws-iam'
import type * as kinesis from 'aws-cdk-lib/aws-kinesis'
import type * as kms from 'aws-cdk-lib/aws-kms'
import type * as lambda from 'aws-cdk-lib/aws-lambda'
import * as sns from 'aws-cdk-lib/aws-sns'
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions'
import type * as sqs from 'aws-cdk-lib/aws-sqs'
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions'
import { Construct } from 'constructs'
import type { ObservabilityConfig } from './config.ts'
import { caseOutcomeSchema } from '../functions/core/cases/case.ts'
import { metricsNamespace, ruleSetActivatedMetric, serviceNames } from '../functions/aws/service-names.ts'

/** The scorer's EMF metrics (functions/score/metrics.ts): namespace and the Powertools service dimension. */
export const scorerMetrics = { namespace: metricsNamespace, dimensions: { service: serviceNames.scorer } } as const
/** The case task Lambda's EMF metrics (functions/escalation/): CasesOpened, CasesEscalated, CasesClosed (by outcome), SlaBreaches. */
export const caseMetrics = { namespace: metricsNamespace, dimensions: { service: serviceNames.caseTasks } } as const

export const alarmNames = [
  'IteratorAge',
  'ScorerErrors',
  'ScorerThrottles',
  'DeadLetterQueueNotEmpty',
  'QuarantineRate',
  'WorkflowExecutionsFailed',
  'WorkflowExecutionsTimedOut',
  'Api5xxRate',
  'Escalations',
  'SlaBreaches',
  'BlockRateAnomaly',
  'RuleSetActivated',
  'LabelBacklog',
  'LabelApplierErrors',
  'LabelDeadLetterQueueNotEmpty',
  'LabelsUnmatched',
] as const
export type AlarmName = (typeof alarmNames)[number]

/** The dashboard's sections, top to bottom in the order records flow. */
export const dashboardSections = ['Ingest', 'Scoring', 'Escalation', 'Case API', 'Dead-letter queue'] as const

export interface ObservabilityProps {
  readonly stream: kinesis.IStream
  readonly scorer: lambda.IFunction
  readonly deadLetterQueue: sqs.IQueue
  /** The label applier and its on-failure queue (lib/labels.ts). */
  readonly labelApplier: lambda.IFunction
  readonly labelDeadLetterQueue: sqs.IQueue
  readonly stateMachine: sfn.IStateMachine
  /** The supervisors' topic: the workflow publishes to it once per escalated case. */
  readonly escalationTopic: sns.ITopic
  readonly api: apigwv2.IHttpApi
  /** Encrypts the alarm topic (operational data only); CloudWatch is granted its use below. */
  readonly operationsKey: kms.Key
  readonly settings: ObservabilityConfig
}

/**
 * Alarms on every stage of the pipeline, to one SNS topic, and a dashboard of it top to bottom.
 *
 * Missing data is treated per alarm, deliberately:
 * - NOT_BREACHING where a metric is only published when something happens (Lambda, Step Functions,
 *   API Gateway, SNS and the scorer's EMF metrics): no data means no traffic, which is not a fault;
 * - IGNORE for the dead-letter queue: SQS stops publishing for a queue idle 6 hours, even one still
 *   holding messages, so a quiet queue keeps the alarm in the state it was (ALARM stays ALARM).
 * Every alarm notifies on ALARM and on OK, so the recovery is seen as well.
 */
export class Observability extends Construct {
  readonly topic: sns.Topic
  readonly alarms: Readonly<Record<AlarmName, cloudwatch.Alarm>>
  readonly dashboard: cloudwatch.Dashboard

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id)
    const { stream, scorer, deadLetterQueue, stateMachine, escalationTopic, api, operationsKey, settings } = props
    const thresholds = settings.alarms
    const stackName = Stack.of(this).stackName

    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `${stackName}: operations alarms`,
      masterKey: operationsKey,
      enforceSSL: true,
    })
    if (settings.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(settings.alarmEmail))
    // CloudWatch publishes to an encrypted topic only if the key lets it encrypt: scoped to this
    // account's alarms, so no other account's alarm can use the key through this statement.
    operationsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    )
    const action = new actions.SnsAction(this.topic)

    const scorerMetric = (metricName: string, statistic = cloudwatch.Stats.SUM, period = Duration.minutes(5)) =>
      new cloudwatch.Metric({ namespace: scorerMetrics.namespace, metricName, dimensionsMap: { ...scorerMetrics.dimensions }, statistic, period })
    const caseMetric = (metricName: string, dimensions: Record<string, string> = {}, period = Duration.minutes(5)) =>
      new cloudwatch.Metric({ namespace: caseMetrics.namespace, metricName, dimensionsMap: { ...caseMetrics.dimensions, ...dimensions }, statistic: cloudwatch.Stats.SUM, period })
    // Metrics whose extra dimension takes values from data (rule ids, quarantine reasons): one line per
    // value found, rather than a list here that a new rule would silently leave out.
    const scorerMetricsBy = (metricName: string, dimension: string, label: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${scorerMetrics.namespace},service,${dimension}} service="${scorerMetrics.dimensions.service}" MetricName="${metricName}"', 'Sum', 300)`,
        usingMetrics: {},
        label,
        period: Duration.minutes(5),
      })
    const fiveMinutes = { period: Duration.minutes(5) }
    const sum = { ...fiveMinutes, statistic: cloudwatch.Stats.SUM }

    const alarm = (name: AlarmName, props: Omit<cloudwatch.AlarmProps, 'alarmName'>): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, name, { alarmName: `${stackName}-${name}`, ...props })
      created.addAlarmAction(action)
      created.addOkAction(action)
      return created
    }
    const above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
    const notBreaching = cloudwatch.TreatMissingData.NOT_BREACHING

    // --- Ingest and scoring -------------------------------------------------------------------------
    const iteratorAge = scorer.metric('IteratorAge', { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1) })
    const errors = scorer.metricErrors(sum)
    const throttles = scorer.metricThrottles(sum)
    const dlqDepth = deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5) })
    const quarantineRate = new cloudwatch.MathExpression({
      expression: 'IF(batch > 0, 100 * quarantined / batch, 0)',
      usingMetrics: { quarantined: scorerMetric('Quarantined'), batch: scorerMetric('BatchSize') },
      label: 'Quarantined records (% of records)',
      period: Duration.minutes(5),
    })
    const decisions = {
      approve: scorerMetric('Decisions_approve'),
      review: scorerMetric('Decisions_review'),
      block: scorerMetric('Decisions_block'),
    }
    const blockRate = new cloudwatch.MathExpression({
      // No IF(…, 0) guard: a period without decisions yields no point rather than a 0% that the
      // anomaly model would learn as normal.
      expression: '100 * block / (approve + review + block)',
      usingMetrics: decisions,
      label: 'Blocked (% of decisions)',
      period: Duration.minutes(5),
    })

    // --- Escalation and the case API ----------------------------------------------------------------
    const executionsFailed = stateMachine.metricFailed(sum)
    const executionsTimedOut = stateMachine.metricTimedOut(sum)
    // One message per case escalated (the NotifySupervisors state): the analyst SLA was missed.
    const escalations = escalationTopic.metricNumberOfMessagesPublished({ statistic: cloudwatch.Stats.SUM, period: Duration.hours(1) })
    // Published by the case tasks when an analyst SLA or the supervisor deadline runs out.
    const slaBreaches = caseMetric('SlaBreaches', {}, Duration.hours(1))
    const api5xxRate = new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { errors: api.metricServerError(sum), requests: api.metricCount(sum) },
      label: 'Case API 5xx (% of requests)',
      period: Duration.minutes(5),
    })

    this.alarms = {
      // Sustained lag: 5 minutes in a row, so one slow batch does not page.
      // Labels: the same lag bound as transactions; a label late by minutes only delays what features learn.
      LabelBacklog: alarm('LabelBacklog', {
        alarmDescription: `The label applier is more than ${thresholds.iteratorAgeSeconds} s behind the labels stream for 5 minutes: features learn late; look for errors or a stuck batch`,
        metric: props.labelApplier.metric('IteratorAge', { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1) }),
        threshold: thresholds.iteratorAgeSeconds * 1000,
        comparisonOperator: above,
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        treatMissingData: notBreaching,
      }),
      LabelApplierErrors: alarm('LabelApplierErrors', {
        alarmDescription: 'The label applier failed invocations (batches are retried, bisected, then sent to the labels dead-letter queue)',
        metric: props.labelApplier.metricErrors(sum),
        threshold: thresholds.scorerErrors,
        comparisonOperator: above,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      LabelDeadLetterQueueNotEmpty: alarm('LabelDeadLetterQueueNotEmpty', {
        alarmDescription: 'Label records were given up on: the labels dead-letter queue holds their shard and sequence numbers; re-send those labels (re-sending is idempotent)',
        metric: props.labelDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5) }),
        threshold: 0,
        comparisonOperator: above,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      }),
      LabelsUnmatched: alarm('LabelsUnmatched', {
        alarmDescription: 'Labels waited 7 days for a transaction that was never scored (the sweep set them aside, with their transaction ids in its log): a feed sends ids Vigil never saw',
        metric: new cloudwatch.Metric({ namespace: metricsNamespace, metricName: 'LabelsUnmatched', dimensionsMap: { service: serviceNames.labelSweep }, statistic: cloudwatch.Stats.SUM, period: Duration.hours(1) }),
        threshold: 0,
        comparisonOperator: above,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      IteratorAge: alarm('IteratorAge', {
        alarmDescription: `The scorer is more than ${thresholds.iteratorAgeSeconds} s behind the stream for 5 minutes: scale shards or memory, or look for a stuck batch (errors, retries)`,
        metric: iteratorAge,
        threshold: thresholds.iteratorAgeSeconds * 1000,
        comparisonOperator: above,
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        treatMissingData: notBreaching,
      }),
      ScorerErrors: alarm('ScorerErrors', {
        alarmDescription: 'The scorer failed invocations (batches are retried, bisected, then sent to the dead-letter queue)',
        metric: errors,
        threshold: thresholds.scorerErrors,
        comparisonOperator: above,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      ScorerThrottles: alarm('ScorerThrottles', {
        alarmDescription: 'The scorer was throttled (account concurrency): the stream falls behind',
        metric: throttles,
        threshold: thresholds.scorerThrottles,
        comparisonOperator: above,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      DeadLetterQueueNotEmpty: alarm('DeadLetterQueueNotEmpty', {
        alarmDescription: 'Records were given up on: the dead-letter queue holds their shard and sequence numbers; replay them before the stream trims them',
        metric: dlqDepth,
        threshold: 0,
        comparisonOperator: above,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      }),
      QuarantineRate: alarm('QuarantineRate', {
        alarmDescription: `More than ${thresholds.quarantineRatePercent}% of records were quarantined (unparseable or invalid) for 15 minutes: a producer is sending bad records`,
        metric: quarantineRate,
        threshold: thresholds.quarantineRatePercent,
        comparisonOperator: above,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: notBreaching,
      }),
      WorkflowExecutionsFailed: alarm('WorkflowExecutionsFailed', {
        alarmDescription: 'Case workflow executions failed: their cases are left open; see the state machine logs',
        metric: executionsFailed,
        threshold: 0,
        comparisonOperator: above,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      WorkflowExecutionsTimedOut: alarm('WorkflowExecutionsTimedOut', {
        alarmDescription: 'Case workflow executions hit the state machine timeout: their cases are left open',
        metric: executionsTimedOut,
        threshold: 0,
        comparisonOperator: above,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      Api5xxRate: alarm('Api5xxRate', {
        alarmDescription: `More than ${thresholds.api5xxRatePercent}% of case API requests failed with 5xx for 10 minutes`,
        metric: api5xxRate,
        threshold: thresholds.api5xxRatePercent,
        comparisonOperator: above,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: notBreaching,
      }),
      Escalations: alarm('Escalations', {
        alarmDescription: `More than ${thresholds.escalationsPerHour} cases an hour missed their analyst SLA and were escalated: analysts are behind`,
        metric: escalations,
        threshold: thresholds.escalationsPerHour,
        comparisonOperator: above,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      SlaBreaches: alarm('SlaBreaches', {
        alarmDescription: `${thresholds.slaBreachesPerHour} or more cases in an hour ran out their analyst SLA or supervisor deadline: decide them, or see why they wait (staffing, a flood of cases)`,
        metric: slaBreaches,
        threshold: thresholds.slaBreachesPerHour,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      // Every activation tells on-call: the scorers now run another rule set (four eyes approved it,
      // or a supervisor rolled back); a surprise one is an incident (functions/case-api/rule-activation.ts).
      RuleSetActivated: alarm('RuleSetActivated', {
        alarmDescription: 'A rule set was activated (approved by a second supervisor, or rolled back): check GET /rules/audit that it was expected',
        metric: new cloudwatch.Metric({ namespace: metricsNamespace, metricName: ruleSetActivatedMetric, dimensionsMap: { service: serviceNames.caseApi }, statistic: cloudwatch.Stats.SUM, period: Duration.minutes(1) }),
        threshold: 0,
        comparisonOperator: above,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      // Blocks as a share of decisions, against the band CloudWatch learns from its history: a jump
      // (an attack, or a rule gone wrong) and a drop (a rule or the block list broken) both alarm.
      BlockRateAnomaly: new cloudwatch.AnomalyDetectionAlarm(this, 'BlockRateAnomaly', {
        alarmName: `${stackName}-BlockRateAnomaly`,
        alarmDescription: `The block rate left its usual band (${thresholds.blockRateBandWidth} standard deviations) for 15 minutes`,
        metric: blockRate,
        stdDevs: thresholds.blockRateBandWidth,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_LOWER_OR_GREATER_THAN_UPPER_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: notBreaching,
      }),
    }
    this.alarms.BlockRateAnomaly.addAlarmAction(action)
    this.alarms.BlockRateAnomaly.addOkAction(action)

    // --- Dashboard ----------------------------------------------------------------------------------
    const header = (section: (typeof dashboardSections)[number], text: string) =>
      new cloudwatch.TextWidget({ markdown: `## ${section}\n${text}`, width: 24, height: 2 })
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = [], width = 8) =>
      new cloudwatch.GraphWidget({ title, left, right, width, height: 6 })
    const latency = (statistic: string) => api.metricLatency({ ...fiveMinutes, statistic, label: `Latency ${statistic}` })
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${stackName}-pipeline`,
      defaultInterval: Duration.hours(3),
      widgets: [
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(this.alarms), width: 24, height: 4 })],
        [header('Ingest', 'Records producers put on the stream, and how far behind the scorer reads it.')],
        [
          graph('Incoming records', [stream.metricIncomingRecords(sum)], [], 12),
          graph('Iterator age (ms)', [iteratorAge, stream.metricGetRecordsIteratorAgeMilliseconds({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1) })], [], 12),
        ],
        [header('Scoring', 'The scorer’s EMF metrics (namespace Vigil, service=vigil-scorer) and the function’s own.')],
        [
          graph('Batch size (records)', [scorerMetric('BatchSize', cloudwatch.Stats.SUM), scorerMetric('BatchSize', cloudwatch.Stats.AVERAGE)]),
          graph('Decisions by outcome', [decisions.approve, decisions.review, decisions.block], [blockRate]),
          graph('Quarantined and duplicates', [scorerMetric('Quarantined'), scorerMetric('DuplicatesSkipped'), scorerMetric('Redelivered')], [quarantineRate]),
        ],
        [
          graph('Errors and throttles', [errors, throttles, scorerMetric('UnfinishedBatches'), scorerMetric('EntityWriteConflicts')]),
          graph('Duration (ms)', [scorer.metricDuration({ ...fiveMinutes, statistic: cloudwatch.Stats.AVERAGE }), scorer.metricDuration({ ...fiveMinutes, statistic: cloudwatch.Stats.MAXIMUM })]),
          graph('Invocations', [scorer.metricInvocations(sum)]),
        ],
        [
          graph('Rule hits by rule', [scorerMetricsBy('RuleHits', 'ruleId', 'Rule hits')]),
          graph('Event time to decision (ms)', [scorerMetric('EventTimeToDecision', 'p50'), scorerMetric('EventTimeToDecision', 'p99')]),
          graph('Quarantined by reason', [scorerMetricsBy('QuarantinedByReason', 'reason', 'Quarantined')]),
        ],
        [header('Escalation', 'Case workflow executions (one per review or block), cases by stage (namespace Vigil, service=vigil-cases) and deadlines missed.')],
        [
          graph('Executions', [stateMachine.metricStarted(sum), stateMachine.metricSucceeded(sum), executionsFailed, executionsTimedOut], [], 12),
          graph('Cases escalated (per hour)', [escalations], [], 12),
        ],
        [
          graph('Cases opened, escalated and closed by outcome', [
            caseMetric('CasesOpened'),
            caseMetric('CasesEscalated'),
            ...caseOutcomeSchema.options.map((outcome) => caseMetric('CasesClosed', { outcome }).with({ label: `CasesClosed ${outcome}` })),
          ], [], 12),
          graph('SLA breaches (per hour)', [slaBreaches], [], 12),
        ],
        [header('Case API', 'The analysts’ HTTP API, all routes.')],
        [
          graph('Requests', [api.metricCount(sum)]),
          graph('4xx and 5xx', [api.metricClientError(sum), api.metricServerError(sum)], [api5xxRate]),
          graph('Latency (ms)', [latency('p50'), latency('p99'), latency(cloudwatch.Stats.MAXIMUM)]),
        ],
        [header('Dead-letter queue', 'Records the event source mapping gave up on (shard and sequence numbers).')],
        [
          graph('Messages visible', [dlqDepth], [], 12),
          graph('Age of oldest message (s)', [deadLetterQueue.metricApproximateAgeOfOldestMessage({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5) })], [], 12),
        ],
      ],
    })
  }
}
