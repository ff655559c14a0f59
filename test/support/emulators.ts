/**
 * In-process DynamoDB (dynalite) and Kinesis (kinesalite) for a test file: started in `beforeAll`,
 * stopped in `afterAll`. Nothing global is set (no process.env, no singletons): tests use the
 * returned clients, or pass `env` to what they start themselves. Options go to `startEmulators`.
 *
 *   const aws = useEmulators()
 *   it('…', async () => { await aws.dynamo.send(…) })
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import { afterAll, beforeAll } from 'vitest'
import { createDynamoDbClient, localCredentials, localRegion } from '../../functions/aws/clients.ts'
import { createKinesisClient } from '../../functions/aws/kinesis-client.ts'
import { startEmulators, type EmulatorOptions, type Emulators } from '../../local/emulators.ts'

export interface EmulatorContext {
  /** DynamoDB client on `endpoints.dynamo`, dummy credentials, us-east-1. */
  readonly dynamo: DynamoDBClient
  /** Kinesis client on `endpoints.kinesis` (HTTP/1.1), dummy credentials, us-east-1. */
  readonly kinesis: KinesisClient
  readonly endpoints: { readonly dynamo: string; readonly kinesis: string }
  /** The variables that point an SDK v3 client (or a child process) at the emulators. */
  readonly env: Readonly<Record<string, string>>
  /** Client config for further clients: `createDynamoDbClient(aws.clientConfig('dynamo'))`. */
  clientConfig(service: 'dynamo' | 'kinesis'): {
    endpoint: string
    region: string
    credentials: { accessKeyId: string; secretAccessKey: string }
  }
}

export function useEmulators(options: EmulatorOptions = {}, start: (options: EmulatorOptions) => Promise<Emulators> = startEmulators): EmulatorContext {
  let running: { emulators: Emulators; dynamo: DynamoDBClient; kinesis: KinesisClient } | undefined

  beforeAll(async () => {
    const emulators = await start(options)
    const config = (endpoint: string) => ({ endpoint, region: localRegion, credentials: { ...localCredentials } })
    running = {
      emulators,
      dynamo: createDynamoDbClient(config(emulators.dynamoEndpoint)),
      kinesis: createKinesisClient(config(emulators.kinesisEndpoint)),
    }
  })

  afterAll(async () => {
    const current = running
    running = undefined
    if (current === undefined) return
    current.dynamo.destroy()
    current.kinesis.destroy()
    await current.emulators.stop()
  })

  const get = () => {
    if (running === undefined) throw new Error('useEmulators: only available between beforeAll and afterAll')
    return running
  }

  return {
    get dynamo() {
      return get().dynamo
    },
    get kinesis() {
      return get().kinesis
    },
    get endpoints() {
      const { emulators } = get()
      return { dynamo: emulators.dynamoEndpoint, kinesis: emulators.kinesisEndpoint }
    },
    get env() {
      const { emulators } = get()
      return {
        AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamoEndpoint,
        AWS_ENDPOINT_URL_KINESIS: emulators.kinesisEndpoint,
        AWS_REGION: localRegion,
        AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
      }
    },
    clientConfig(service) {
      const { emulators } = get()
      return {
        endpoint: service === 'dynamo' ? emulators.dynamoEndpoint : emulators.kinesisEndpoint,
        region: localRegion,
        credentials: { ...localCredentials },
      }
    },
  }
}

let counter = 0

/**
 * A table or stream name unique to this process and call: `<prefix>-<pid>-<n>-<random>`, within
 * the characters and lengths both DynamoDB (3–255) and Kinesis (1–128) accept.
 */
export function uniqueName(prefix: string): string {
  const clean = prefix.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 80) || 'vigil'
  counter += 1
  return `${clean}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`
}
