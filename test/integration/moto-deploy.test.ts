import { crc32 } from 'node:zlib'
import { setTimeout as sleep } from 'node:timers/promises'
import { CloudFormationClient, CreateStackCommand, DescribeStackEventsCommand, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation'
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm'
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb'
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis'
import { createDynamoDbClient } from '../../functions/aws/clients.ts'
import { createKinesisClient } from '../../functions/aws/kinesis-client.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasMotoServer, startMoto } from '../support/moto.ts'
import { synth, type Resource } from '../support/synth.ts'

const account = '123456789012' // moto's default account
const region = 'us-east-1'
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' }

/** A one-file zip (stored, not deflated): enough for moto's Lambda to accept as function code. */
function zipOf(name: string, content: string): Buffer {
  const file = Buffer.from(name)
  const data = Buffer.from(content)
  const crc = crc32(data)
  const local = Buffer.alloc(30)
  local.writeUInt32LE(0x04034b50, 0)
  local.writeUInt16LE(20, 4)
  local.writeUInt32LE(crc, 14)
  local.writeUInt32LE(data.length, 18)
  local.writeUInt32LE(data.length, 22)
  local.writeUInt16LE(file.length, 26)
  const central = Buffer.alloc(46)
  central.writeUInt32LE(0x02014b50, 0)
  central.writeUInt16LE(20, 4)
  central.writeUInt16LE(20, 6)
  central.writeUInt32LE(crc, 16)
  central.writeUInt32LE(data.length, 20)
  central.writeUInt32LE(data.length, 24)
  central.writeUInt16LE(file.length, 28)
  const centralOffset = local.length + file.length + data.length
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(1, 8)
  end.writeUInt16LE(1, 10)
  end.writeUInt32LE(central.length + file.length, 12)
  end.writeUInt32LE(centralOffset, 16)
  return Buffer.concat([local, file, data, central, file, end])
}


/** Custom resources run Lambda code, which moto cannot execute without Docker: they would never complete. */
const isCustomResource = (r: Resource) => r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource'

/**
 * Types in this stack that moto 5's CloudFormation does not implement (it would skip them silently),
 * and the dashboard, whose body reads the alarms' `Arn` attribute, which moto does not resolve.
 */
const motoLacks = (type: string) =>
  type.startsWith('AWS::ApiGatewayV2::') ||
  type.startsWith('AWS::Cognito::') ||
  ['AWS::SNS::TopicPolicy', 'AWS::SQS::QueuePolicy', 'AWS::SecretsManager::Secret', 'AWS::CloudWatch::Dashboard'].includes(type)

/**
 * Deployability smoke test: the synthesized template (bundling off) deployed through moto's
 * CloudFormation into an account prepared as `cdk bootstrap` would leave it. Optional tier: only
 * where moto_server is installed.
 */
describe.skipIf(!hasMotoServer)('synthesized stack deploys on moto_server CloudFormation (optional tier)', () => {
  let moto: Awaited<ReturnType<typeof startMoto>>
  beforeAll(async () => {
    moto = await startMoto()
  })
  afterAll(async () => {
    await moto?.stop()
  })

  it('reaches CREATE_COMPLETE with real tables, stream and outputs', async () => {
    const endpoint = moto.dynamoEndpoint
    const { json } = synth()
    const template = structuredClone(json) as typeof json & { Parameters?: Record<string, { Default?: string }> }

    // What a CDK-bootstrapped account has: the bootstrap version parameter and the assets bucket.
    const versionParameter = template.Parameters?.BootstrapVersion?.Default ?? '/cdk-bootstrap/hnb659fds/version'
    const config = { endpoint, region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }
    const ssm = new SSMClient(config)
    const s3 = new S3Client({ ...config, forcePathStyle: true })
    await ssm.send(new PutParameterCommand({ Name: versionParameter, Value: '30', Type: 'String' }))
    const zip = zipOf('index.mjs', 'export const handler = async () => ({})\n')
    const buckets = new Set<string>()
    for (const [id, r] of Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function')) {
      const { S3Bucket, S3Key } = r.Properties.Code as { S3Bucket: { 'Fn::Sub': string } | string; S3Key: string }
      expect(typeof S3Key, `${id} Code.S3Key`).toBe('string')
      const bucket = (typeof S3Bucket === 'string' ? S3Bucket : S3Bucket['Fn::Sub']).replace('${AWS::AccountId}', account).replace('${AWS::Region}', region)
      expect(bucket).toBe(`cdk-hnb659fds-assets-${account}-${region}`)
      if (!buckets.has(bucket)) {
        await s3.send(new CreateBucketCommand({ Bucket: bucket }))
        buckets.add(bucket)
      }
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: S3Key, Body: new Uint8Array(zip), ContentType: 'application/zip' }))
    }
    expect(buckets.size).toBe(1)
    ssm.destroy()
    s3.destroy()

    // Removed from the deployed copy, each list asserted so that a change to the stack is noticed here:
    // 1. the custom resources (the rule-set seeding): moto runs no Lambda code without Docker, so they
    //    would never report back;
    // 2. the resources of types moto 5's CloudFormation does not implement (it skips them with a
    //    warning, and Ref to them resolves to nothing, which then breaks e.g. an IAM statement's
    //    Resource): the HTTP API, the Cognito user pool, the SNS/SQS resource policies, the secret.
    //    References to them left in the other resources become placeholder strings, and the
    //    outputs that only name them are dropped.
    const removedCustom = Object.keys(template.Resources).filter((id) => isCustomResource(template.Resources[id]!)).sort()
    expect(removedCustom).toEqual(['ScoringSeedActiveRuleSetEA5A0F97', 'ScoringSeedRuleSetVersionF028A649'])
    const unsupported = Object.keys(template.Resources).filter((id) => motoLacks(template.Resources[id]!.Type)).sort()
    expect([...new Set(unsupported.map((id) => template.Resources[id]!.Type))].sort()).toEqual([
      'AWS::ApiGatewayV2::Api',
      'AWS::ApiGatewayV2::Authorizer',
      'AWS::ApiGatewayV2::Integration',
      'AWS::ApiGatewayV2::Route',
      'AWS::ApiGatewayV2::Stage',
      'AWS::CloudWatch::Dashboard',
      'AWS::Cognito::UserPool',
      'AWS::Cognito::UserPoolClient',
      'AWS::Cognito::UserPoolDomain',
      'AWS::Cognito::UserPoolGroup',
      'AWS::Cognito::UserPoolResourceServer',
      'AWS::SNS::TopicPolicy',
      'AWS::SQS::QueuePolicy',
      'AWS::SecretsManager::Secret',
    ])
    const removed = [...removedCustom, ...unsupported]
    for (const id of removed) delete template.Resources[id]
    const placeholder = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(placeholder)
      if (node === null || typeof node !== 'object') return node
      const { Ref: ref, 'Fn::GetAtt': getAtt } = node as { Ref?: string; 'Fn::GetAtt'?: [string, string] }
      if (typeof ref === 'string' && removed.includes(ref)) return `arn:aws:removed:${region}:${account}:${ref}`
      if (getAtt && removed.includes(getAtt[0])) return `arn:aws:removed:${region}:${account}:${getAtt[0]}`
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, placeholder(v)]))
    }
    for (const r of Object.values(template.Resources)) {
      r.Properties = placeholder(r.Properties) as Record<string, unknown>
      if (r.DependsOn) r.DependsOn = r.DependsOn.filter((d) => !removed.includes(d))
      if (r.DependsOn?.length === 0) delete r.DependsOn
    }
    const droppedOutputs = Object.keys(template.Outputs).filter((key) => removed.some((id) => JSON.stringify(template.Outputs[key]).includes(`"${id}"`)))
    expect(droppedOutputs).toEqual(['CaseApiUrl', 'UserPoolId', 'UserPoolClientId', 'LabelFeedClientId', 'TokenEndpoint'])
    for (const key of droppedOutputs) delete template.Outputs[key]
    // moto 5.2 bug: a KMS key's CloudFormation Tags ({Key, Value}) crash its tagger (KeyError 'TagKey').
    const taggedKeys = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::KMS::Key' && r.Properties.Tags)
    expect(taggedKeys).toHaveLength(4)
    for (const [, r] of taggedKeys) delete r.Properties.Tags
    const body = JSON.stringify(template)
    for (const id of removed) expect(body).not.toContain(`"${id}"`)

    const cfn = new CloudFormationClient({ endpoint, region, credentials, maxAttempts: 1 })
    const StackName = 'VigilMotoSmoke'
    await cfn.send(new CreateStackCommand({ StackName, TemplateBody: body, Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'] }))
    let stack: Stack | undefined
    for (const deadline = Date.now() + 40_000; Date.now() < deadline; await sleep(250)) {
      stack = (await cfn.send(new DescribeStacksCommand({ StackName }))).Stacks?.[0]
      if (!stack?.StackStatus?.endsWith('_IN_PROGRESS')) break
    }
    if (stack?.StackStatus !== 'CREATE_COMPLETE') {
      const events = (await cfn.send(new DescribeStackEventsCommand({ StackName }))).StackEvents ?? []
      const failures = events.filter((e) => e.ResourceStatus?.endsWith('_FAILED')).map((e) => `${e.LogicalResourceId} ${e.ResourceType}: ${e.ResourceStatusReason}`)
      expect.fail(`stack ${stack?.StackStatus}: ${stack?.StackStatusReason}\n${failures.join('\n')}`)
    }

    const outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!]))
    expect(Object.keys(outputs).sort()).toEqual(Object.keys(template.Outputs).sort())
    for (const [key, value] of Object.entries(outputs)) expect(value, key).toBeTruthy()

    const dynamo = createDynamoDbClient({ endpoint, region, credentials })
    const tableOutputs = Object.entries(json.Outputs).filter(([key]) => key.endsWith('TableName'))
    expect(tableOutputs).toHaveLength(6)
    for (const [key, output] of tableOutputs) {
      const logicalId = (output.Value as { Ref: string }).Ref
      const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: outputs[key] }))
      expect(Table?.TableStatus, key).toBe('ACTIVE')
      expect(Table?.KeySchema, key).toEqual(template.Resources[logicalId]!.Properties.KeySchema)
    }

    const kinesis = createKinesisClient({ endpoint, region, credentials }) // HTTP/1.1: moto speaks no HTTP/2
    for (const key of ['StreamName', 'LabelStreamName']) {
      const { StreamDescriptionSummary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: outputs[key] }))
      expect(StreamDescriptionSummary?.StreamStatus, key).toBe('ACTIVE')
    }
  }, 60_000)
})
