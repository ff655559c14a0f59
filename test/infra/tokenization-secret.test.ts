import { describe, expect, it } from 'vitest'
import { contextKeys } from '../../lib/config.ts'
import { secretChangeEvents } from '../../lib/tokenization-secret.ts'
import { synth, type Resource, type Statement } from '../support/synth.ts'

const dev = synth()
const secret = dev.stack.scoring.tokenizationKey
const secretRef = { Ref: dev.logicalId(secret) }
const scorerRoleArn = { 'Fn::GetAtt': [dev.logicalId(dev.stack.scoring.scorer.role!), 'Arn'] }

const policyOf = (built: ReturnType<typeof synth>): Statement[] => {
  const [, policy] = built.only('AWS::SecretsManager::ResourcePolicy')
  expect(policy.Properties.SecretId).toEqual({ Ref: built.logicalId(built.stack.scoring.tokenizationKey) })
  return policy.Properties.ResourcePolicy.Statement as Statement[]
}
const bySid = (statements: Statement[], sid: string) => statements.find((s) => s.Sid === sid)!
const exempted = (statement: Statement) => (statement.Condition as { ArnNotLike: { 'aws:PrincipalArn': unknown[] } }).ArnNotLike['aws:PrincipalArn']

describe('the tokenization secret', () => {
  it('is read by the scorer at the version the deploy pins: AWSCURRENT by default, any VersionId or label from context', () => {
    const env = (built: ReturnType<typeof synth>) => built.resource(built.stack.scoring.scorer).Properties.Environment.Variables
    expect(env(dev).VIGIL_TOKENIZATION_SECRET_VERSION).toBe('AWSCURRENT')
    const pinned = synth({ [contextKeys.tokenizationKeyVersion]: 'a1b2c3d4-0000-4000-8000-123456789abc' })
    expect(env(pinned).VIGIL_TOKENIZATION_SECRET_VERSION).toBe('a1b2c3d4-0000-4000-8000-123456789abc')
    expect(() => synth({ [contextKeys.tokenizationKeyVersion]: 'not a label' })).toThrow(/vigil:tokenizationKeyVersion/)
  })

  it('denies reading it to every principal but the scorer role (and configured admins), whatever their IAM policies say', () => {
    const read = bySid(policyOf(dev), 'DenyReadingExceptScorerAndAdmins')
    expect(read).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 'secretsmanager:GetSecretValue', Resource: '*' })
    expect(exempted(read)).toEqual([scorerRoleArn])
  })

  it('denies every change (value, labels, rotation, deletion, policy) to all but the admins and the deploying CloudFormation role', () => {
    const change = bySid(policyOf(dev), 'DenyChangingExceptAdminsAndDeploys')
    expect(change).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Resource: '*' })
    expect([change.Action].flat().sort()).toEqual(secretChangeEvents.map((e) => `secretsmanager:${e}`).sort())
    expect(exempted(change)).toHaveLength(1)
    expect(JSON.stringify(exempted(change))).toMatch(/:role\/cdk-\*-cfn-exec-role-/)
  })

  it('lets the admins from context read and change it; refuses an admin that is not an IAM ARN of an account', () => {
    const admin = 'arn:aws:iam::123456789012:role/vigil-key-custodian'
    const built = synth({ [contextKeys.tokenizationKeyAdmins]: admin })
    expect(exempted(bySid(policyOf(built), 'DenyReadingExceptScorerAndAdmins'))).toContain(admin)
    expect(exempted(bySid(policyOf(built), 'DenyChangingExceptAdminsAndDeploys'))).toContain(admin)
    expect(() => synth({ [contextKeys.tokenizationKeyAdmins]: '*' })).toThrow(/vigil:tokenizationKeyAdmins/)
    expect(() => synth({ [contextKeys.tokenizationKeyAdmins]: '["arn:aws:iam::*:root"]' })).toThrow(/vigil:tokenizationKeyAdmins/)
  })

  describe('a change raises an alarm', () => {
    const rules = dev.ofType('AWS::Events::Rule')
    const [ruleId, rule] = rules.find(([, r]) => JSON.stringify(r.Properties.EventPattern ?? {}).includes('aws.secretsmanager')) as [string, Resource]

    it('an EventBridge rule matches the CloudTrail events of every call that changes this secret, by its ARN', () => {
      const pattern = rule.Properties.EventPattern
      expect(pattern.source).toEqual(['aws.secretsmanager'])
      expect(pattern['detail-type']).toEqual(['AWS API Call via CloudTrail'])
      expect(pattern.detail.eventSource).toEqual(['secretsmanager.amazonaws.com'])
      expect(pattern.detail.eventName).toEqual(expect.arrayContaining(['PutSecretValue', 'UpdateSecret', 'UpdateSecretVersionStage', 'RotateSecret', 'DeleteSecret', 'PutResourcePolicy']))
      expect(pattern.detail.$or).toEqual([{ responseElements: { arn: [secretRef] } }, { responseElements: { aRN: [secretRef] } }])
      expect(rule.Properties.State).toBe('ENABLED')
    })

    it('notifies the operations alarm topic, saying what changed and who changed it', () => {
      const [target] = rule.Properties.Targets
      expect(target.Arn).toEqual({ Ref: dev.logicalId(dev.stack.observability.topic) })
      expect(JSON.stringify(target.InputTransformer)).toMatch(/eventName.*userIdentity\.arn/)
    })

    it('the topic policy and its encryption key let EventBridge publish for this rule only', () => {
      const topicPolicy = dev.ofType('AWS::SNS::TopicPolicy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[])
      expect(topicPolicy).toContainEqual(expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish' }))
      const keyPolicy = dev.resource(dev.stack.scoring.operationsKey).Properties.KeyPolicy.Statement as Statement[]
      const statement = bySid(keyPolicy, 'AllowEventBridgeTokenizationSecretAlarm')
      expect(statement).toMatchObject({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' } })
      expect(JSON.stringify(statement.Condition)).toContain(`:rule/${dev.stack.stackName}-TokenizationSecretChanged`)
      expect(rule.Properties.Name).toBe(`${dev.stack.stackName}-TokenizationSecretChanged`)
      expect(ruleId).toBeDefined()
    })
  })
})
