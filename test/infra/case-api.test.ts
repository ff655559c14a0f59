import { App } from 'aws-cdk-lib'
import { describe, expect, it } from 'vitest'
import { labelStreamEnvVar } from '../../functions/aws/service-names.ts'
import { caseApiRoutes, labelsWriteScope, routeKey } from '../../functions/case-api/routes.ts'
import { caseApiEntry, caseApiGroups } from '../../lib/case-api.ts'
import { caseApiDefaults, contextKeys, readVigilConfig } from '../../lib/config.ts'
import { tableSchemas } from '../../lib/table-schema.ts'
import { cdkJson, synth, type Statement } from '../support/synth.ts'

const dev = synth()
const api = dev.stack.caseApi
const ref = (construct: { node: { defaultChild?: unknown } }) => ({ Ref: dev.logicalId(construct) })

describe('routes and the JWT authorizer', () => {
  const routes = () => dev.ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties)

  it('registers exactly the routes of caseApiRoutes, and no $default catch-all', () => {
    expect(routes().map((r) => r.RouteKey).sort()).toEqual(caseApiRoutes.map(routeKey).sort())
    expect(routes().map((r) => r.RouteKey)).not.toContain('$default')
    for (const r of routes()) expect(r.ApiId).toEqual(ref(api.api))
  })

  it('puts a JWT authorizer on every route: no route without authorization; the one admitting machine clients only where they may call', () => {
    const byKey = new Map(routes().map((r) => [r.RouteKey, r]))
    expect(routes().length).toBeGreaterThan(0)
    for (const r of routes()) expect(r.AuthorizationType).toBe('JWT')
    // Each route takes its role's scope, which only a user's access token carries (ID tokens have
    // none), and a machine client's scope where it may call: POST /labels alone.
    const authorizerName = new Map(dev.ofType('AWS::ApiGatewayV2::Authorizer').map(([id, a]) => [id, a.Properties.Name]))
    for (const route of caseApiRoutes) {
      const r = byKey.get(routeKey(route))!
      expect([routeKey(route), authorizerName.get(r.AuthorizerId.Ref), r.AuthorizationScopes]).toEqual([
        routeKey(route),
        route.clientScope === undefined ? 'cognito-analysts' : 'cognito-analysts-and-feeds',
        [`vigil-api/${route.role}`, ...(route.clientScope === undefined ? [] : [route.clientScope])],
      ])
    }
    expect(caseApiRoutes.filter((route) => route.clientScope !== undefined).map(routeKey)).toEqual(['POST /labels'])
    expect(caseApiRoutes.find((route) => route.clientScope !== undefined)?.clientScope).toBe(labelsWriteScope)
    // The authorizer is also the API's default, so a route added later cannot be left open.
    expect(api.api.defaultAuthorizer).toBe(api.authorizer)
  })

  it('keeps every route behind the authorizer when CORS is configured: preflights are answered by API Gateway, not by an open route', () => {
    const withCors = synth({ [contextKeys.corsOrigins]: 'https://vigil.example.com' })
    const corsRoutes = withCors.ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties)
    expect(corsRoutes.map((r) => r.RouteKey).sort()).toEqual(caseApiRoutes.map(routeKey).sort())
    for (const r of corsRoutes) expect(r.AuthorizationType).toBe('JWT')
  })

  it('trusts the user pool as issuer and its app client as the only audience, from the Authorization header; the label feed client only on the machine routes', () => {
    const authorizers = new Map(dev.ofType('AWS::ApiGatewayV2::Authorizer').map(([, a]) => [a.Properties.Name, a.Properties]))
    expect([...authorizers.keys()].sort()).toEqual(['cognito-analysts', 'cognito-analysts-and-feeds'])
    const common = {
      AuthorizerType: 'JWT',
      ApiId: ref(api.api),
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: { 'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', ref(api.userPool)]] } },
    }
    expect(authorizers.get('cognito-analysts')).toMatchObject(common)
    expect(authorizers.get('cognito-analysts')!.JwtConfiguration.Audience).toEqual([ref(api.userPoolClient)])
    expect(authorizers.get('cognito-analysts-and-feeds')).toMatchObject(common)
    expect(authorizers.get('cognito-analysts-and-feeds')!.JwtConfiguration.Audience).toEqual([ref(api.userPoolClient), ref(api.labelFeedClient)])
  })

  it('sends every route to the case API Lambda with payload format 2.0, each invoke permission scoped to its route', () => {
    const [integrationId, integration] = dev.only('AWS::ApiGatewayV2::Integration')
    expect(integration.Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: dev.arnOf(api.handler),
    })
    for (const r of routes()) expect(r.Target).toEqual({ 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] })
    const permissions = dev.ofType('AWS::Lambda::Permission').map(([, p]) => p.Properties).filter((p) => JSON.stringify(p.FunctionName).includes(dev.logicalId(api.handler)))
    expect(permissions).toHaveLength(caseApiRoutes.length)
    for (const permission of permissions) expect(permission.Principal).toBe('apigateway.amazonaws.com')
    // arn:…:execute-api:<region>:<account>:<api id>/*/*<route path>: this API, any stage, that route's path only.
    const scopes = permissions.map((p) => {
      const parts = p.SourceArn['Fn::Join'][1] as unknown[]
      expect(parts).toContainEqual(ref(api.api))
      return parts.at(-1)
    })
    expect(scopes.sort()).toEqual(caseApiRoutes.map((r) => `/*/*${r.path}`).sort())
  })
})

describe('user pool', () => {
  it('admits only users an administrator creates, with a strong password policy and TOTP MFA required', () => {
    const pool = dev.resource(api.userPool).Properties
    expect(pool.AdminCreateUserConfig.AllowAdminCreateUserOnly).toBe(true)
    expect(pool.Policies.PasswordPolicy).toEqual({
      MinimumLength: 14,
      RequireLowercase: true,
      RequireUppercase: true,
      RequireNumbers: true,
      RequireSymbols: true,
      TemporaryPasswordValidityDays: 3,
    })
    expect(pool.MfaConfiguration).toBe('ON')
    expect(pool.EnabledMfas).toEqual(['SOFTWARE_TOKEN_MFA'])
    expect(pool.SmsConfiguration).toBeUndefined()
  })

  it('is on the Essentials plan (access-token scopes) with no threat protection (advanced security) to pay for', () => {
    const pool = dev.resource(api.userPool).Properties
    expect(pool.UserPoolTier).toBe('ESSENTIALS')
    expect(pool.UserPoolAddOns).toBeUndefined()
  })

  it('adds the role scopes of the resource server vigil-api to access tokens by a version-2 pre-token-generation trigger, which may only write its logs', () => {
    const pool = dev.resource(api.userPool).Properties
    expect(pool.LambdaConfig.PreTokenGenerationConfig).toEqual({ LambdaArn: dev.arnOf(api.tokenScopes), LambdaVersion: 'V2_0' })
    const [, server] = dev.only('AWS::Cognito::UserPoolResourceServer')
    expect(server.Properties).toMatchObject({ Identifier: 'vigil-api', UserPoolId: ref(api.userPool) })
    expect(server.Properties.Scopes.map((s: { ScopeName: string }) => s.ScopeName).sort()).toEqual(['analyst', 'labels.write', 'supervisor'])
    const granted = dev.statementsOf(dev.logicalId(api.tokenScopes.role!)).flatMap((s) => [s.Action].flat()).sort()
    expect(granted).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'])
    expect(dev.resource(api.tokenScopes).Properties.Environment.Variables).not.toHaveProperty(tableSchemas.cases.envVar)
  })

  it('has the groups analyst and supervisor, supervisor taking precedence', () => {
    const groups = dev.ofType('AWS::Cognito::UserPoolGroup').map(([, g]) => g.Properties)
    expect(groups.map((g) => g.GroupName).sort()).toEqual(['analyst', 'supervisor'])
    expect(Object.keys(caseApiGroups).sort()).toEqual(['analyst', 'supervisor'])
    for (const group of groups) expect(group.UserPoolId).toEqual(ref(api.userPool))
    const precedence = Object.fromEntries(groups.map((g) => [g.GroupName, g.Precedence]))
    expect(precedence.supervisor).toBeLessThan(precedence.analyst)
  })

  it('has one app client for people, without a secret, signing in by SRP (or by password on the dev stage only), with no OAuth flows', () => {
    const appClient = (app: ReturnType<typeof synth>) => app.resource(app.stack.caseApi.userPoolClient)
    expect(appClient(synth({ [contextKeys.stage]: 'prod' })).Properties.ExplicitAuthFlows).toEqual(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'])
    expect(appClient(synth({ [contextKeys.stage]: 'staging' })).Properties.ExplicitAuthFlows).not.toContain('ALLOW_USER_PASSWORD_AUTH')
    const client = appClient(dev)
    expect(client.Properties).toMatchObject({
      UserPoolId: ref(api.userPool),
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      AllowedOAuthFlowsUserPoolClient: false,
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
      AccessTokenValidity: 60,
      IdTokenValidity: 60,
    })
    expect(client.Properties.AllowedOAuthFlows).toBeUndefined()
    expect(client.Properties.CallbackURLs).toBeUndefined()
  })

  it('has one machine client, for label feeds: client credentials with a secret, the labels.write scope alone, no sign-in flows', () => {
    const clients = dev.ofType('AWS::Cognito::UserPoolClient').map(([id]) => id)
    expect(clients.sort()).toEqual([dev.logicalId(api.labelFeedClient), dev.logicalId(api.userPoolClient)].sort())
    const feed = dev.resource(api.labelFeedClient).Properties
    expect(feed).toMatchObject({
      UserPoolId: ref(api.userPool),
      GenerateSecret: true,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthScopes: [{ 'Fn::Join': ['', [ref(api.resourceServer), '/labels.write']] }],
      EnableTokenRevocation: true,
      AccessTokenValidity: 60,
    })
    expect(feed.ExplicitAuthFlows ?? []).toEqual([])
    expect(feed.CallbackURLs).toBeUndefined()
  })

  it('has a Cognito prefix domain from the stack name and account, whose token endpoint and the feed client id are outputs', () => {
    const [, domain] = dev.only('AWS::Cognito::UserPoolDomain')
    expect(domain.Properties).toEqual({ UserPoolId: ref(api.userPool), Domain: { 'Fn::Join': ['-', ['vigil-dev', { Ref: 'AWS::AccountId' }]] } })
    const outputs = Object.values(dev.json.Outputs ?? {}) as Array<{ Value: unknown }>
    expect(outputs.map((o) => o.Value)).toContainEqual(ref(api.labelFeedClient))
    expect(JSON.stringify(outputs)).toContain('/oauth2/token')
  })

  it('is destroyed with a dev stack, and retained and deletion-protected in prod', () => {
    expect(dev.resource(api.userPool)).toMatchObject({ DeletionPolicy: 'Delete', Properties: { DeletionProtection: 'INACTIVE' } })
    const prod = synth({ [contextKeys.stage]: 'prod' })
    expect(prod.resource(prod.stack.caseApi.userPool)).toMatchObject({ DeletionPolicy: 'Retain', Properties: { DeletionProtection: 'ACTIVE' } })
  })
})

describe('case API function', () => {
  const fn = () => dev.resource(api.handler).Properties

  it('runs functions/case-api/handler.ts on nodejs24.x arm64, timing out well before the integration does', () => {
    expect(caseApiEntry).toMatch(/functions\/case-api\/handler\.ts$/)
    expect(fn()).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler', MemorySize: 512, Timeout: 10 })
    const [, integration] = dev.only('AWS::ApiGatewayV2::Integration')
    expect(fn().Timeout * 1000).toBeLessThan(integration.Properties.TimeoutInMillis ?? 30_000)
  })

  it('gets the cases, decisions, rules and labels table names, the labels stream name and the state machine ARN', () => {
    expect(fn().Environment.Variables).toEqual({
      [tableSchemas.cases.envVar]: ref(dev.stack.tables.cases),
      [tableSchemas.decisions.envVar]: ref(dev.stack.tables.decisions),
      [tableSchemas.rules.envVar]: ref(dev.stack.tables.rules),
      [tableSchemas.labels.envVar]: ref(dev.stack.tables.labels),
      [labelStreamEnvVar]: ref(dev.stack.labels.stream),
      VIGIL_ESCALATION_STATE_MACHINE_ARN: ref(dev.stack.escalation.stateMachine),
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: 'vigil-case-api',
      POWERTOOLS_METRICS_NAMESPACE: 'Vigil',
    })
  })

  it('has its own role with exact grants: no * action, no * resource but X-Ray’s (which has no resource-level permissions), no managed policy', () => {
    const roleId = dev.logicalId(api.handler.role!)
    expect(fn().Role).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] })
    const role = dev.json.Resources[roleId]!.Properties
    expect(role.ManagedPolicyArns).toBeUndefined()
    expect(role.Policies).toBeUndefined()
    const statements = dev.statementsOf(roleId)
    expect(statements.length).toBeGreaterThan(0)
    for (const s of statements) {
      expect(s.Effect).toBe('Allow')
      for (const action of [s.Action].flat()) expect(action).not.toMatch(/^\*$|:\*$/)
      if (s.Resource === '*') expect(s.Action).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments'])
      else for (const resource of [s.Resource].flat()) expect(resource).not.toBe('*')
    }
  })

  it('may update cases and write rules, only read decisions and label items, put labels on their stream, resume the workflow, and nothing else', () => {
    const statements = dev.statementsOf(dev.logicalId(api.handler.role!))
    const on = (resource: unknown) => statements.filter((s) => JSON.stringify(s.Resource).includes(JSON.stringify(resource)))
    const actions = (list: Statement[]) => list.flatMap((s) => [s.Action].flat())
    const tables = dev.stack.tables
    // Exactly the calls of the handler (test/infra/iam.test.ts checks every role the same way).
    expect(actions(on(dev.arnOf(tables.cases))).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'])
    expect(actions(on(dev.arnOf(tables.rules))).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'])
    expect(actions(on(dev.arnOf(tables.decisions))).sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem'])
    expect(actions(on(dev.arnOf(tables.labels)))).toEqual(['dynamodb:BatchGetItem'])
    // PutRecords alone (not PutRecord or ListShards), and of the stream's key what a producer needs.
    expect(actions(on({ 'Fn::GetAtt': [dev.logicalId(dev.stack.labels.stream), 'Arn'] }))).toEqual(['kinesis:PutRecords'])
    expect(actions(on(dev.arnOf(tables.key)))).toContain('kms:GenerateDataKey')
    expect(actions(on(ref(dev.stack.escalation.stateMachine))).sort()).toEqual(['states:SendTaskFailure', 'states:SendTaskHeartbeat', 'states:SendTaskSuccess'])
    // Every statement is about its log group, the three tables (and the cases index), the tables key or the workflow.
    const allowed = [api.logGroup, tables.cases, tables.decisions, tables.rules, tables.labels, dev.stack.labels.stream, tables.key, dev.stack.escalation.stateMachine].map((c) => dev.logicalId(c))
    for (const s of statements.filter((s) => s.Resource !== '*')) {
      for (const resource of [s.Resource].flat()) expect(allowed.some((id) => JSON.stringify(resource).includes(`"${id}"`))).toBe(true)
    }
    for (const untouched of [tables.entityState, tables.quarantine, dev.stack.ingest.stream, dev.stack.scoring.tokenizationKey, dev.stack.ingest.key]) {
      expect(JSON.stringify(statements)).not.toContain(dev.logicalId(untouched))
    }
  })
})

describe('logs', () => {
  it('encrypts the function’s log group and the access log group with the operations key', () => {
    for (const group of [api.logGroup, api.accessLogGroup]) {
      expect(dev.resource(group).Properties).toMatchObject({ KmsKeyId: dev.arnOf(dev.stack.scoring.operationsKey), RetentionInDays: 30 })
    }
    expect(dev.resource(api.handler).Properties.LoggingConfig).toEqual({ LogGroup: ref(api.logGroup) })
  })

  it('writes JSON access logs of the $default stage without tokens, bodies or query strings', () => {
    const [, stage] = dev.only('AWS::ApiGatewayV2::Stage')
    expect(stage.Properties).toMatchObject({ StageName: '$default', AutoDeploy: true, ApiId: ref(api.api) })
    expect(stage.Properties.AccessLogSettings.DestinationArn).toEqual(dev.arnOf(api.accessLogGroup))
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format)
    expect(format).toMatchObject({ requestId: '$context.requestId', routeKey: '$context.routeKey', status: '$context.status', authorizerError: '$context.authorizer.error' })
    expect(stage.Properties.AccessLogSettings.Format).not.toMatch(/header|body|querystring|authorization/i)
    // A path's ids are the caller's text, which can be a card number.
    expect(format).not.toHaveProperty('path')
  })
})

describe('stage throttling', () => {
  it('throttles the stage at 50 requests/s with bursts of 100 by default', () => {
    expect(dev.only('AWS::ApiGatewayV2::Stage')[1].Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 })
  })

  it('takes its limits from context', () => {
    const { only } = synth({ [contextKeys.apiThrottleRateLimit]: '200', [contextKeys.apiThrottleBurstLimit]: 400 })
    expect(only('AWS::ApiGatewayV2::Stage')[1].Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 })
  })

  it.each([
    [{ [contextKeys.apiThrottleRateLimit]: '0' }, /vigil:apiThrottleRateLimit must be an integer from 1 to 10000/],
    [{ [contextKeys.apiThrottleBurstLimit]: '5001' }, /vigil:apiThrottleBurstLimit must be an integer from 1 to 5000/],
  ])('refuses invalid limits %j', (context, message) => {
    expect(() => synth(context)).toThrow(message)
  })
})

describe('CORS', () => {
  it('has no CORS configuration by default: no browser origin may call the API', () => {
    expect(cdkJson.context[contextKeys.corsOrigins]).toEqual([])
    expect(dev.only('AWS::ApiGatewayV2::Api')[1].Properties.CorsConfiguration).toBeUndefined()
  })

  it.each([
    ['a JSON array', ['https://vigil.example.com', 'http://localhost:5173']],
    ['a CLI string', 'https://vigil.example.com, http://localhost:5173'],
    ['a CLI JSON string', '["https://vigil.example.com","http://localhost:5173"]'],
  ])('allows exactly the origins of vigil:corsOrigins given as %s, for the routes’ methods and the Authorization header', (_, origins) => {
    const { only } = synth({ [contextKeys.corsOrigins]: origins })
    expect(only('AWS::ApiGatewayV2::Api')[1].Properties.CorsConfiguration).toEqual({
      AllowOrigins: ['https://vigil.example.com', 'http://localhost:5173'],
      AllowMethods: [...new Set(caseApiRoutes.map((r) => r.method))],
      AllowHeaders: ['authorization', 'content-type'],
      AllowCredentials: false,
      MaxAge: 3600,
    })
  })

  it.each(['*', 'https://*.example.com', 'https://vigil.example.com/', 'https://vigil.example.com/app', 'http://vigil.example.com', 'vigil.example.com', 'HTTPS://VIGIL.EXAMPLE.COM'])(
    'refuses the origin %j',
    (origin) => {
      expect(() => synth({ [contextKeys.corsOrigins]: [origin] })).toThrow(/vigil:corsOrigins/)
    },
  )

  it('matches the defaults written in cdk.json and lib/config.ts', () => {
    expect(cdkJson.context).toMatchObject({
      [contextKeys.corsOrigins]: caseApiDefaults.corsOrigins,
      [contextKeys.apiThrottleRateLimit]: caseApiDefaults.throttle.rateLimit,
      [contextKeys.apiThrottleBurstLimit]: caseApiDefaults.throttle.burstLimit,
    })
    // The default stage is the disposable one, the only stage that allows password sign-in.
    expect(readVigilConfig(new App({ context: { 'aws:cdk:bundling-stacks': [] } }).node).caseApi).toEqual({ ...caseApiDefaults, passwordSignIn: true })
  })
})

describe('outputs', () => {
  it('gives the API URL, the user pool id and the app client id', () => {
    expect(dev.json.Outputs.CaseApiUrl!.Value).toEqual({
      'Fn::Join': ['', ['https://', ref(api.api), '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/']],
    })
    expect(dev.json.Outputs.UserPoolId!.Value).toEqual(ref(api.userPool))
    expect(dev.json.Outputs.UserPoolClientId!.Value).toEqual(ref(api.userPoolClient))
  })
})
