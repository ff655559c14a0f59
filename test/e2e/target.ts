/**
 * Where the end-to-end suite runs, chosen by `VIGIL_TARGET`:
 *
 * - `local` (default): the local runtime (`npm start`'s) in this process, on random ports, with no
 *   generated traffic and a throwaway state directory; dev tokens for either role.
 * - `localstack`: the `Vigil-dev` stack deployed to LocalStack at http://localhost:4566
 *   (`npm run localstack:deploy`); the stream name and the API URL are read from the stack's
 *   outputs. Cognito is a LocalStack Pro feature, so tokens come from `VIGIL_E2E_TOKEN` (and
 *   `VIGIL_E2E_SUPERVISOR_TOKEN`, default the same, and `VIGIL_E2E_APPROVER_TOKEN`, a second
 *   supervisor's); without one the API steps are skipped.
 *
 * `planTarget()` only decides whether the target can run (LocalStack answering its health check
 * within 2 s); `start()` brings it up.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn'
import { createDynamoDbClient, localCredentials, localRegion } from '../../functions/aws/clients.ts'
import { createKinesisClient } from '../../functions/aws/kinesis-client.ts'
import type { CaseApiRole } from '../../functions/case-api/routes.ts'
import { devSigningKey, signDevToken } from '../../local/dev-tokens.ts'
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime.ts'
import type { Evidence } from '../support/pan-scan.ts'
import { scanTable } from '../support/scan.ts'

export type TargetName = 'local' | 'localstack'

export interface E2ETarget {
  readonly name: TargetName
  /** A real Kinesis SDK client pointed at the target. */
  readonly kinesis: KinesisClient
  readonly streamName: string
  /** For the AWS CLI: `--endpoint-url`, and the region and dummy credentials of its environment. */
  readonly kinesisEndpoint: string
  readonly region: string
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string }
  /** The case API's base URL; undefined when the stack has none (a LocalStack without API Gateway v2). */
  readonly apiUrl: string | undefined
  /** A bearer token for the role; undefined when none can be had (LocalStack without `VIGIL_E2E_TOKEN`). */
  token(role: CaseApiRole): Promise<string | undefined>
  /** A second supervisor's token, to approve what the first asked for (four eyes); undefined when none can be had. */
  approverToken(): Promise<string | undefined>
  /**
   * What the run left behind, for the PAN scan: every table item, dead letter, handler log line
   * (JSON logs and EMF), runtime line and line written to stdout/stderr, and the named workflow
   * executions' input and output. Undefined where
   * the target's storage cannot be read from here (LocalStack: only the API responses are scanned).
   */
  readonly evidence?: (executionNames: readonly string[]) => Promise<Evidence[]>
  stop(): Promise<void>
}

export interface TargetPlan {
  readonly name: TargetName
  /** False: skip the whole suite, for `reason`. */
  readonly available: boolean
  readonly reason?: string
  start(): Promise<E2ETarget>
}

export const localstackEndpoint = process.env.VIGIL_LOCALSTACK_ENDPOINT ?? 'http://localhost:4566'
export const localstackStackName = process.env.VIGIL_STACK_NAME ?? 'Vigil-dev'

export async function planTarget(name: string = process.env.VIGIL_TARGET ?? 'local'): Promise<TargetPlan> {
  if (name === 'local') return { name, available: true, start: startLocalTarget }
  if (name !== 'localstack') throw new Error(`VIGIL_TARGET=${name}: one of local, localstack`)
  const healthy = await fetch(`${localstackEndpoint}/_localstack/health`, { signal: AbortSignal.timeout(2_000) })
    .then((response) => response.ok)
    .catch(() => false)
  if (!healthy) {
    return {
      name,
      available: false,
      reason:
        `LocalStack is not running: nothing answered at ${localstackEndpoint}/_localstack/health within 2 s. ` +
        'Start it (`localstack start -d`, or `docker run --rm -d -p 4566:4566 localstack/localstack`), deploy with `npm run localstack:deploy`, ' +
        'then run `VIGIL_TARGET=localstack npm run test:e2e`. Skipping the LocalStack end-to-end suite.',
      start: () => Promise.reject(new Error('LocalStack is not running')),
    }
  }
  return { name, available: true, start: startLocalstackTarget }
}

async function startLocalTarget(): Promise<E2ETarget> {
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-e2e-'))
  const lines: string[] = []
  const output = teeProcessOutput()
  const runtime = await startLocalRuntime({
    dynamodbPort: 0,
    kinesisPort: 0,
    apiPort: 0,
    stepFunctionsPort: 0,
    traffic: false,
    stateDir,
    summaryIntervalMs: 0,
    log: (line) => lines.push(line),
  }).catch((error: unknown) => {
    output.restore()
    rmSync(stateDir, { recursive: true, force: true })
    throw error
  })
  // The runtime signs with the key it keeps in stateDir: tokens signed here verify there.
  const key = await devSigningKey({ dataDir: stateDir })
  const credentials = { ...localCredentials }
  const kinesis = createKinesisClient({ endpoint: runtime.endpoints.kinesis, region: localRegion, credentials })
  return {
    name: 'local',
    kinesis,
    streamName: runtime.names.stream,
    kinesisEndpoint: runtime.endpoints.kinesis,
    region: localRegion,
    credentials,
    apiUrl: runtime.endpoints.api,
    token: (role) => signDevToken(key, { username: `e2e-${role}`, groups: [role], expiresIn: '1h' }),
    approverToken: () => signDevToken(key, { username: 'e2e-approver', groups: ['supervisor'], expiresIn: '1h' }),
    evidence: async (executionNames) => [
      ...(await tableItems(runtime)),
      ...(await executions(runtime, executionNames)),
      { where: `dead letters (${runtime.deadLetterFile})`, text: existsSync(runtime.deadLetterFile) ? readFileSync(runtime.deadLetterFile, 'utf8') : '' },
      ...linesOf(runtime.lambdaLogFile).map((text, i) => ({ where: `handler log line ${i + 1}`, text })),
      ...lines.map((text, i) => ({ where: `runtime log line ${i + 1}`, text })),
      ...output.lines().map((text, i) => ({ where: `stdout/stderr line ${i + 1}`, text })),
    ],
    stop: async () => {
      kinesis.destroy()
      await runtime.stop()
      output.restore()
      rmSync(stateDir, { recursive: true, force: true })
    },
  }
}

async function startLocalstackTarget(): Promise<E2ETarget> {
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1'
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' }
  const outputs = await stackOutputs(localstackStackName, region, credentials)
  const streamName = outputs.StreamName
  if (!streamName) throw new Error(`stack ${localstackStackName} on LocalStack has no StreamName output: deploy it with \`npm run localstack:deploy\``)
  const kinesis = createKinesisClient({ endpoint: localstackEndpoint, region, credentials })
  const analyst = process.env.VIGIL_E2E_TOKEN || undefined
  const supervisor = process.env.VIGIL_E2E_SUPERVISOR_TOKEN || analyst
  return {
    name: 'localstack',
    kinesis,
    streamName,
    kinesisEndpoint: localstackEndpoint,
    region,
    credentials,
    apiUrl: outputs.CaseApiUrl?.replace(/\/$/, ''),
    token: async (role) => (role === 'supervisor' ? supervisor : analyst),
    approverToken: async () => process.env.VIGIL_E2E_APPROVER_TOKEN || undefined,
    stop: async () => kinesis.destroy(),
  }
}

function linesOf(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((line) => line.length > 0) : []
}

/** Every item of every table, one piece of evidence per item. */
async function tableItems(runtime: LocalRuntime): Promise<Evidence[]> {
  const client = createDynamoDbClient({ endpoint: runtime.endpoints.dynamodb, region: localRegion, credentials: { ...localCredentials } })
  try {
    const found: Evidence[] = []
    for (const table of Object.values(runtime.names.tables)) {
      for (const item of await scanTable(client, table)) found.push({ where: `table ${table}`, text: JSON.stringify(item) })
    }
    return found
  } finally {
    client.destroy()
  }
}

/** The input and output of the named executions, as DescribeExecution serves them. */
async function executions(runtime: LocalRuntime, names: readonly string[]): Promise<Evidence[]> {
  const client = new SFNClient({ endpoint: runtime.endpoints.stepFunctions, region: localRegion, credentials: { ...localCredentials } })
  const executionArn = (name: string) => `${runtime.names.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`
  try {
    return await Promise.all(
      names.map(async (name) => {
        const described = await client.send(new DescribeExecutionCommand({ executionArn: executionArn(name) }))
        return { where: `workflow execution ${name}`, text: `${described.input ?? ''}\n${described.output ?? ''}` }
      }),
    )
  } finally {
    client.destroy()
  }
}

/**
 * Copies what this process writes to stdout and stderr (the handlers' Powertools log lines among
 * it) while still writing it through.
 */
function teeProcessOutput(): { lines(): string[]; restore(): void } {
  const captured: string[] = []
  const streams = [process.stdout, process.stderr]
  const originals = streams.map((stream) => stream.write)
  streams.forEach((stream, i) => {
    const original = originals[i]!
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))
      return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest)
    }) as typeof stream.write
  })
  return {
    lines: () => captured.join('').split('\n').filter((line) => line.length > 0),
    restore: () => streams.forEach((stream, i) => void (stream.write = originals[i]!)),
  }
}

/** The deployed stack's outputs, with the real CloudFormation client pointed at LocalStack. */
async function stackOutputs(stackName: string, region: string, credentials: { accessKeyId: string; secretAccessKey: string }): Promise<Record<string, string>> {
  const client = new CloudFormationClient({ endpoint: localstackEndpoint, region, credentials })
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }))
    return Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']))
  } finally {
    client.destroy()
  }
}
