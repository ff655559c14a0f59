import { describe, expect, it } from 'vitest'
import { alarmDefaults, contextKeys } from '../../lib/config.ts'
import { alarmNames, dashboardSections, type AlarmName } from '../../lib/observability.ts'
import { cdkJson, synth, type Resource } from '../support/synth.ts'

const dev = synth()
const observability = dev.stack.observability
const topicRef = { Ref: dev.logicalId(observability.topic) }
const alarm = (name: AlarmName): Record<string, any> => dev.resource(observability.alarms[name]).Properties
const ref = (construct: { node: { defaultChild?: unknown } }) => ({ Ref: dev.logicalId(construct) })
const scorer = [{ Name: 'FunctionName', Value: ref(dev.stack.scoring.scorer) }]
const service = [{ Name: 'service', Value: 'vigil-scorer' }]

/** A single-metric alarm's metric and statistic. */
function metricOf(props: Record<string, any>) {
  return { namespace: props.Namespace, name: props.MetricName, dimensions: props.Dimensions, statistic: props.Statistic, period: props.Period }
}
/** The metric math alarm's queries, by id. */
function queriesOf(props: Record<string, any>): Record<string, any> {
  return Object.fromEntries((props.Metrics as { Id: string }[]).map((query) => [query.Id, query]))
}

describe('alarm topic', () => {
  it('is encrypted with the operations key and refuses anything but TLS', () => {
    expect(dev.resource(observability.topic).Properties.KmsMasterKeyId).toEqual(dev.arnOf(dev.stack.scoring.operationsKey))
    const policy = dev
      .ofType('AWS::SNS::TopicPolicy')
      .map(([, r]) => r.Properties)
      .find((p) => JSON.stringify(p.Topics) === JSON.stringify([topicRef]))
    expect(JSON.stringify(policy?.PolicyDocument.Statement)).toContain('"aws:SecureTransport":"false"')
  })

  it('lets CloudWatch (this account only) use the key to publish to it', () => {
    const statements = dev.resource(dev.stack.scoring.operationsKey).Properties.KeyPolicy.Statement as Record<string, any>[]
    expect(statements.find((s) => s.Sid === 'AllowCloudWatchAlarmsOfThisAccount')).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    })
  })

  it('has no subscription unless vigil:alarmEmail is set, then an e-mail one', () => {
    const subscriptionsTo = (json: { Resources: Record<string, Resource> }, topic: unknown) =>
      Object.values(json.Resources).filter((r) => r.Type === 'AWS::SNS::Subscription' && JSON.stringify(r.Properties.TopicArn) === JSON.stringify(topic))
    expect(subscriptionsTo(dev.json, topicRef)).toHaveLength(0)
    const withEmail = synth({ [contextKeys.alarmEmail]: 'oncall@example.com' })
    const subscriptions = subscriptionsTo(withEmail.json, { Ref: withEmail.logicalId(withEmail.stack.observability.topic) })
    expect(subscriptions.map((s) => s.Properties)).toEqual([expect.objectContaining({ Protocol: 'email', Endpoint: 'oncall@example.com' })])
  })
})

describe('alarms', () => {
  it('exist one per name, each notifying the alarm topic on ALARM and on OK', () => {
    expect(Object.keys(observability.alarms).sort()).toEqual([...alarmNames].sort())
    dev.template.resourceCountIs('AWS::CloudWatch::Alarm', alarmNames.length)
    for (const name of alarmNames) {
      expect(alarm(name).AlarmActions, name).toEqual([topicRef])
      expect(alarm(name).OKActions, name).toEqual([topicRef])
      expect(alarm(name).AlarmName).toBe(`Vigil-dev-${name}`)
    }
  })

  it.each([
    // name, namespace, metric, dimensions, statistic, period, threshold, evaluation periods, missing data
    ['IteratorAge', 'AWS/Lambda', 'IteratorAge', scorer, 'Maximum', 60, 60_000, 5, 'notBreaching'],
    ['ScorerErrors', 'AWS/Lambda', 'Errors', scorer, 'Sum', 300, 0, 1, 'notBreaching'],
    ['ScorerThrottles', 'AWS/Lambda', 'Throttles', scorer, 'Sum', 300, 0, 1, 'notBreaching'],
    ['DeadLetterQueueNotEmpty', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dev.logicalId(dev.stack.scoring.deadLetterQueue), 'QueueName'] } }], 'Maximum', 300, 0, 1, 'ignore'],
    ['WorkflowExecutionsFailed', 'AWS/States', 'ExecutionsFailed', [{ Name: 'StateMachineArn', Value: ref(dev.stack.escalation.stateMachine) }], 'Sum', 300, 0, 1, 'notBreaching'],
    ['WorkflowExecutionsTimedOut', 'AWS/States', 'ExecutionsTimedOut', [{ Name: 'StateMachineArn', Value: ref(dev.stack.escalation.stateMachine) }], 'Sum', 300, 0, 1, 'notBreaching'],
    ['Escalations', 'AWS/SNS', 'NumberOfMessagesPublished', [{ Name: 'TopicName', Value: { 'Fn::GetAtt': [dev.logicalId(dev.stack.escalation.topic), 'TopicName'] } }], 'Sum', 3600, 5, 1, 'notBreaching'],
  ] as const)('%s: %s %s %j, %s over %i s, > %d', (name, namespace, metric, dimensions, statistic, period, threshold, evaluationPeriods, missing) => {
    const props = alarm(name)
    expect(metricOf(props)).toEqual({ namespace, name: metric, dimensions, statistic, period })
    expect(props).toMatchObject({ Threshold: threshold, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: evaluationPeriods, TreatMissingData: missing })
  })

  it('SlaBreaches: the case tasks’ SlaBreaches (service=vigil-cases only), summed over an hour, at 1 or more', () => {
    const props = alarm('SlaBreaches')
    expect(metricOf(props)).toEqual({ namespace: 'Vigil', name: 'SlaBreaches', dimensions: [{ Name: 'service', Value: 'vigil-cases' }], statistic: 'Sum', period: 3600 })
    expect(props).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' })
  })

  it('QuarantineRate: Quarantined / BatchSize of the scorer’s EMF metrics, in percent, over 5% for 3 × 5 minutes', () => {
    const props = alarm('QuarantineRate')
    const queries = queriesOf(props)
    const expression = Object.values(queries).find((q) => q.ReturnData)
    expect(expression.Expression).toBe('IF(batch > 0, 100 * quarantined / batch, 0)')
    for (const [id, name] of [['quarantined', 'Quarantined'], ['batch', 'BatchSize']] as const) {
      expect(queries[id]).toEqual({ Id: id, ReturnData: false, MetricStat: { Metric: { Namespace: 'Vigil', MetricName: name, Dimensions: service }, Stat: 'Sum', Period: 300 } })
    }
    expect(props).toMatchObject({ Threshold: 5, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 3, DatapointsToAlarm: 3, TreatMissingData: 'notBreaching' })
  })

  it('Api5xxRate: the HTTP API’s 5xx / Count, in percent, over 1% for 2 × 5 minutes', () => {
    const props = alarm('Api5xxRate')
    const queries = queriesOf(props)
    expect(Object.values(queries).find((q) => q.ReturnData).Expression).toBe('IF(requests > 0, 100 * errors / requests, 0)')
    const api = [{ Name: 'ApiId', Value: ref(dev.stack.caseApi.api) }]
    for (const [id, name] of [['errors', '5xx'], ['requests', 'Count']] as const) {
      expect(queries[id]).toEqual({ Id: id, ReturnData: false, MetricStat: { Metric: { Namespace: 'AWS/ApiGateway', MetricName: name, Dimensions: api }, Stat: 'Sum', Period: 300 } })
    }
    expect(props).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 2, TreatMissingData: 'notBreaching' })
  })

  it('BlockRateAnomaly: an anomaly-detection band of 3 standard deviations around blocks / all decisions, both directions', () => {
    const props = alarm('BlockRateAnomaly')
    expect(props.Threshold).toBeUndefined()
    expect(props.ComparisonOperator).toBe('LessThanLowerOrGreaterThanUpperThreshold')
    const queries = queriesOf(props)
    const band = queries[props.ThresholdMetricId as string]
    expect(band.Expression).toMatch(/^ANOMALY_DETECTION_BAND\((\w+), 3\)$/)
    const rateId: string = /^ANOMALY_DETECTION_BAND\((\w+), 3\)$/.exec(band.Expression)![1]!
    expect(queries[rateId]).toMatchObject({ Expression: '100 * block / (approve + review + block)', ReturnData: true })
    for (const outcome of ['approve', 'review', 'block']) {
      expect(queries[outcome].MetricStat).toEqual({ Metric: { Namespace: 'Vigil', MetricName: `Decisions_${outcome}`, Dimensions: service }, Stat: 'Sum', Period: 300 })
    }
    expect(props).toMatchObject({ EvaluationPeriods: 3, DatapointsToAlarm: 3, TreatMissingData: 'notBreaching' })
  })

  it('takes its thresholds from vigil:alarms (cdk.json holds the defaults), partially overridable', () => {
    const custom = synth({ [contextKeys.alarms]: JSON.stringify({ iteratorAgeSeconds: 300, quarantineRatePercent: 0.5, blockRateBandWidth: 2, slaBreachesPerHour: 3 }) })
    const props = (name: AlarmName) => custom.resource(custom.stack.observability.alarms[name]).Properties
    expect(props('IteratorAge').Threshold).toBe(300_000)
    expect(props('QuarantineRate').Threshold).toBe(0.5)
    expect(JSON.stringify(props('BlockRateAnomaly').Metrics)).toContain('ANOMALY_DETECTION_BAND(m0, 2)')
    expect(props('SlaBreaches').Threshold).toBe(3)
    expect(props('Api5xxRate').Threshold).toBe(alarmDefaults.api5xxRatePercent)
  })

  it('has every threshold default written in cdk.json', () => {
    expect(cdkJson.context[contextKeys.alarms]).toEqual(alarmDefaults)
  })

  it.each([
    [{ iteratorAgeSeconds: 0 }, /iteratorAgeSeconds must be an integer from 1/],
    [{ scorerErrors: 1.5 }, /scorerErrors must be an integer/],
    [{ quarantineRatePercent: 101 }, /quarantineRatePercent must be a number from 0 to 100/],
    [{ quarantineRate: 5 }, /unknown threshold quarantineRate/],
    [{ slaBreachesPerHour: 0 }, /slaBreachesPerHour must be an integer from 1/],
    [[1], /must be an object/],
    ['not json', /must be a JSON object/],
  ])('refuses vigil:alarms=%j', (value, message) => {
    expect(() => synth({ [contextKeys.alarms]: value })).toThrow(message)
  })

  it('refuses an alarm e-mail that is not an address', () => {
    expect(() => synth({ [contextKeys.alarmEmail]: 'oncall' })).toThrow(/vigil:alarmEmail must be an e-mail address/)
  })
})

describe('dashboard', () => {
  const body = JSON.stringify(dev.resource(observability.dashboard).Properties.DashboardBody)

  it('exists, named after the stack', () => {
    dev.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1)
    expect(dev.resource(observability.dashboard).Properties.DashboardName).toBe('Vigil-dev-pipeline')
  })

  it('shows the pipeline top to bottom: ingest, scoring, escalation, case API, dead-letter queue', () => {
    const positions = dashboardSections.map((section) => body.indexOf(`## ${section}`))
    expect(positions.every((p) => p >= 0)).toBe(true)
    expect([...positions].sort((a, b) => a - b)).toEqual(positions)
  })

  it('graphs each stage’s metrics', () => {
    for (const metric of [
      'IncomingRecords',
      'IteratorAge',
      'GetRecords.IteratorAgeMilliseconds',
      'BatchSize',
      'Decisions_approve',
      'Decisions_review',
      'Decisions_block',
      'Quarantined',
      'DuplicatesSkipped',
      'Errors',
      'Duration',
      'ExecutionsStarted',
      'ExecutionsSucceeded',
      'ExecutionsFailed',
      'Count',
      '4xx',
      '5xx',
      'Latency',
      'ApproximateNumberOfMessagesVisible',
      'EventTimeToDecision',
      'CasesOpened',
      'CasesEscalated',
      'CasesClosed',
      'SlaBreaches',
    ]) {
      expect(body, metric).toContain(`\\"${metric}\\"`)
    }
  })

  /** The dashboard's graphs by title, with their metrics and expressions (references to resources read as REF). */
  const graphs = (): Map<string, { metrics: unknown[][] }> => {
    const parts = dev.resource(observability.dashboard).Properties.DashboardBody['Fn::Join'][1] as unknown[]
    const widgets = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'REF')).join('')).widgets as { properties: { title?: string; metrics?: unknown[][] } }[]
    return new Map(widgets.filter((w) => w.properties.metrics).map((w) => [w.properties.title!, { metrics: w.properties.metrics! }]))
  }
  const cases = ['service', 'vigil-cases']

  it('graphs cases opened, escalated and closed by outcome, and SLA breaches per hour, of the case tasks', () => {
    expect(graphs().get('Cases opened, escalated and closed by outcome')?.metrics).toEqual([
      ['Vigil', 'CasesOpened', ...cases, { stat: 'Sum' }],
      ['Vigil', 'CasesEscalated', ...cases, { stat: 'Sum' }],
      ...['fraud', 'legitimate', 'expired'].map((outcome) => ['Vigil', 'CasesClosed', 'outcome', outcome, ...cases, { label: `CasesClosed ${outcome}`, stat: 'Sum' }]),
    ])
    expect(graphs().get('SLA breaches (per hour)')?.metrics).toEqual([['Vigil', 'SlaBreaches', ...cases, { period: 3600, stat: 'Sum' }]])
  })

  it('graphs the scorer’s rule hits by rule and quarantined records by reason, whatever rules and reasons appear, and the event time to decision', () => {
    const search = (metric: string, dimension: string) =>
      `SEARCH('{Vigil,service,${dimension}} service="vigil-scorer" MetricName="${metric}"', 'Sum', 300)`
    expect(graphs().get('Rule hits by rule')?.metrics).toEqual([[expect.objectContaining({ expression: search('RuleHits', 'ruleId') })]])
    expect(graphs().get('Quarantined by reason')?.metrics).toEqual([[expect.objectContaining({ expression: search('QuarantinedByReason', 'reason') })]])
    expect(graphs().get('Event time to decision (ms)')?.metrics).toEqual([
      ['Vigil', 'EventTimeToDecision', 'service', 'vigil-scorer', { stat: 'p50' }],
      ['Vigil', 'EventTimeToDecision', 'service', 'vigil-scorer', { stat: 'p99' }],
    ])
  })
})
