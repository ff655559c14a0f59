import { describe, expect, it } from 'vitest'
import { contextKeys } from '../../lib/config.ts'
import { synth, type Resource } from '../support/synth.ts'

/** The logical id a `Ref` or `Fn::GetAtt` points at. */
const target = (ref: unknown): string | undefined => {
  const r = ref as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined
  return r?.Ref ?? r?.['Fn::GetAtt']?.[0]
}

/** Every log group the stage writes to: the functions', the case workflow's and the API's access logs. */
function logDestinations(json: { Resources: Record<string, Resource> }): string[] {
  const resources = Object.values(json.Resources)
  const of = (type: string) => resources.filter((r) => r.Type === type)
  return [
    ...of('AWS::Lambda::Function').map((fn) => target(fn.Properties.LoggingConfig?.LogGroup)),
    ...of('AWS::StepFunctions::StateMachine').map((m) => target(m.Properties.LoggingConfiguration?.Destinations?.[0]?.CloudWatchLogsLogGroup?.LogGroupArn)),
    ...of('AWS::ApiGatewayV2::Stage').map((stage) => target(stage.Properties.AccessLogSettings?.DestinationArn)),
  ].map((id) => id ?? 'no log group of the stack')
}

describe('log retention', () => {
  it.each([
    ['dev', {}, 30],
    ['prod', { [contextKeys.stage]: 'prod' }, 365],
    ['any stage but dev', { [contextKeys.stage]: 'staging' }, 365],
    ['an explicit setting', { [contextKeys.stage]: 'prod', [contextKeys.logRetentionDays]: '731' }, 731],
  ])('keeps every log group of %s for the stage’s retention', (_, context, days) => {
    const { json, ofType } = synth(context)
    const groups = ofType('AWS::Logs::LogGroup')
    expect(groups.map(([, group]) => group.Properties.RetentionInDays)).toEqual(groups.map(() => days))
    // Nothing writes to a log group outside the stack (a function's implicit /aws/lambda/… group would keep logs forever).
    const destinations = logDestinations(json)
    expect(destinations.length).toBeGreaterThanOrEqual(4)
    for (const id of destinations) expect(groups.map(([groupId]) => groupId)).toContain(id)
    expect(ofType('Custom::LogRetention')).toEqual([])
  })
})

describe('case workflow logs', () => {
  const dev = synth()
  const machine = dev.resource(dev.stack.escalation.stateMachine).Properties

  it('log every transition but no execution data: neither the transaction of the input nor a task token reaches CloudWatch', () => {
    expect(machine.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false })
  })
})
