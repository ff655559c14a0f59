import { fileURLToPath } from 'node:url'
import { Duration } from 'aws-cdk-lib'
import type * as iam from 'aws-cdk-lib/aws-iam'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs'
import type * as logs from 'aws-cdk-lib/aws-logs'
import type { Construct } from 'constructs'

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
  readonly serviceName: string
  readonly environment: Record<string, string>
}

/** Every Vigil Lambda: Node 24 on arm64, one minified ESM bundle with source maps, built offline. */
export function nodeFunction(scope: Construct, id: string, props: NodeFunctionProps): NodejsFunction {
  return new NodejsFunction(scope, id, {
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
    environment: {
      ...props.environment,
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: props.serviceName,
      POWERTOOLS_METRICS_NAMESPACE: 'Vigil',
    },
    bundling: {
      forceDockerBundling: false, // the esbuild devDependency: offline, no Docker
      format: OutputFormat.ESM,
      target: 'node24',
      mainFields: ['module', 'main'],
      // ESM output has no `require`; some CommonJS dependencies still call it for Node built-ins.
      banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      minify: true,
      keepNames: true, // error and class names stay readable in logs after minification
      sourceMap: true,
      sourcesContent: false, // stack traces need the mappings, not a copy of the sources
      // Externalize nothing: Node built-ins are external anyway, and the AWS SDK v3 clients are
      // bundled rather than taken from the runtime, so the versions in package-lock.json (the
      // ones the tests ran against) are the ones that run, not whatever the runtime ships this
      // month; a bundled, tree-shaken client also loads faster than the runtime's full copy.
      bundleAwsSDK: true,
      externalModules: [],
    },
  })
}
