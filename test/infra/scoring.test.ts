import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { App, type CustomResource } from 'aws-cdk-lib'
import type { AwsCustomResource } from 'aws-cdk-lib/custom-resources'
import { afterAll, describe, expect, it } from 'vitest'
import { bundleLambda } from '../../bench/bundle.ts'
import { contextKeys, readVigilConfig, scoringDefaults } from '../../lib/config.ts'
import { lambdaBundling } from '../../lib/node-function.ts'
import { defaultRuleSet, scorerEntry } from '../../lib/scoring.ts'
import { ruleSetItems, tableSchemas, type TableKey } from '../../lib/table-schema.ts'
import { cdkJson, synth, type Resource, type Statement } from '../support/synth.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))

const tempDirs: string[] = []
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
})

const dev = synth()
const scoring = dev.stack.scoring
/** The scorer's mapping: the label applier has one too (lib/labels.ts), on its own stream. */
const scorerMapping = (synthesized: ReturnType<typeof synth>) =>
  synthesized.ofType('AWS::Lambda::EventSourceMapping').filter(([, r]) => JSON.stringify(r.Properties.FunctionName) === JSON.stringify({ Ref: synthesized.logicalId(synthesized.stack.scoring.scorer) }))[0]![1].Properties
const esm = () => scorerMapping(dev)

describe('event source mapping', () => {
  it('reads the stream from its oldest record into the scorer', () => {
    const props = esm()
    expect(props.EventSourceArn).toEqual(dev.arnOf(dev.stack.ingest.stream))
    expect(props.FunctionName).toEqual({ Ref: dev.logicalId(scoring.scorer) })
    expect(props.StartingPosition).toBe('TRIM_HORIZON')
  })

  it('never lets one bad record block a shard: bisect, partial batch response, finite retries and age, on-failure queue', () => {
    const props = esm()
    expect(props.BisectBatchOnFunctionError).toBe(true)
    expect(props.FunctionResponseTypes).toEqual(['ReportBatchItemFailures'])
    expect(props.MaximumRetryAttempts).toBe(5)
    expect(props.MaximumRecordAgeInSeconds).toBe(86_400)
    expect(props.DestinationConfig).toEqual({ OnFailure: { Destination: dev.arnOf(scoring.deadLetterQueue) } })
  })

  it('batches 100 records or 1 second, one batch per shard at a time, with no tumbling window', () => {
    const props = esm()
    expect(props.BatchSize).toBe(100)
    expect(props.MaximumBatchingWindowInSeconds).toBe(1)
    expect(props.ParallelizationFactor).toBe(1)
    expect(props.TumblingWindowInSeconds).toBeUndefined()
  })

  it('exposes the settings it was given as plain data, equal to the template', () => {
    const props = esm()
    expect(scoring.eventSourceMapping).toEqual({
      startingPosition: props.StartingPosition,
      batchSize: props.BatchSize,
      maxBatchingWindowSeconds: props.MaximumBatchingWindowInSeconds,
      retryAttempts: props.MaximumRetryAttempts,
      maxRecordAgeSeconds: props.MaximumRecordAgeInSeconds,
      parallelizationFactor: props.ParallelizationFactor,
      bisectBatchOnError: props.BisectBatchOnFunctionError,
      reportBatchItemFailures: props.FunctionResponseTypes.includes('ReportBatchItemFailures'),
    })
    expect(scoring.eventSource.eventSourceMappingId).toBeDefined()
  })

  it('matches the defaults written in cdk.json and in lib/config.ts', () => {
    expect(cdkJson.context).toMatchObject({
      [contextKeys.batchSize]: scoringDefaults.batchSize,
      [contextKeys.maxBatchingWindowSeconds]: scoringDefaults.maxBatchingWindowSeconds,
      [contextKeys.retryAttempts]: scoringDefaults.retryAttempts,
      [contextKeys.maxRecordAgeSeconds]: scoringDefaults.maxRecordAgeSeconds,
      [contextKeys.scorerMemoryMb]: scoringDefaults.memoryMb,
      [contextKeys.scorerTimeoutSeconds]: scoringDefaults.timeoutSeconds,
    })
    // And without cdk.json, the code's defaults give the same template.
    const bare = new App({ context: { 'aws:cdk:bundling-stacks': [] } })
    expect(readVigilConfig(bare.node).scoring).toEqual(scoringDefaults)
  })

  it.each([
    ['CLI strings', { batchSize: '500', window: '5', retries: '2', age: '3600' }],
    ['JSON numbers', { batchSize: 500, window: 5, retries: 2, age: 3600 }],
  ])('follows context overrides given as %s', (_, given) => {
    const synthesized = synth({
      [contextKeys.batchSize]: given.batchSize,
      [contextKeys.maxBatchingWindowSeconds]: given.window,
      [contextKeys.retryAttempts]: given.retries,
      [contextKeys.maxRecordAgeSeconds]: given.age,
    })
    expect(scorerMapping(synthesized)).toMatchObject({
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 5,
      MaximumRetryAttempts: 2,
      MaximumRecordAgeInSeconds: 3600,
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      StartingPosition: 'TRIM_HORIZON',
    })
    expect(synthesized.stack.scoring.eventSourceMapping).toMatchObject({ batchSize: 500, retryAttempts: 2, maxRecordAgeSeconds: 3600, parallelizationFactor: 1 })
  })

  it('accepts zero retries and no batching window', () => {
    const props = scorerMapping(synth({ [contextKeys.retryAttempts]: '0', [contextKeys.maxBatchingWindowSeconds]: '0' }))
    expect(props.MaximumRetryAttempts).toBe(0)
    expect(props.MaximumBatchingWindowInSeconds).toBe(0)
  })

  it('allows a record age up to a longer stream retention', () => {
    expect(scorerMapping(synth({ [contextKeys.retentionHours]: '168', [contextKeys.maxRecordAgeSeconds]: '604800' })).MaximumRecordAgeInSeconds).toBe(604_800)
  })

  it.each([
    [{ [contextKeys.retryAttempts]: '-1' }, /vigil:retryAttempts must be an integer from 0 to 10000/],
    [{ [contextKeys.retryAttempts]: 'forever' }, /vigil:retryAttempts must be an integer/],
    [{ [contextKeys.batchSize]: '0' }, /vigil:batchSize must be an integer from 1 to 10000/],
    [{ [contextKeys.batchSize]: 10_001 }, /vigil:batchSize must be an integer from 1 to 10000/],
    [{ [contextKeys.maxBatchingWindowSeconds]: '301' }, /vigil:maxBatchingWindowSeconds must be an integer from 0 to 300/],
    [{ [contextKeys.maxBatchingWindowSeconds]: 0.5 }, /vigil:maxBatchingWindowSeconds must be an integer/],
    [{ [contextKeys.maxRecordAgeSeconds]: '59' }, /vigil:maxRecordAgeSeconds must be an integer from 60 to 604800/],
    [{ [contextKeys.maxRecordAgeSeconds]: '-1' }, /vigil:maxRecordAgeSeconds must be an integer/],
    [{ [contextKeys.maxRecordAgeSeconds]: '172800' }, /vigil:maxRecordAgeSeconds \(172800\) must not exceed the stream's retention/],
    [{ [contextKeys.scorerMemoryMb]: '64' }, /vigil:scorerMemoryMb must be an integer from 128 to 10240/],
    [{ [contextKeys.scorerTimeoutSeconds]: '901' }, /vigil:scorerTimeoutSeconds must be an integer from 1 to 900/],
    [{ [contextKeys.logRetentionDays]: '2' }, /vigil:logRetentionDays must be one of 1, 3, 5, 7, 14, 30/],
    [{ [contextKeys.logRetentionDays]: '9999' }, /vigil:logRetentionDays must be an integer from 1 to 3653/],
  ])('refuses to synthesize with invalid context %j', (context, message) => {
    expect(() => synth(context)).toThrow(message)
  })
})

describe('scorer function', () => {
  const fn = () => dev.resource(scoring.scorer).Properties

  it('runs nodejs24.x on arm64 with 512 MB and 60 s by default', () => {
    expect(fn()).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler', MemorySize: 512, Timeout: 60 })
    expect(scorerEntry).toBe(join(root, 'functions/score/handler.ts'))
  })

  it('takes memory and timeout from context', () => {
    const { resource, stack } = synth({ [contextKeys.scorerMemoryMb]: '1769', [contextKeys.scorerTimeoutSeconds]: 120 })
    expect(resource(stack.scoring.scorer).Properties).toMatchObject({ MemorySize: 1769, Timeout: 120 })
  })

  it('gets the name of each table it uses under its envVar, the secret ARN, source maps and the Powertools names', () => {
    const used: TableKey[] = ['decisions', 'entityState', 'rules', 'quarantine']
    const tables = Object.fromEntries(used.map((key) => [tableSchemas[key].envVar, { Ref: dev.logicalId(dev.stack.tables[key]) }]))
    expect(Object.keys(tables).sort()).toEqual(['VIGIL_DECISIONS_TABLE', 'VIGIL_ENTITY_STATE_TABLE', 'VIGIL_QUARANTINE_TABLE', 'VIGIL_RULES_TABLE'])
    expect(fn().Environment.Variables).toEqual({
      ...tables,
      VIGIL_TOKENIZATION_SECRET_ARN: { Ref: dev.logicalId(scoring.tokenizationKey) },
      VIGIL_TOKENIZATION_SECRET_VERSION: 'AWSCURRENT',
      VIGIL_EVENT_MAX_AHEAD_SECONDS: '60',
      VIGIL_ESCALATION_STATE_MACHINE_ARN: { Ref: dev.logicalId(dev.stack.escalation.stateMachine) },
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: 'vigil-scorer',
      POWERTOOLS_METRICS_NAMESPACE: 'Vigil',
    })
  })

  it('logs to its own KMS-encrypted log group with the retention from context', () => {
    expect(fn().LoggingConfig).toEqual({ LogGroup: { Ref: dev.logicalId(scoring.logGroup) } })
    expect(dev.resource(scoring.logGroup).Properties).toMatchObject({ RetentionInDays: 30, KmsKeyId: dev.arnOf(scoring.operationsKey) })
    const { resource, stack } = synth({ [contextKeys.logRetentionDays]: 365 })
    expect(resource(stack.scoring.logGroup).Properties.RetentionInDays).toBe(365)
  })

  it('lets CloudWatch Logs of this account and region, and nothing else outside the account, use the operations key', () => {
    const statements = dev.resource(scoring.operationsKey).Properties.KeyPolicy.Statement as Statement[]
    const logs = statements.filter((s) => JSON.stringify(s.Principal).includes('"logs.'))
    expect(logs).toHaveLength(1)
    // Step Functions' vended log delivery (execution logs of the encrypted case workflow) may decrypt only.
    const delivery = statements.filter((s) => JSON.stringify(s.Principal).includes('delivery.logs.amazonaws.com'))
    expect(delivery.map((s) => s.Action)).toEqual(['kms:Decrypt*'])
    expect(logs[0]).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
      Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': expect.anything() } },
    })
    expect(JSON.stringify(logs[0]!.Condition)).toContain(':log-group:*')
    expect(JSON.stringify(logs[0]!.Condition)).toContain('AWS::AccountId')
  })
})

describe('dead-letter queue', () => {
  it("is encrypted with the operations key, keeps messages 14 days, and exists once (and once for the label applier's mapping)", () => {
    dev.template.resourceCountIs('AWS::SQS::Queue', 2)
    expect(dev.resource(scoring.deadLetterQueue).Properties).toMatchObject({
      KmsMasterKeyId: dev.arnOf(scoring.operationsKey),
      MessageRetentionPeriod: 14 * 24 * 3600,
    })
  })

  it('refuses every request that is not over TLS', () => {
    const [, policy] = dev.ofType('AWS::SQS::QueuePolicy').find(([, p]) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: dev.logicalId(scoring.deadLetterQueue) }]))!
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sqs:*',
        Principal: { AWS: '*' },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        Resource: dev.arnOf(scoring.deadLetterQueue),
      }),
    )
  })
})

describe('tokenization secret', () => {
  it('is generated, 64 alphanumeric characters, under its own key', () => {
    dev.template.resourceCountIs('AWS::SecretsManager::Secret', 1)
    dev.template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0)
    const props = dev.resource(scoring.tokenizationKey).Properties
    expect(props.GenerateSecretString).toEqual({ PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false })
    expect(props.SecretString).toBeUndefined()
    expect(props.KmsKeyId).toEqual(dev.arnOf(scoring.secretKey))
    const others = [dev.stack.ingest.key, dev.stack.tables.key, scoring.operationsKey].map((key) => dev.logicalId(key))
    expect(others).not.toContain(dev.logicalId(scoring.secretKey))
    expect(dev.resource(scoring.secretKey).Properties.EnableKeyRotation).toBe(true)
  })

  it('is decryptable by the scorer role only, and only through Secrets Manager', () => {
    const statements = dev.resource(scoring.secretKey).Properties.KeyPolicy.Statement as Statement[]
    const roles = statements.filter((s) => JSON.stringify(s.Principal).includes('GetAtt'))
    expect(roles).toEqual([
      expect.objectContaining({
        Action: 'kms:Decrypt',
        Principal: { AWS: dev.arnOf(scoring.scorer.role!) },
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
      }),
    ])
  })
})

describe('scorer permissions', () => {
  const roleId = dev.logicalId(scoring.scorer.role!)
  const policies = dev.ofType('AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
  const statements = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[])
  const actions = (s: Statement) => [s.Action].flat()
  const resources = (s: Statement) => [s.Resource].flat()
  const on = (construct: Parameters<typeof dev.arnOf>[0]) =>
    statements.filter((s) => resources(s).some((r) => JSON.stringify(r) === JSON.stringify(dev.arnOf(construct)))).flatMap(actions)

  it('has one inline policy, no managed policies and only Allow statements', () => {
    expect(policies).toHaveLength(1)
    expect(dev.resource(scoring.scorer.role!).Properties.ManagedPolicyArns).toBeUndefined()
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true)
  })

  it('has no * actions: no "*", no "service:*"; the only wildcard suffixes are the KMS data-key ones grant* emits', () => {
    const all = statements.flatMap(actions)
    expect(all).not.toContain('*')
    expect(all.filter((a) => a.endsWith(':*'))).toEqual([])
    expect([...new Set(all.filter((a) => a.includes('*')))].sort()).toEqual(['kms:GenerateDataKey*', 'kms:ReEncrypt*'])
  })

  it('has no * resources but X-Ray tracing’s (no resource-level permissions): every other resource is a reference to one resource of this stack', () => {
    expect(statements.filter((s) => s.Resource === '*').map((s) => s.Action)).toEqual([['xray:PutTelemetryRecords', 'xray:PutTraceSegments']])
    const all = statements.filter((s) => s.Resource !== '*').flatMap(resources)
    expect(all.length).toBeGreaterThan(0)
    for (const resource of all) {
      expect(typeof resource).toBe('object')
      expect(JSON.stringify(resource)).toMatch(/^\{"(Fn::GetAtt|Ref)":/)
    }
  })

  it('reads and puts decisions, entity state and quarantine entries; reads rules and counts rule hits; no Scan or DeleteItem', () => {
    const { decisions, entityState, quarantine, rules } = dev.stack.tables
    expect(on(decisions).sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem'])
    expect(on(entityState).sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:PutItem'])
    expect(on(quarantine)).toEqual(['dynamodb:PutItem'])
    // UpdateItem: the ADD of rule hits (functions/aws/rule-stats-store.ts), which read-only grants refused.
    expect(on(rules).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'])
    expect(on(dev.stack.tables.key)).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']))
  })

  it('reads the secret, the stream (with its key), writes its logs and sends to the dead-letter queue', () => {
    expect(statements.filter((s) => JSON.stringify(s.Resource) === JSON.stringify({ Ref: dev.logicalId(scoring.tokenizationKey) })).flatMap(actions).sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ])
    expect(on(dev.stack.ingest.stream)).toEqual(expect.arrayContaining(['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:DescribeStreamSummary', 'kinesis:ListShards']))
    expect(on(dev.stack.ingest.key)).toEqual(['kms:Decrypt'])
    expect(on(scoring.logGroup).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents'])
    expect(on(scoring.deadLetterQueue)).toContain('sqs:SendMessage')
    expect(on(scoring.deadLetterQueue).filter((a) => a.startsWith('sqs:Receive') || a.startsWith('sqs:Delete'))).toEqual([])
  })

  it('grants nothing on the stream to anything but the scorer (and nothing on the secret key)', () => {
    const others = dev.ofType('AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties.Roles) !== JSON.stringify([{ Ref: roleId }]))
    const text = JSON.stringify(others)
    expect(text).not.toContain(dev.logicalId(dev.stack.ingest.stream))
    expect(text).not.toContain(dev.logicalId(scoring.secretKey))
    expect(text).not.toContain(dev.logicalId(scoring.tokenizationKey))
  })
})

describe('rules table seeding', () => {
  const ruleSetText = readFileSync(join(root, 'rules/default.json'), 'utf8')
  const tableRef = `<<${dev.logicalId(dev.stack.tables.rules)}>>`
  /** Resolves the Fn::Join of a custom resource's `Create` into the SDK call it carries. */
  const callOf = (resource: Resource) => {
    const parts = resource.Properties.Create['Fn::Join'][1] as unknown[]
    const text = parts.map((part) => (typeof part === 'string' ? part : `<<${(part as { Ref: string }).Ref}>>`)).join('')
    return JSON.parse(text) as { service: string; action: string; parameters: Record<string, any>; ignoreErrorCodesMatching?: string; physicalResourceId: unknown }
  }
  // An AwsCustomResource wraps a CustomResource, which wraps the CfnResource.
  const cfnOf = (seed: AwsCustomResource) => seed.node.defaultChild as CustomResource
  const version = () => dev.resource(cfnOf(scoring.seedRuleSetVersion))
  const seeds = () => dev.ofType('Custom::VigilRuleSetSeed')

  it('has two seeding resources, each run on create only', () => {
    expect(seeds()).toHaveLength(2)
    for (const [, seed] of seeds()) {
      expect(seed.Properties.Create).toBeDefined()
      expect(seed.Properties.Update).toBeUndefined()
      expect(seed.Properties.Delete).toBeUndefined()
      expect(seed.Properties.InstallLatestAwsSdk).toBe(false)
    }
  })

  it('puts the default rule set as version 1, once', () => {
    const call = callOf(version())
    expect(call).toMatchObject({ service: 'DynamoDB', action: 'putItem', ignoreErrorCodesMatching: 'ConditionalCheckFailedException' })
    expect(call.parameters.TableName).toBe(tableRef)
    expect(call.parameters.ConditionExpression).toBe('attribute_not_exists(#pk)')
    expect(call.parameters.ExpressionAttributeNames).toEqual({ '#pk': 'pk' })
    const item = call.parameters.Item
    expect(Object.keys(item).sort()).toEqual(['body', 'createdAt', 'pk', 'sk'])
    expect(item.pk).toEqual({ S: ruleSetItems.partition })
    expect(item.sk).toEqual({ S: ruleSetItems.versionSortKey(1) })
    expect(item.sk).toEqual({ S: 'version#0000000001' })
    expect(JSON.parse(item.body.S)).toEqual(JSON.parse(ruleSetText))
    expect(JSON.parse(item.body.S).version).toBe(1)
    expect(item.createdAt.S).toBe(defaultRuleSet.createdAt)
    expect(new Date(item.createdAt.S).toISOString()).toBe(item.createdAt.S)
  })

  it('then puts the active pointer to version 1 (a Number), once', () => {
    const pointer = dev.resource(cfnOf(scoring.seedActiveRuleSet))
    const call = callOf(pointer)
    expect(call).toMatchObject({ service: 'DynamoDB', action: 'putItem', ignoreErrorCodesMatching: 'ConditionalCheckFailedException' })
    expect(call.parameters.TableName).toBe(tableRef)
    expect(call.parameters.ConditionExpression).toBe('attribute_not_exists(#pk)')
    expect(call.parameters.Item).toEqual({ pk: { S: 'ruleset' }, sk: { S: ruleSetItems.activeSortKey }, version: { N: '1' } })
    expect(pointer.DependsOn).toContain(dev.logicalId(cfnOf(scoring.seedRuleSetVersion)))
  })

  it('may only PutItem on the rules table, use the tables key for it, and write its own log group', () => {
    const seedPolicies = dev.ofType('AWS::IAM::Policy').filter(([id]) => id.includes('CustomResourcePolicy'))
    expect(seedPolicies).toHaveLength(2)
    for (const [, policy] of seedPolicies) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual([
        { Action: 'dynamodb:PutItem', Effect: 'Allow', Resource: dev.arnOf(dev.stack.tables.rules) },
      ])
    }
    const providerRole = seedPolicies[0]![1].Properties.Roles
    const provider = dev
      .ofType('AWS::IAM::Policy')
      .filter(([id, p]) => !id.includes('CustomResourcePolicy') && JSON.stringify(p.Properties.Roles) === JSON.stringify(providerRole))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[])
    expect(provider).toEqual([
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: dev.arnOf(dev.stack.scoring.node.findChild('SeedLogs')) },
      expect.objectContaining({ Resource: dev.arnOf(dev.stack.tables.key) }),
    ])
    expect([provider[1]!.Action].flat().every((a) => a.startsWith('kms:'))).toBe(true)
  })

  it('seeds rules/default.json, which is version 1 (lib/scoring.ts refuses to synthesize otherwise)', () => {
    expect(defaultRuleSet.version).toBe(1)
    expect(JSON.parse(ruleSetText).version).toBe(defaultRuleSet.version)
  })
})

describe('bundled scorer (esbuild, as `cdk synth` does)', () => {
  it.skipIf(!existsSync(scorerEntry))('is one minified ESM file with a source map and a require shim, taking the AWS SDK from the runtime; the bench builds the same bytes', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'vigil-infra-'))
    tempDirs.push(outdir)
    const { app, json, logicalId, stack } = synth({}, { bundle: true, outdir })
    app.synth()
    const key = json.Resources[logicalId(stack.scoring.scorer)]!.Properties.Code.S3Key as string
    const asset = join(outdir, `asset.${key.replace(/\.zip$/, '')}`)
    expect(readdirSync(asset).sort()).toEqual(['index.mjs', 'index.mjs.map'])
    const code = readFileSync(join(asset, 'index.mjs'), 'utf8')
    expect(code.startsWith("import { createRequire } from 'module'; const require = createRequire(import.meta.url);")).toBe(true)
    // Every static import is a Node built-in or an AWS SDK v3 client the Node 24 runtime ships
    // (lib/node-function.ts says why the SDK is not bundled), and each of those is a dependency the
    // tests run against. Nothing else is left for the runtime to resolve: no @smithy/* either.
    // (Import statements of minified ESM start a line or follow a `;` or `}`.)
    const imports = [...code.matchAll(/(?:^|[;}\n])\s*import\s*(?:[\w$*{},\s]*?from\s*)?"([^"]+)"/g)].map((m) => m[1]!)
    expect(imports.length).toBeGreaterThan(0)
    const packages = [...new Set(imports.filter((specifier) => !specifier.startsWith('node:') && !/^[a-z_]+$/.test(specifier)))]
    expect(packages.filter((specifier) => !specifier.startsWith('@aws-sdk/'))).toEqual([])
    expect(packages).toContain('@aws-sdk/client-secrets-manager')
    const dependencies = Object.keys((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies)
    expect(packages.filter((specifier) => !dependencies.includes(specifier))).toEqual([])
    // No copy of the SDK inside: the services' protocol names, which minifying keeps, are absent.
    expect(code).not.toMatch(/DynamoDB_20120810|AWSStepFunctions|secretsmanager/)
    expect(code.length / code.split('\n').length).toBeGreaterThan(1000) // minified: long lines
    const map = JSON.parse(readFileSync(join(asset, 'index.mjs.map'), 'utf8')) as { sourcesContent?: unknown }
    expect(map.sourcesContent).toBeUndefined()
    // bench/cold-start.ts measures what ships: its direct esbuild build equals the asset.
    const benchOut = join(outdir, 'bench', 'index.mjs')
    await bundleLambda(lambdaBundling, relative(root, scorerEntry), benchOut)
    expect(readFileSync(benchOut, 'utf8')).toBe(code)
    expect(readFileSync(`${benchOut}.map`, 'utf8')).toBe(readFileSync(join(asset, 'index.mjs.map'), 'utf8'))
  }, 120_000)
})
