import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Match } from 'aws-cdk-lib/assertions'
import { afterAll, describe, expect, it } from 'vitest'
import { contextKeys } from '../../lib/config.ts'
import { tableSchemas, type TableKey } from '../../lib/tables.ts'
import { cdkJson, synth } from '../support/synth.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))

const tempDirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-infra-'))
  tempDirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
})

const dev = synth()

const tableKeys = Object.keys(tableSchemas) as TableKey[]

describe('ingest stream', () => {
  it('is on-demand and keeps records 24 hours with the cdk.json defaults', () => {
    const stream = dev.resource(dev.stack.ingest.stream)
    expect(stream.Type).toBe('AWS::Kinesis::Stream')
    expect(stream.Properties.StreamModeDetails).toEqual({ StreamMode: 'ON_DEMAND' })
    expect(stream.Properties.ShardCount).toBeUndefined()
    expect(stream.Properties.RetentionPeriodHours).toBe(24)
  })

  it('is encrypted with its own customer-managed KMS key that has rotation enabled', () => {
    const stream = dev.resource(dev.stack.ingest.stream)
    expect(stream.Properties.StreamEncryption).toEqual({
      EncryptionType: 'KMS',
      KeyId: { 'Fn::GetAtt': [dev.logicalId(dev.stack.ingest.key), 'Arn'] },
    })
    expect(dev.resource(dev.stack.ingest.key).Properties.EnableKeyRotation).toBe(true)
  })

  it.each([
    ['a CLI string', '4', 4],
    ['a JSON number', 2, 2],
  ])('becomes provisioned with vigil:shardCount given as %s', (_, shardCount, expected) => {
    const { stack, resource } = synth({ [contextKeys.shardCount]: shardCount })
    const props = resource(stack.ingest.stream).Properties
    expect(props.StreamModeDetails).toEqual({ StreamMode: 'PROVISIONED' })
    expect(props.ShardCount).toBe(expected)
  })

  it('keeps records for vigil:retentionHours', () => {
    const { stack, resource } = synth({ [contextKeys.retentionHours]: '168' })
    expect(resource(stack.ingest.stream).Properties.RetentionPeriodHours).toBe(168)
  })

  it.each([
    [{ [contextKeys.shardCount]: '0' }, /vigil:shardCount must be an integer/],
    [{ [contextKeys.shardCount]: 'four' }, /vigil:shardCount must be an integer/],
    [{ [contextKeys.streamMode]: 'provisioned' }, /vigil:streamMode=provisioned needs vigil:shardCount/],
    [{ [contextKeys.streamMode]: 'turbo' }, /vigil:streamMode must be/],
    [{ [contextKeys.retentionHours]: 12 }, /vigil:retentionHours must be an integer from 24 to 8760/],
    [{ [contextKeys.retentionHours]: '9000' }, /vigil:retentionHours must be an integer from 24 to 8760/],
    [{ [contextKeys.stage]: 'Prod!' }, /vigil:stage must be/],
    [{ [contextKeys.removalPolicy]: 'snapshot' }, /vigil:removalPolicy must be/],
  ])('refuses to synthesize with invalid context %j', (context, message) => {
    expect(() => synth(context)).toThrow(message)
  })
})

describe('tables', () => {
  it('has exactly six tables and four KMS keys (stream, tables, tokenization secret, operations)', () => {
    dev.template.resourceCountIs('AWS::DynamoDB::Table', 6)
    dev.template.resourceCountIs('AWS::KMS::Key', 4)
  })

  it.each([
    ['decisions', [{ AttributeName: 'transactionId', KeyType: 'HASH' }]],
    ['entityState', [{ AttributeName: 'entityKey', KeyType: 'HASH' }]],
    ['rules', [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }]],
    ['quarantine', [{ AttributeName: 'id', KeyType: 'HASH' }]],
  ] as const)('keys the %s table on %j with string attributes', (key, keySchema) => {
    const props = dev.resource(dev.stack.tables[key]).Properties
    expect(props.KeySchema).toEqual(keySchema)
    expect(props.AttributeDefinitions).toEqual(keySchema.map(({ AttributeName }) => ({ AttributeName, AttributeType: 'S' })))
  })

  it.each(tableKeys)('makes the %s table on-demand, with point-in-time recovery and SSE under the tables key', (key) => {
    const props = dev.resource(dev.stack.tables[key]).Properties
    expect(props.BillingMode).toBe('PAY_PER_REQUEST')
    expect(props.ProvisionedThroughput).toBeUndefined()
    expect(props.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true })
    expect(props.SSESpecification).toEqual({
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: { 'Fn::GetAtt': [dev.logicalId(dev.stack.tables.key), 'Arn'] },
    })
  })

  it('encrypts the tables with a rotating key distinct from the stream key', () => {
    expect(dev.resource(dev.stack.tables.key).Properties.EnableKeyRotation).toBe(true)
    expect(dev.logicalId(dev.stack.tables.key)).not.toBe(dev.logicalId(dev.stack.ingest.key))
  })

  it.each([
    ['decisions', true],
    ['entityState', true],
    ['quarantine', true],
    ['rules', true],
  ] as const)('ages out %s items by TTL on expiresAt: %s', (key, ttl) => {
    const props = dev.resource(dev.stack.tables[key]).Properties
    expect(props.TimeToLiveSpecification).toEqual(ttl ? { AttributeName: 'expiresAt', Enabled: true } : undefined)
  })

  it('matches tableSchemas, the names Lambda code and the local runtime derive from', () => {
    for (const key of tableKeys) {
      const schema: (typeof tableSchemas)[TableKey] = tableSchemas[key]
      const props = dev.resource(dev.stack.tables[key]).Properties
      const expected: { AttributeName: string; KeyType: string }[] = [{ AttributeName: schema.partitionKey.name, KeyType: 'HASH' }]
      if ('sortKey' in schema) expected.push({ AttributeName: schema.sortKey.name, KeyType: 'RANGE' })
      expect(props.KeySchema).toEqual(expected)
      expect(props.TimeToLiveSpecification?.AttributeName).toBe('ttlAttribute' in schema ? schema.ttlAttribute : undefined)
      expect(dev.logicalId(dev.stack.tables[key])).toMatch(new RegExp(`^Tables${schema.constructId}[0-9A-F]{8}$`))
    }
    const envVars = tableKeys.map((key) => tableSchemas[key].envVar)
    expect(new Set(envVars).size).toBe(envVars.length)
  })

  it('leaves every physical name to CloudFormation', () => {
    dev.template.allResourcesProperties('AWS::DynamoDB::Table', { TableName: Match.absent() })
    dev.template.allResourcesProperties('AWS::Kinesis::Stream', { Name: Match.absent() })
    dev.template.resourceCountIs('AWS::KMS::Alias', 0)
  })
})

describe('stages', () => {
  // 4 keys, the stream, 4 tables, the tokenization secret, the dead-letter queue, 2 log groups.
  const statefulTypes = ['AWS::KMS::Key', 'AWS::Kinesis::Stream', 'AWS::DynamoDB::Table', 'AWS::SecretsManager::Secret', 'AWS::SQS::Queue', 'AWS::Logs::LogGroup', 'AWS::Cognito::UserPool']
  const statefulCount = 25 // log groups: one more for the user pool's token scopes trigger; the labels stream, table, queue, applier and sweep logs
  const stateful = (json: ReturnType<typeof synth>['json']) =>
    Object.values(json.Resources).filter((resource) => statefulTypes.includes(resource.Type))

  it('dev deletes keys, stream, tables, secret, queue and logs with the stack and leaves them unprotected', () => {
    expect(dev.stack.stackName).toBe('Vigil-dev')
    expect(stateful(dev.json).map((resource) => resource.DeletionPolicy)).toEqual(Array(statefulCount).fill('Delete'))
    dev.template.allResourcesProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false })
    expect(dev.stack.terminationProtection).toBe(false)
  })

  it('prod retains keys, stream, tables, secret, queue and logs and protects the tables and the stack from deletion', () => {
    const prod = synth({ [contextKeys.stage]: 'prod' })
    expect(prod.stack.stackName).toBe('Vigil-prod')
    expect(stateful(prod.json).map((resource) => resource.DeletionPolicy)).toEqual(Array(statefulCount).fill('Retain'))
    prod.template.allResourcesProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true })
    expect(prod.stack.terminationProtection).toBe(true)
  })

  it('retains by default in any stage but dev, unless vigil:removalPolicy says destroy', () => {
    expect(stateful(synth({ [contextKeys.stage]: 'staging' }).json).every((r) => r.DeletionPolicy === 'Retain')).toBe(true)
    const ephemeral = synth({ [contextKeys.stage]: 'pr-42', [contextKeys.removalPolicy]: 'destroy' })
    expect(stateful(ephemeral.json).every((r) => r.DeletionPolicy === 'Delete')).toBe(true)
  })

  it('outputs the stream name, every table name, the scorer name and the dead-letter queue URL', () => {
    expect(dev.json.Outputs).toEqual({
      StreamName: expect.objectContaining({ Value: { Ref: dev.logicalId(dev.stack.ingest.stream) } }),
      DecisionsTableName: expect.objectContaining({ Value: { Ref: dev.logicalId(dev.stack.tables.decisions) } }),
      EntityStateTableName: expect.objectContaining({ Value: { Ref: dev.logicalId(dev.stack.tables.entityState) } }),
      RulesTableName: expect.objectContaining({ Value: { Ref: dev.logicalId(dev.stack.tables.rules) } }),
      QuarantineTableName: expect.objectContaining({ Value: { Ref: dev.logicalId(dev.stack.tables.quarantine) } }),
      CasesTableName: expect.objectContaining({ Value: { Ref: dev.logicalId(dev.stack.tables.cases) } }),
      LabelsTableName: expect.objectContaining({ Value: { Ref: dev.logicalId(dev.stack.tables.labels) } }),
      LabelStreamName: expect.objectContaining({ Value: { Ref: dev.logicalId(dev.stack.labels.stream) } }),
      LabelDeadLetterQueueUrl: expect.objectContaining({ Value: { Ref: dev.logicalId(dev.stack.labels.deadLetterQueue) } }),
      CaseApiUrl: expect.objectContaining({ Value: expect.anything() }),
      UserPoolId: expect.objectContaining({ Value: { Ref: dev.logicalId(dev.stack.caseApi.userPool) } }),
      UserPoolClientId: expect.objectContaining({ Value: { Ref: dev.logicalId(dev.stack.caseApi.userPoolClient) } }),
      LabelFeedClientId: expect.objectContaining({ Value: { Ref: dev.logicalId(dev.stack.caseApi.labelFeedClient) } }),
      TokenEndpoint: expect.objectContaining({ Value: expect.anything() }),
      ScorerFunctionName: expect.objectContaining({ Value: { Ref: dev.logicalId(dev.stack.scoring.scorer) } }),
      DeadLetterQueueUrl: expect.objectContaining({ Value: { Ref: dev.logicalId(dev.stack.scoring.deadLetterQueue) } }),
      AlarmTopicArn: expect.objectContaining({ Value: { Ref: dev.logicalId(dev.stack.observability.topic) } }),
    })
  })
})

describe('synthesized app', () => {
  it('bin/vigil.ts synthesizes the Vigil-dev stack from the cdk.json context', () => {
    expect(cdkJson.app).toBe('node bin/vigil.ts')
    const outdir = tempDir()
    // Without bundling, as in synth() above (test/infra/scoring.test.ts bundles the scorer for real).
    const context = { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] }
    const run = spawnSync(process.execPath, ['bin/vigil.ts'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
    })
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    const template = JSON.parse(readFileSync(join(outdir, 'Vigil-dev.template.json'), 'utf8'))
    expect(template).toEqual(dev.json)
  })

  const cfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' })
  it.skipIf(cfnLint.error !== undefined || cfnLint.status !== 0)('cfn-lint finds no errors in the dev (on-demand) and prod (provisioned) templates', () => {
    const templates = [
      { context: {}, stack: 'Vigil-dev' },
      { context: { [contextKeys.stage]: 'prod', [contextKeys.shardCount]: '4' }, stack: 'Vigil-prod' },
    ].map(({ context, stack }) => {
      const outdir = tempDir()
      synth(context, { outdir }).app.synth()
      return join(outdir, `${stack}.template.json`)
    })
    const lint = spawnSync('cfn-lint', ['--format', 'json', '--', ...templates], { encoding: 'utf8' })
    let findings: { Level: string; Rule: { Id: string }; Message: string; Filename: string }[]
    try {
      findings = JSON.parse(lint.stdout)
    } catch {
      throw new Error(`cfn-lint did not report JSON (exit ${lint.status}): ${lint.stdout}${lint.stderr}`)
    }
    const errors = findings.filter((finding) => finding.Level === 'Error')
    expect(errors.map((e) => `${e.Rule.Id} ${e.Filename}: ${e.Message}`)).toEqual([])
  })
})
