import { fileURLToPath } from 'node:url'
import { Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib'
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway'
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2'
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers'
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations'
import * as cognito from 'aws-cdk-lib/aws-cognito'
import * as iam from 'aws-cdk-lib/aws-iam'
import type * as kinesis from 'aws-cdk-lib/aws-kinesis'
import type * as kms from 'aws-cdk-lib/aws-kms'
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs'
import * as logs from 'aws-cdk-lib/aws-logs'
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions'
import { Construct } from 'constructs'
import { apiResourceServer, caseApiRoutes, labelsWriteScope, roleScope, type CaseApiRole } from '../functions/case-api/routes.ts'
import type { CaseApiConfig } from './config.ts'
import { acknowledge, arnInFinding, grantsPolicyOf, keyGrantWildcards } from './nag.ts'
import { nodeFunction } from './node-function.ts'
import { tableSchemas } from './table-schema.ts'
import type { Tables } from './tables.ts'
import { labelStreamEnvVar, serviceNames } from '../functions/aws/service-names.ts'

/** The API handler's entry (exports `handler`); its routes are `caseApiRoutes`. */
export const caseApiEntry = fileURLToPath(new URL('../functions/case-api/handler.ts', import.meta.url))
/** The user pool's pre-token-generation trigger: the role scopes of a user's groups into the access token. */
export const tokenScopesEntry = fileURLToPath(new URL('../functions/case-api/token-scopes.ts', import.meta.url))

/**
 * The user pool's groups, one per role (the group name is the role); the handler reads them from
 * `cognito:groups`. Precedence: the lower number wins where Cognito picks one group (a role ARN).
 */
export const caseApiGroups: Readonly<Record<CaseApiRole, { readonly description: string; readonly precedence: number }>> = {
  supervisor: { description: 'Supervisors: everything analysts do, decide any case and escalated ones, upload rule sets, approve each other\'s activations', precedence: 1 },
  analyst: { description: 'Analysts: review, claim, note and decide cases until they escalate; read decisions and rules', precedence: 2 },
}

export interface CaseApiProps {
  readonly tables: Tables
  /** The case workflow the API resumes (SendTaskSuccess with the analyst's verdict). */
  readonly stateMachine: sfn.IStateMachine
  /** The labels stream POST /labels writes to (lib/labels.ts). */
  readonly labelStream: kinesis.IStream
  /** Encrypts the function's and the access log groups (operational data, never cardholder data). */
  readonly operationsKey: kms.IKey
  readonly settings: CaseApiConfig
  readonly logRetention: logs.RetentionDays
  /** Applied to the user pool and the log groups; RETAIN also protects the user pool from deletion. */
  readonly removalPolicy: RemovalPolicy
}

/**
 * The analysts' case-review API: an API Gateway HTTP API whose every route requires a JWT from the
 * analysts' Cognito user pool, in front of one Lambda that serves all routes.
 *
 * - **Users.** A user pool only administrators add users to (no self sign-up), with a 14-character
 *   password policy, TOTP MFA required (a password alone never opens fraud cases and PAN-derived
 *   data; no SMS: that would need an SNS role and a sending budget, and is the weaker factor),
 *   e-mail recovery, and two groups, `analyst` and `supervisor`. Feature plan Essentials, for the
 *   access-token customization below (a handful of users sit in its free tier of monthly active
 *   users, as in Lite's); threat protection (advanced security) needs the Plus plan, priced per
 *   active user, and administrator-created analysts signing in with a password and TOTP do not
 *   need it (cdk-nag COG8 is acknowledged for this). One app client without a secret
 *   (a browser or CLI cannot keep one), SRP sign-in (and USER_PASSWORD_AUTH, the password sent as
 *   is, on the disposable dev stage only: `CaseApiConfig.passwordSignIn`), no OAuth/hosted UI,
 *   tokens valid 1 hour, refresh tokens 12 hours (a shift), revocable.
 * - **Authorization.** An HTTP API JWT authorizer trusts the pool as issuer
 *   (`https://cognito-idp.<region>.amazonaws.com/<pool id>`) and the app client as the only
 *   audience (`aud` of ID tokens, `client_id` of access tokens), and is the API's default: no route
 *   exists without it. Every route requires its role's scope (`vigil-api/analyst` or
 *   `vigil-api/supervisor`, the scopes of the pool's resource server `vigil-api`), which a
 *   pre-token-generation trigger (version 2, a small Lambda with no permissions beyond its logs)
 *   adds to the access token of a sign-in or refresh from the user's groups. So an ID token (no
 *   scope at all) is refused at the gateway (403), and so is an analyst on a supervisor route. The
 *   handler checks the role from `cognito:groups` again and refuses any `token_use` but `access`
 *   (functions/case-api/routes.ts). The price: a sign-in needs the trigger to answer.
 * - **No WAF, on purpose.** AWS WAF cannot be associated with an API Gateway HTTP API (its
 *   protected resources are REST APIs, CloudFront, ALBs, AppSync, Cognito user pools, App Runner,
 *   Amplify, Verified Access). Every route here needs a valid token before any code runs, the stage
 *   is throttled, bodies are small and validated, and the users are a handful of administrator-
 *   created analysts with TOTP. What WAF would add (IP reputation, per-IP rate rules, managed
 *   rule groups against injection) matters most at sign-in, and a user pool takes a web ACL
 *   directly: that is the first WAF to add if the threat model grows. For the API itself, the
 *   choices are CloudFront with a web ACL in front (with a custom domain and the execute-api
 *   endpoint disabled, so it cannot be bypassed) or a REST API (WAF and resource policies with an
 *   IP allow-list); neither is worth its cost and latency for this audience today.
 * - **The function.** Its own role and log group; table names and the state machine ARN in its
 *   environment; exactly the table calls it makes (`Tables.grant`: cases GetItem, Query,
 *   UpdateItem; decisions GetItem; rules GetItem, Query, PutItem, UpdateItem; no Scan or
 *   DeleteItem anywhere) and `states:SendTaskSuccess`/`SendTaskFailure`/`SendTaskHeartbeat` on the
 *   case workflow. Its timeout (10 s) is well within the integration's (30 s), so a slow request
 *   fails in the function, logged, rather than as a bare 503 from API Gateway.
 * - **The stage.** `$default`, auto-deployed, throttled (vigil:apiThrottleRateLimit /
 *   vigil:apiThrottleBurstLimit), with JSON access logs to a KMS-encrypted log group. CORS only
 *   for the origins of vigil:corsOrigins; none by default.
 */
export class CaseApi extends Construct {
  readonly userPool: cognito.UserPool
  readonly userPoolClient: cognito.UserPoolClient
  readonly groups: Readonly<Record<CaseApiRole, cognito.UserPoolGroup>>
  readonly handler: NodejsFunction
  /** Cognito's pre-token-generation trigger: the role scopes into users' access tokens. */
  readonly tokenScopes: NodejsFunction
  readonly resourceServer: cognito.UserPoolResourceServer
  /** The user pool's domain: its `/oauth2/token` endpoint issues machine clients' tokens. */
  readonly domain: cognito.UserPoolDomain
  /** The machine client of label feeds (client credentials, with a secret): POST /labels only. */
  readonly labelFeedClient: cognito.UserPoolClient
  /** The authorizer of the routes a machine client may call: the app client's tokens and the label feed client's. */
  readonly clientAuthorizer: HttpJwtAuthorizer
  readonly logGroup: logs.LogGroup
  readonly accessLogGroup: logs.LogGroup
  readonly authorizer: HttpJwtAuthorizer
  readonly api: apigwv2.HttpApi
  readonly stage: apigwv2.HttpStage
  readonly routes: readonly apigwv2.HttpRoute[]
  /** The issuer the authorizer accepts. */
  readonly issuer: string

  constructor(scope: Construct, id: string, props: CaseApiProps) {
    super(scope, id)
    const { tables, stateMachine, labelStream, operationsKey, settings, removalPolicy } = props
    const stack = Stack.of(this)
    const stackName = stack.stackName

    // --- Users ----------------------------------------------------------------------------------
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      signInCaseSensitive: false,
      standardAttributes: { email: { required: true, mutable: true } },
      autoVerify: { email: true },
      keepOriginal: { email: true },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      userInvitation: {
        emailSubject: `Your Vigil (${stackName}) analyst account`,
        emailBody: 'Your Vigil user name is {username} and your temporary password is {####}. You will choose a new password at first sign-in.',
      },
      removalPolicy,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
    })
    acknowledge(this.userPool, {
      COG8: 'Essentials plan on purpose (for access-token scopes): threat protection needs Plus, priced per active user, and this pool has no self sign-up, a handful of administrator-created users and TOTP MFA required, which covers the stolen-password risk it would score',
    })
    this.userPoolClient = this.userPool.addClient('AppClient', {
      generateSecret: false,
      // The password itself never travels in prod: SRP only. USER_PASSWORD_AUTH on the dev stage.
      authFlows: { userSrp: true, userPassword: settings.passwordSignIn },
      disableOAuth: true,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
    })
    this.groups = Object.fromEntries(
      (Object.entries(caseApiGroups) as [CaseApiRole, (typeof caseApiGroups)[CaseApiRole]][]).map(([role, { description, precedence }]) => [
        role,
        this.userPool.addGroup(`${role[0]!.toUpperCase()}${role.slice(1)}Group`, { groupName: role, description, precedence }),
      ]),
    ) as Record<CaseApiRole, cognito.UserPoolGroup>

    const logGroup = (logGroupId: string) => new logs.LogGroup(this, logGroupId, { retention: props.logRetention, encryptionKey: operationsKey, removalPolicy })

    // --- Role scopes in access tokens -------------------------------------------------------------
    const scopeName = (scope: string) => scope.slice(apiResourceServer.length + 1)
    const labelsWrite = new cognito.ResourceServerScope({ scopeName: scopeName(labelsWriteScope), scopeDescription: 'POST /labels, for machine clients (chargeback feeds)' })
    this.resourceServer = this.userPool.addResourceServer('ApiResourceServer', {
      identifier: apiResourceServer,
      userPoolResourceServerName: `${stackName} case API`,
      scopes: [
        ...(Object.keys(caseApiGroups) as CaseApiRole[]).map((r) => new cognito.ResourceServerScope({ scopeName: scopeName(roleScope(r)), scopeDescription: `The ${r} routes` })),
        labelsWrite,
      ],
    })

    // --- Machine clients (client credentials) ----------------------------------------------------
    // A chargeback feed gets its token from the domain's /oauth2/token with the client's id and
    // secret; the token carries `vigil-api/labels.write` and no user. A Cognito prefix domain is
    // global per region, so the prefix is the stack's name and the account.
    this.domain = this.userPool.addDomain('TokenDomain', {
      cognitoDomain: { domainPrefix: Fn.join('-', [stackName.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 48), stack.account]) },
    })
    this.labelFeedClient = this.userPool.addClient('LabelFeedClient', {
      generateSecret: true,
      authFlows: {},
      oAuth: { flows: { clientCredentials: true }, scopes: [cognito.OAuthScope.resourceServer(this.resourceServer, labelsWrite)] },
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
    })
    const tokenScopesRole = new iam.Role(this, 'TokenScopesRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `${stackName}: the user pool's pre-token-generation trigger` })
    const tokenScopesLogs = logGroup('TokenScopesLogs')
    tokenScopesLogs.grantWrite(tokenScopesRole)
    this.tokenScopes = nodeFunction(this, 'TokenScopes', {
      description: `${stackName}: adds the case API's role scopes of a user's groups to their access token`,
      entry: tokenScopesEntry,
      serviceName: serviceNames.tokenScopes,
      memoryMb: 128,
      timeoutSeconds: 5,
      role: tokenScopesRole,
      logGroup: tokenScopesLogs,
      environment: {},
    })
    this.userPool.addTrigger(cognito.UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG, this.tokenScopes, cognito.LambdaVersion.V2_0)

    // --- The function ---------------------------------------------------------------------------
    this.logGroup = logGroup('HandlerLogs')
    const role = new iam.Role(this, 'HandlerRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `${stackName}: the case API Lambda` })
    this.logGroup.grantWrite(role)
    this.handler = nodeFunction(this, 'Handler', {
      description: `${stackName}: the analysts' case-review API (every route of the HTTP API)`,
      entry: caseApiEntry,
      serviceName: serviceNames.caseApi,
      memoryMb: 512,
      timeoutSeconds: 10,
      role,
      logGroup: this.logGroup,
      environment: {
        [tableSchemas.cases.envVar]: tables.cases.tableName,
        [tableSchemas.decisions.envVar]: tables.decisions.tableName,
        [tableSchemas.rules.envVar]: tables.rules.tableName,
        [tableSchemas.labels.envVar]: tables.labels.tableName,
        [labelStreamEnvVar]: labelStream.streamName,
        VIGIL_ESCALATION_STATE_MACHINE_ARN: stateMachine.stateMachineArn,
      },
    })
    // The calls the handler makes: cases read, queued (Query on the index) and updated, never
    // created or deleted; decisions read (one, or in batches for labels); rule sets, requests and
    // the trail read and written, never deleted (an approved request is marked, not removed);
    // label items read in batches (the applier writes them); labels put on their stream, which
    // takes GenerateDataKey on its key from a producer, nothing more (not PutRecord, ListShards).
    tables.grant(tables.cases, this.handler, 'GetItem', 'Query', 'UpdateItem')
    tables.grant(tables.decisions, this.handler, 'GetItem', 'BatchGetItem')
    tables.grant(tables.rules, this.handler, 'GetItem', 'Query', 'PutItem', 'UpdateItem')
    tables.grant(tables.labels, this.handler, 'BatchGetItem')
    labelStream.grant(this.handler, 'kinesis:PutRecords')
    labelStream.encryptionKey?.grant(this.handler, 'kms:GenerateDataKey')
    stateMachine.grantTaskResponse(this.handler)
    acknowledge(grantsPolicyOf(role), {
      ...keyGrantWildcards('tables key'),
      [`IAM5[Resource::${arnInFinding(tables.cases)}/index/*]`]: "the cases table's own secondary indexes (the queue by status and deadline), as CDK's table.grant names them: no other table's",
      [`IAM5[Resource::${arnInFinding(tables.labels)}/index/*]`]: "the labels table's own index (the applier's sweep of waiting labels), as CDK's table.grant names it with any action; BatchGetItem cannot read an index",
    })

    // --- The API --------------------------------------------------------------------------------
    this.issuer = `https://cognito-idp.${stack.region}.amazonaws.com/${this.userPool.userPoolId}`
    this.authorizer = new HttpJwtAuthorizer('CognitoAuthorizer', this.issuer, {
      authorizerName: 'cognito-analysts',
      identitySource: ['$request.header.Authorization'],
      jwtAudience: [this.userPoolClient.userPoolClientId],
    })
    // Same issuer, one more audience: a machine client's token passes on these routes alone, and
    // each still needs its scope (a role's, or the route's client scope).
    this.clientAuthorizer = new HttpJwtAuthorizer('CognitoClientAuthorizer', this.issuer, {
      authorizerName: 'cognito-analysts-and-feeds',
      identitySource: ['$request.header.Authorization'],
      jwtAudience: [this.userPoolClient.userPoolClientId, this.labelFeedClient.userPoolClientId],
    })
    const methods = [...new Set(caseApiRoutes.map((route) => route.method))]
    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: `${stackName}: the analysts' case-review API`,
      createDefaultStage: false,
      defaultAuthorizer: this.authorizer,
      ...(settings.corsOrigins.length > 0
        ? {
            corsPreflight: {
              allowOrigins: [...settings.corsOrigins],
              allowMethods: methods.map((method) => apigwv2.CorsHttpMethod[method]),
              allowHeaders: ['authorization', 'content-type'],
              allowCredentials: false, // bearer tokens, no cookies
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    })

    this.accessLogGroup = logGroup('AccessLogs')
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: settings.throttle.rateLimit, burstLimit: settings.throttle.burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        // No token, no body, no query string: the caller is named by `sub` only. No path either:
        // its ids are whatever the caller typed (a PAN among them); the route key names the route.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTimeEpoch',
            ip: '$context.identity.sourceIp',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationStatus: '$context.integrationStatus',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            sub: '$context.authorizer.claims.sub',
            userAgent: '$context.identity.userAgent',
          }),
        ),
      },
    })

    const integration = new HttpLambdaIntegration('Handler', this.handler, { payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0 })
    this.routes = caseApiRoutes.map(
      (route) =>
        new apigwv2.HttpRoute(this, `Route${route.operationId[0]!.toUpperCase()}${route.operationId.slice(1)}`, {
          httpApi: this.api,
          routeKey: apigwv2.HttpRouteKey.with(route.path, apigwv2.HttpMethod[route.method]),
          integration,
          authorizer: route.clientScope === undefined ? this.authorizer : this.clientAuthorizer,
          authorizationScopes: [...route.scopes],
        }),
    )
  }

  /** The API's base URL, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com/`. */
  get url(): string {
    return this.stage.url
  }
}
