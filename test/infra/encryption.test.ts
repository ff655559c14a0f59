import { describe, expect, it } from 'vitest'
import { contextKeys } from '../../lib/config.ts'
import { synth, type Resource } from '../support/synth.ts'

/** Where each encrypted resource type names its key. */
const keyOf: Readonly<Record<string, (props: Record<string, any>) => unknown>> = {
  'AWS::Kinesis::Stream': (p) => (p.StreamEncryption?.EncryptionType === 'KMS' ? p.StreamEncryption.KeyId : undefined),
  'AWS::DynamoDB::Table': (p) => (p.SSESpecification?.SSEEnabled && p.SSESpecification.SSEType === 'KMS' ? p.SSESpecification.KMSMasterKeyId : undefined),
  'AWS::SQS::Queue': (p) => p.KmsMasterKeyId,
  'AWS::SNS::Topic': (p) => p.KmsMasterKeyId,
  'AWS::Logs::LogGroup': (p) => p.KmsKeyId,
  'AWS::StepFunctions::StateMachine': (p) => (p.EncryptionConfiguration?.Type === 'CUSTOMER_MANAGED_KMS_KEY' ? p.EncryptionConfiguration.KmsKeyId : undefined),
  'AWS::SecretsManager::Secret': (p) => p.KmsKeyId,
}

/** The logical id a `Ref` or `Fn::GetAtt` points at. */
function target(reference: unknown): string | undefined {
  const ref = reference as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined
  return ref?.Ref ?? ref?.['Fn::GetAtt']?.[0]
}

const templates = {
  dev: synth(),
  prod: synth({ [contextKeys.stage]: 'prod', [contextKeys.shardCount]: '2', [contextKeys.supervisorEmail]: 'supervisors@example.com', [contextKeys.alarmEmail]: 'oncall@example.com' }),
}

describe.each(Object.entries(templates))('encryption in the %s template', (_, { json }) => {
  const resources = json.Resources
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type)

  it.each(Object.keys(keyOf))('encrypts every %s with a customer-managed key of this stack that rotates', (type) => {
    const found = ofType(type)
    expect(found.length).toBeGreaterThan(0)
    for (const [id, resource] of found) {
      const keyId = target(keyOf[type]!(resource.Properties))
      const key: Resource | undefined = keyId === undefined ? undefined : resources[keyId]
      expect(key?.Type, `${id}'s key`).toBe('AWS::KMS::Key')
      expect(key?.Properties.EnableKeyRotation, `${id}'s key ${keyId}`).toBe(true)
    }
  })

  it('sends every function’s logs and the API’s access logs to one of those log groups (no implicit, unencrypted /aws/lambda group)', () => {
    const logGroups = new Set(ofType('AWS::Logs::LogGroup').map(([id]) => id))
    const functions = ofType('AWS::Lambda::Function')
    expect(functions.length).toBeGreaterThanOrEqual(4) // scorer, case tasks, case API, rules seeding
    for (const [id, fn] of functions) expect(logGroups.has(target(fn.Properties.LoggingConfig?.LogGroup) ?? ''), id).toBe(true)
    for (const [id, stage] of ofType('AWS::ApiGatewayV2::Stage')) expect(logGroups.has(target(stage.Properties.AccessLogSettings?.DestinationArn) ?? ''), id).toBe(true)
    const [, machine] = ofType('AWS::StepFunctions::StateMachine')[0]!
    expect(logGroups.has(target(machine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn) ?? '')).toBe(true)
  })

  it.each([
    ['AWS::SQS::Queue', 'AWS::SQS::QueuePolicy', 'Queues'],
    ['AWS::SNS::Topic', 'AWS::SNS::TopicPolicy', 'Topics'],
  ])('gives every %s a policy that denies requests without TLS', (type, policyType, listKey) => {
    const policies = ofType(policyType).map(([, p]) => p.Properties)
    for (const [id] of ofType(type)) {
      const denies = policies
        .filter((p) => (p[listKey] as unknown[]).some((ref) => target(ref) === id))
        .flatMap((p) => p.PolicyDocument.Statement as { Effect: string; Condition?: unknown; Principal: unknown }[])
        .filter((s) => s.Effect === 'Deny' && JSON.stringify(s.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }))
      expect(denies.length, id).toBe(1)
      expect(JSON.stringify(denies[0]!.Principal), id).toMatch(/^"\*"$|^\{"AWS":"\*"\}$/)
    }
  })
})
