import * as iam from 'aws-cdk-lib/aws-iam'
import type { IConstruct } from 'constructs'
import { describe, expect, it } from 'vitest'
import { contextKeys } from '../../lib/config.ts'
import { synth, type Resource, type Statement } from '../support/synth.ts'

/** Where a statement comes from: an identity policy (what a role may do), a resource policy (who may use a resource) or a role's trust policy. */
type Kind = 'identity' | 'resource' | 'trust'
type Located = Statement & { kind: Kind; owner: string; ownerType: string }

/**
 * The only action wildcards an Allow statement may hold, and where: in identity policies, or in KMS
 * key policies. None is `*`, and `service:*` only as the key policies' account-root statement.
 */
const wildcardActions: Readonly<Record<string, { readonly identity: boolean; readonly keyPolicy: boolean }>> = {
  // The default key policy statement: the account (root) may use and administer the key, which is
  // what lets IAM policies grant its use at all; without it the key cannot be managed.
  'kms:*': { identity: false, keyPolicy: true },
  // CDK's grantEncryptDecrypt on one key ARN (table.grantReadWriteData, queue.grantSendMessages), and
  // the service statements of key policies (CloudWatch Logs, Secrets Manager, CloudWatch alarms):
  // the variants of one operation (GenerateDataKey[WithoutPlaintext|Pair…], ReEncryptFrom/To) on that key.
  'kms:GenerateDataKey*': { identity: true, keyPolicy: true },
  'kms:ReEncrypt*': { identity: true, keyPolicy: true },
  // CDK adds it to the operations key policy for delivery.logs.amazonaws.com (the state machine's logs).
  'kms:Decrypt*': { identity: false, keyPolicy: true },
}

/**
 * Actions that take no resource-level permissions, so AWS requires `Resource: *` for them; the only
 * ones an identity policy may grant on `*`.
 */
const unscopableActions: Readonly<Record<string, string>> = {
  'xray:PutTraceSegments': 'X-Ray tracing (the state machine; Lambda active tracing)',
  'xray:PutTelemetryRecords': 'X-Ray tracing',
  'xray:GetSamplingRules': 'X-Ray tracing (the state machine)',
  'xray:GetSamplingTargets': 'X-Ray tracing (the state machine)',
  // Step Functions' logging to CloudWatch Logs goes through the vended-log delivery APIs.
  'logs:CreateLogDelivery': 'state machine logging',
  'logs:GetLogDelivery': 'state machine logging',
  'logs:UpdateLogDelivery': 'state machine logging',
  'logs:DeleteLogDelivery': 'state machine logging',
  'logs:ListLogDeliveries': 'state machine logging',
  'logs:PutResourcePolicy': 'state machine logging',
  'logs:DescribeResourcePolicies': 'state machine logging',
  'logs:DescribeLogGroups': 'state machine logging',
}

/** The statements of every resource type that carries a policy; any other policy-like type is a finding. */
function statementsIn(resources: Record<string, Resource>): Located[] {
  return Object.entries(resources).flatMap(([owner, r]): Located[] => {
    const from = (kind: Kind, document: { Statement: Statement[] } | undefined) =>
      (document?.Statement ?? []).map((s): Located => ({ ...s, kind, owner, ownerType: r.Type }))
    switch (r.Type) {
      case 'AWS::IAM::Policy':
        return from('identity', r.Properties.PolicyDocument)
      case 'AWS::IAM::Role':
        return [
          ...from('trust', r.Properties.AssumeRolePolicyDocument),
          ...((r.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => from('identity', p.PolicyDocument)),
        ]
      case 'AWS::KMS::Key':
        return from('resource', r.Properties.KeyPolicy)
      case 'AWS::SQS::QueuePolicy':
      case 'AWS::SNS::TopicPolicy':
        return from('resource', r.Properties.PolicyDocument)
      case 'AWS::SecretsManager::ResourcePolicy':
        return from('resource', r.Properties.ResourcePolicy)
      case 'AWS::Lambda::Permission':
        return [{ Effect: 'Allow', Action: r.Properties.Action, Resource: r.Properties.FunctionName, Principal: r.Properties.Principal, kind: 'resource', owner, ownerType: r.Type }]
      default:
        return []
    }
  })
}
const handledTypes = ['AWS::IAM::Policy', 'AWS::IAM::Role', 'AWS::KMS::Key', 'AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy', 'AWS::SecretsManager::ResourcePolicy', 'AWS::Lambda::Permission']

const actionsOf = (s: Statement): string[] => [s.Action].flat()
const resourcesOf = (s: Statement): unknown[] => [s.Resource].flat()
const accountRoot = { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] } }
const trustedServices = ['lambda.amazonaws.com', 'states.amazonaws.com']

/** Every departure from least privilege in a template, one line each; none is the goal. */
function leastPrivilegeFindings(resources: Record<string, Resource>): string[] {
  const findings: string[] = []
  const types = [...new Set(Object.values(resources).map((r) => r.Type))]
  for (const type of types.filter((t) => /Policy|Permission|::IAM::|::KMS::Key$/.test(t) && !handledTypes.includes(t))) findings.push(`unchecked policy-bearing type ${type}`)
  for (const [id, r] of Object.entries(resources)) if (r.Type === 'AWS::IAM::Role' && r.Properties.ManagedPolicyArns) findings.push(`${id}: managed policies`)
  const ownIds = new Set(Object.keys(resources))

  for (const s of statementsIn(resources)) {
    const at = `${s.owner} (${s.kind})`
    const inKeyPolicy = s.ownerType === 'AWS::KMS::Key'
    if (s.Effect !== 'Allow') {
      // TLS-only policies deny every action over plain HTTP, and the tokenization secret's deny all
      // principals but those it names (lib/tokenization-secret.ts): the broader a deny, the safer.
      const tlsOnly = JSON.stringify(s.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } })
      const allBut = Object.keys(s.Condition ?? {}).join() === 'ArnNotLike' && Object.keys((s.Condition as { ArnNotLike: object }).ArnNotLike).join() === 'aws:PrincipalArn'
      if (!tlsOnly && !allBut) findings.push(`${at}: a Deny other than TLS-only or all principals but named ones`)
      continue
    }
    if (s.kind === 'trust') {
      const service = (s.Principal as { Service?: unknown }).Service
      if (s.Action !== 'sts:AssumeRole' || typeof service !== 'string' || !trustedServices.includes(service)) findings.push(`${at}: assumable by ${JSON.stringify(s.Principal)}`)
      continue
    }
    for (const action of actionsOf(s).filter((a) => a.includes('*'))) {
      const listed = wildcardActions[action]
      const allowed = listed !== undefined && (s.kind === 'identity' ? listed.identity : inKeyPolicy && listed.keyPolicy)
      if (!allowed || (action === 'kms:*' && JSON.stringify(s.Principal) !== JSON.stringify(accountRoot))) findings.push(`${at}: action ${action}`)
    }
    if (s.kind === 'resource' && (s.Principal === '*' || JSON.stringify(s.Principal).includes('"AWS":"*"'))) findings.push(`${at}: anyone may ${actionsOf(s).join(', ')}`)
    if (inKeyPolicy) continue // a key policy's Resource is always *: this key
    for (const resource of resourcesOf(s)) {
      if (resource === '*') {
        for (const action of actionsOf(s).filter((a) => unscopableActions[a] === undefined)) findings.push(`${at}: ${action} on *`)
        continue
      }
      // grant* on exact resources: the ARN names a resource of this stack.
      const referenced = [...JSON.stringify(resource).matchAll(/"(?:Ref|Fn::GetAtt)":\[?"([A-Za-z0-9]+)"/g)].map((m) => m[1]!)
      if (!referenced.some((id) => ownIds.has(id))) findings.push(`${at}: ${actionsOf(s).join(', ')} on ${JSON.stringify(resource)}, not a resource of this stack`)
    }
  }
  return findings
}

const templates = {
  dev: synth(),
  // Every optional resource present: provisioned stream, CORS, both e-mail subscriptions, retained resources.
  prod: synth({
    [contextKeys.stage]: 'prod',
    [contextKeys.shardCount]: '2',
    [contextKeys.corsOrigins]: 'https://vigil.example.com',
    [contextKeys.supervisorEmail]: 'supervisors@example.com',
    [contextKeys.alarmEmail]: 'oncall@example.com',
  }),
}

describe('least privilege', () => {
  it.each(Object.entries(templates))('the %s template: no * or service:* action, * resources only where AWS requires them, grants on exact resources', (_, app) => {
    expect(statementsIn(app.json.Resources).filter((s) => s.kind === 'identity').length).toBeGreaterThan(20)
    expect(leastPrivilegeFindings(app.json.Resources)).toEqual([])
  })

  it('finds each kind of departure', () => {
    const loose = synth(
      {},
      {
        extend: (stack) => {
          const role = new iam.Role(stack, 'LooseRole', { assumedBy: new iam.AccountRootPrincipal(), managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess')] })
          role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['arn:aws:s3:::somebody-elses-bucket'] }))
          role.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:GetItem', 'xray:PutTraceSegments'], resources: ['*'] }))
          stack.scoring.deadLetterQueue.addToResourcePolicy(new iam.PolicyStatement({ principals: [new iam.AnyPrincipal()], actions: ['sqs:SendMessage'], resources: [stack.scoring.deadLetterQueue.queueArn] }))
          stack.ingest.key.addToResourcePolicy(new iam.PolicyStatement({ principals: [new iam.ServicePrincipal('logs.amazonaws.com')], actions: ['kms:*'], resources: ['*'] }))
        },
      },
    )
    const id = (construct: IConstruct) => loose.logicalId(construct)
    const looseRole = loose.stack.node.findChild('LooseRole')
    const policy = id(looseRole.node.findChild('DefaultPolicy'))
    expect(leastPrivilegeFindings(loose.json.Resources).sort()).toEqual(
      [
        `${id(looseRole)}: managed policies`,
        `${id(looseRole)} (trust): assumable by ${JSON.stringify(loose.json.Resources[id(looseRole)]!.Properties.AssumeRolePolicyDocument.Statement[0].Principal)}`,
        `${policy} (identity): action s3:*`,
        `${policy} (identity): s3:* on "arn:aws:s3:::somebody-elses-bucket", not a resource of this stack`,
        `${policy} (identity): dynamodb:GetItem on *`,
        `${id(loose.stack.scoring.deadLetterQueue.node.findChild('Policy'))} (resource): anyone may sqs:SendMessage`,
        `${id(loose.stack.ingest.key)} (resource): action kms:*`,
      ].sort(),
    )
  })
})

describe('the dev template', () => {
  const app = templates.dev
  const resources = app.json.Resources
  const statements = statementsIn(resources)

  it('uses every listed wildcard action and unscopable action, so the lists stay exact', () => {
    const actions = new Set(statements.filter((s) => s.Effect === 'Allow').flatMap(actionsOf))
    expect(Object.keys(wildcardActions).filter((a) => !actions.has(a))).toEqual([])
    expect(Object.keys(unscopableActions).filter((a) => !actions.has(a))).toEqual([])
  })

  it('lets API Gateway invoke the API function only from this API, Cognito the token trigger only from this user pool, and EventBridge the label sweep only from its schedule', () => {
    const all = statements.filter((s) => s.ownerType === 'AWS::Lambda::Permission')
    const cognito = all.filter((s) => s.Principal === 'cognito-idp.amazonaws.com')
    expect(cognito.map((s) => [s.Action, s.Resource, resources[s.owner]!.Properties.SourceArn])).toEqual([
      ['lambda:InvokeFunction', app.arnOf(app.stack.caseApi.tokenScopes), app.arnOf(app.stack.caseApi.userPool)],
    ])
    const schedule = all.filter((s) => s.Principal === 'events.amazonaws.com')
    const rule = app.stack.labels.node.findChild('SweepSchedule') as never
    expect(schedule.map((s) => [s.Action, s.Resource, resources[s.owner]!.Properties.SourceArn])).toEqual([['lambda:InvokeFunction', app.arnOf(app.stack.labels.sweep), app.arnOf(rule)]])
    const permissions = all.filter((s) => !cognito.includes(s) && !schedule.includes(s))
    expect(permissions.length).toBeGreaterThan(0)
    for (const s of permissions) {
      expect(s).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' })
      expect(JSON.stringify(resources[s.owner]!.Properties.SourceArn)).toContain(app.logicalId(app.stack.caseApi.api))
    }
  })
})

describe('roles', () => {
  const dev = templates.dev
  const { scoring, escalation, caseApi, labels } = dev.stack

  it('are exactly eight: scorer, rules seeding, label applier, label sweep, case tasks, case workflow, case API, token scopes trigger', () => {
    const roles = dev.ofType('AWS::IAM::Role').map(([id]) => id).sort()
    const expected = [scoring.scorer.role!, scoring.node.findChild('SeedRole'), labels.applier.role!, labels.sweep.role!, escalation.caseTasks.role!, escalation.stateMachine.role, caseApi.handler.role!, caseApi.tokenScopes.role!]
    expect(roles).toEqual(expected.map((role) => dev.logicalId(role)).sort())
  })

  it('the case workflow may use the operations key only for its own executions: the encryption context names its ARN', () => {
    const machine = dev.resource(escalation.stateMachine).Properties
    expect(machine.StateMachineName).toBe('Vigil-dev-case-workflow')
    const statement = dev.statementsOf(dev.logicalId(escalation.stateMachine.role)).find((s) => actionsOf(s).includes('kms:Decrypt'))
    expect(statement?.Resource).toEqual(dev.arnOf(scoring.operationsKey))
    expect(statement?.Condition).toEqual({
      StringEquals: {
        'kms:EncryptionContext:aws:states:stateMachineArn': {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':stateMachine:Vigil-dev-case-workflow']],
        },
      },
    })
  })

  it('the rules seeding writes its own log group and puts into the rules table, without the AWSLambdaBasicExecutionRole managed policy', () => {
    const seedRole = dev.logicalId(scoring.node.findChild('SeedRole'))
    expect(dev.json.Resources[seedRole]!.Properties.ManagedPolicyArns).toBeUndefined()
    const granted = dev.statementsOf(seedRole).map((s) => ({ actions: actionsOf(s).sort(), resource: s.Resource }))
    expect(granted).toEqual(
      expect.arrayContaining([
        { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resource: dev.arnOf(scoring.node.findChild('SeedLogs')) },
        { actions: ['dynamodb:PutItem'], resource: dev.arnOf(dev.stack.tables.rules) },
      ]),
    )
    const provider = dev.ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('AWS679f53fac002430cb0da5b7982bd2287'))
    expect(provider?.[1].Properties.Role).toEqual({ 'Fn::GetAtt': [seedRole, 'Arn'] })
  })
})

describe('table grants', () => {
  const dev = templates.dev
  const { tables, scoring, escalation, caseApi, labels } = dev.stack
  const seedRole = scoring.node.findChild('SeedRole') as iam.IRole

  /** The DynamoDB actions a role may take on a table (its ARN or its indexes'), sorted. */
  const dynamoActions = (role: IConstruct, table: IConstruct): string[] => {
    const table_ = `"${dev.logicalId(table as never)}"`
    const statements = dev.statementsOf(dev.logicalId(role as never)).filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Resource).includes(table_))
    return [...new Set(statements.flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:')))].sort()
  }
  const only = (...actions: string[]) => actions.map((a) => `dynamodb:${a}`).sort()

  // What each function's code calls (functions/aws/*-store.ts, case-queries.ts, rule-admin.ts), and
  // nothing more: no Scan, no DeleteItem, no BatchWriteItem anywhere.
  it.each([
    ['the scorer', () => scoring.scorer.role!, { decisions: only('BatchGetItem', 'GetItem', 'PutItem'), entityState: only('BatchGetItem', 'PutItem'), quarantine: only('PutItem'), rules: only('GetItem', 'Query', 'UpdateItem'), cases: [] }],
    ['the case tasks', () => escalation.caseTasks.role!, { cases: only('GetItem', 'PutItem', 'UpdateItem'), decisions: [], rules: [], labels: [], entityState: [], quarantine: [] }],
    ['the label sweep', () => labels.sweep.role!, { labels: only('PutItem', 'Query'), decisions: only('BatchGetItem'), entityState: [], rules: [], quarantine: [], cases: [] }],
    ['the label applier', () => labels.applier.role!, { labels: only('BatchGetItem', 'PutItem'), decisions: only('BatchGetItem'), entityState: only('BatchGetItem', 'PutItem'), rules: only('GetItem', 'Query', 'UpdateItem'), quarantine: only('PutItem'), cases: [] }],
    ['the case API', () => caseApi.handler.role!, { cases: only('GetItem', 'Query', 'UpdateItem'), decisions: only('BatchGetItem', 'GetItem'), rules: only('GetItem', 'PutItem', 'Query', 'UpdateItem'), labels: only('BatchGetItem'), entityState: [], quarantine: [] }],
    ['the rules seeding', () => seedRole, { rules: only('PutItem'), decisions: [], entityState: [], quarantine: [], cases: [] }],
  ] as const)('%s: exactly the table actions it calls', (_name, role, expected) => {
    for (const [table, actions] of Object.entries(expected)) expect([table, dynamoActions(role(), tables[table as keyof typeof expected])]).toEqual([table, actions])
  })

  it('no role may Scan or BatchWriteItem any table; only the case workflow deletes, a card from the block list in the rules table', () => {
    const granted = statementsIn(dev.json.Resources).filter((s) => s.kind === 'identity' && s.Effect === 'Allow')
    expect(granted.flatMap(actionsOf).filter((a) => ['dynamodb:Scan', 'dynamodb:BatchWriteItem', 'dynamodb:*'].includes(a))).toEqual([])
    const deletes = granted.filter((s) => actionsOf(s).includes('dynamodb:DeleteItem'))
    expect(deletes.map((s) => s.owner)).toEqual([dev.logicalId(escalation.stateMachine.role.node.findChild('DefaultPolicy') as never)])
    expect(JSON.stringify(deletes[0]!.Resource)).toContain(`{"Ref":"${dev.logicalId(tables.rules)}"}`)
  })
})
