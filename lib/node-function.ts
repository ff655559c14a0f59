import { fileURLToPath } from 'node:url'
import { Duration } from 'aws-cdk-lib'
import type * as iam from 'aws-cdk-lib/aws-iam'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs'
import type * as logs from 'aws-cdk-lib/aws-logs'
import type { Construct } from 'constructs'
import { acknowledge, grantsPolicyOf } from './nag.ts'
import { metricsNamespace, type ServiceName } from '../functions/aws/service-names.ts'

/** The lock file that pins what esbuild bundles. */
const lockFile = fileURLToPath(new URL('../package-lock.json', import.meta.url))

export interface NodeFunctionProps {
  readonly description: string
  /** A TypeScript file exporting `handler`. */
  readonly entry: string
  readonly memoryMb: number
  readonly timeoutSeconds: number
  readonly role: iam.IRole
  readonly logGroup: logs.ILogGroup
  /** Powertools' service name: the `service` of every log line and metric. */
  readonly serviceName: ServiceName
  readonly environment: Record<string, string>
}

/**
 * How every Vigil Lambda is bundled: one minified ESM file with source maps, built offline.
 * bench/cold-start.ts builds with these very options, so the sizes and init times it reports are
 * the shipped bundle's.
 */
export const lambdaBundling: BundlingOptions = {
  forceDockerBundling: false, // the esbuild devDependency: offline, no Docker
  format: OutputFormat.ESM,
  target: 'node24',
  mainFields: ['module', 'main'],
  // ESM output has no `require`; some CommonJS dependencies still call it for Node built-ins.
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
  minify: true,
  // No keepNames: it costs 30 KB of the scorer; stack traces get their names from the source maps
  // (--enable-source-maps), and the errors the workflow matches on set their `name` themselves.
  keepNames: false,
  sourceMap: true,
  sourcesContent: false, // stack traces need the mappings, not a copy of the sources
  // The AWS SDK v3 is the copy the Node 24 runtime ships, not a bundled one. Bundled, it is ~390 KB
  // of every function (the scorer: 743 KB against 382 KB). It starts ≈ 15 ms slower, though: the
  // runtime's client packages load whole (bench/README.md, cold start). And the version is AWS's,
  // not package-lock.json's; Vigil calls only long-stable operations (DynamoDB items,
  // GetSecretValue, StartExecution, SendTask*). A runtime update may bring a new SDK; pinning one
  // takes RuntimeManagementMode.manual with a runtime version ARN, which only a deployed account knows.
  // `@smithy/*` stays bundled: the functions import none of it at run time (tree-shaken to nothing),
  // and an external import of it would name a package the runtime does not promise to ship.
  bundleAwsSDK: false,
  externalModules: ['@aws-sdk/*'],
  // 28 KB of semver for a version check under the tracer that never runs: see functions/bundling/semver.ts.
  esbuildArgs: { '--alias': 'semver=./functions/bundling/semver.ts' },
}

/** Every Vigil Lambda: Node 24 on arm64, one minified ESM bundle with source maps, built offline. */
export function nodeFunction(scope: Construct, id: string, props: NodeFunctionProps): NodejsFunction {
  const fn = new NodejsFunction(scope, id, {
    description: props.description,
    entry: props.entry,
    handler: 'handler',
    depsLockFilePath: lockFile,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memoryMb,
    timeout: Duration.seconds(props.timeoutSeconds),
    role: props.role,
    logGroup: props.logGroup,
    tracing: lambda.Tracing.ACTIVE,
    environment: {
      ...props.environment,
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: props.serviceName,
      POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
    },
    bundling: lambdaBundling,
  })
  // Active tracing grants xray:PutTraceSegments and xray:PutTelemetryRecords on `*`: they take no
  // resource-level permissions.
  acknowledge(grantsPolicyOf(props.role), {
    'IAM5[Resource::*]': 'active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (Resource must be *)',
  })
  return fn
}
