import { describe, expect, it } from 'vitest'
import { contextKeys } from '../../lib/config.ts'
import { definitionFromTemplate } from '../../local/state-machine.ts'
import { synth } from '../support/synth.ts'

const dev = synth()
const escalation = dev.stack.escalation
const definition = definitionFromTemplate(dev.json, dev.logicalId(escalation.stateMachine))
const state = (name: string) => definition.States[name] as Record<string, any>

describe('case workflow', () => {
  it('is a Standard state machine logging ALL without execution data, traced, and encrypted with the operations key', () => {
    const props = dev.resource(escalation.stateMachine).Properties
    expect(props.StateMachineType).toBe('STANDARD')
    expect(props.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false })
    expect(props.TracingConfiguration).toEqual({ Enabled: true })
    expect(props.EncryptionConfiguration).toMatchObject({ Type: 'CUSTOMER_MANAGED_KMS_KEY', KmsKeyId: dev.arnOf(dev.stack.scoring.operationsKey) })
  })

  it('opens the case under the execution name, so a repeated start cannot open a second case', () => {
    expect(definition.StartAt).toBe('OpenCase')
    expect(state('OpenCase').Parameters['caseId.$']).toBe('$$.Execution.Name')
  })

  it('waits for a verdict with a task token, for as long as the case’s SLA, and escalates on timeout', () => {
    for (const [name, role, onTimeout] of [['AwaitAnalyst', 'analyst', 'Escalate'], ['AwaitSupervisor', 'supervisor', 'Expire']] as const) {
      const wait = state(name)
      expect(wait.Resource).toMatch(/:states:::lambda:invoke\.waitForTaskToken$/)
      expect(wait.Parameters.Payload).toMatchObject({ action: 'await', role, 'taskToken.$': '$$.Task.Token' })
      expect(wait.TimeoutSecondsPath).toBe('$.case.slaSeconds')
      expect(wait.Catch).toEqual([{ ErrorEquals: ['States.Timeout'], ResultPath: '$.timeout', Next: onTimeout }])
      expect(wait.Next).toBe('ApplyOutcome')
    }
  })

  it('lists and unlists the card with direct DynamoDB integrations on the rules table, and notifies supervisors over SNS', () => {
    const rulesTable = dev.stack.resolve(dev.stack.tables.rules.tableName)
    for (const name of ['ListCard', 'KeepCardListed']) {
      expect(state(name).Resource).toMatch(/:states:::dynamodb:putItem$/)
      expect(state(name).Parameters.Item.pk).toEqual({ S: 'list#blocked_cards' })
      expect(state(name).Parameters.Item.expiresAt).toEqual({ 'N.$': "States.Format('{}', $.case.listUntil)" })
    }
    expect(state('UnlistCard').Resource).toMatch(/:states:::dynamodb:deleteItem$/)
    expect(state('UnlistCard').Parameters.ConditionExpression).toContain('caseId = :case')
    expect(JSON.stringify(rulesTable)).toContain(dev.logicalId(dev.stack.tables.rules))
    expect(state('NotifySupervisors').Resource).toMatch(/:states:::sns:publish$/)
  })

  it('counts every change to the block list right after making it, so scorers query the list again', () => {
    for (const change of ['ListCard', 'KeepCardListed', 'UnlistCard']) {
      const counted = state(state(change).Next)
      expect(counted.Resource).toMatch(/:states:::dynamodb:updateItem$/)
      expect(counted.Parameters).toMatchObject({ Key: { pk: { S: 'list-changes' }, sk: { S: 'blocked_cards' } }, UpdateExpression: 'ADD #changes :one' })
    }
  })

  it('routes every verdict: fraud keeps the card listed, legitimate unlists it, expired closes', () => {
    const apply = state('ApplyOutcome')
    expect(apply.Choices.map((c: { StringEquals: string; Next: string }) => [c.StringEquals, c.Next])).toEqual([
      ['fraud', 'KeepCardListed'],
      ['legitimate', 'UnlistCard'],
    ])
    expect(apply.Default).toBe('CloseCase')
  })

  it('encrypts the supervisors’ topic and refuses anything but TLS on it', () => {
    expect(dev.resource(escalation.topic).Properties.KmsMasterKeyId).toEqual(dev.arnOf(dev.stack.scoring.operationsKey))
    const policies = dev.ofType('AWS::SNS::TopicPolicy').map(([, r]) => r.Properties.PolicyDocument.Statement)
    expect(JSON.stringify(policies)).toContain('"aws:SecureTransport":"false"')
  })

  it('gives the case tasks exact grants: no * action, no * resource but X-Ray tracing’s (no resource-level permissions)', () => {
    const statements = dev.statementsOf(dev.logicalId(escalation.caseTasks.role!))
    expect(statements.length).toBeGreaterThan(0)
    for (const s of statements) {
      for (const action of [s.Action].flat()) expect(action).not.toMatch(/^\*$|:\*$/)
      if (s.Resource === '*') expect(s.Action).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments'])
      else for (const resource of [s.Resource].flat()) expect(resource).not.toBe('*')
    }
  })

  it('takes its deadlines from context', () => {
    const custom = synth({ [contextKeys.analystSlaSeconds]: { critical: 120, high: 600, medium: 1800, low: 7200 } })
    const env = custom.resource(custom.stack.escalation.caseTasks).Properties.Environment.Variables
    expect(JSON.parse(env.VIGIL_SLA_SECONDS)).toEqual({ critical: 120, high: 600, medium: 1800, low: 7200 })
    expect(() => synth({ [contextKeys.analystSlaSeconds]: { critical: 5 } })).toThrow(/analystSlaSeconds\.critical/)
  })
})
