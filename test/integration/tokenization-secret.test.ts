/**
 * The scorer's tokenization key from Secrets Manager through @middy/secrets-manager 6 under
 * @middy/core 7, against moto's Secrets Manager (an independent implementation of the API): the
 * key reaches the handler's context, is cached, is fetched again once the cache expires (a changed
 * secret reaches warm containers), and a secret that is not a usable key is refused. Skipped where
 * moto_server is not installed.
 */
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { defaultKeyCacheMs, tokenizationKeyMiddleware, tokenizationKeyOf, type KeyedContext } from '../../functions/score/tokenization-key.ts'
import type { Emulators } from '../../local/emulators.ts'
import { hasMotoServer, startMoto } from '../support/moto.ts'

describe.skipIf(!hasMotoServer)('the tokenization key from Secrets Manager (moto_server)', () => {
  let moto: Emulators
  let client: SecretsManagerClient
  const clientOptions = () => ({ endpoint: moto.dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } })

  beforeAll(async () => {
    moto = await startMoto()
    client = new SecretsManagerClient(clientOptions())
  }, 30_000)

  afterAll(async () => {
    client?.destroy()
    await moto?.stop()
  })

  // Fake timers for the whole test: middy schedules the cache refresh with setTimeout, and
  // returning to real timers drops it, so no refresh outlives the test.
  afterEach(() => vi.useRealTimers())

  const secret = async (name: string, value: string) => (await client.send(new CreateSecretCommand({ Name: `${name}-${Date.now()}`, SecretString: value }))).ARN!

  const keyHandler = (arn: string) =>
    middy(async (_event: unknown, context: KeyedContext) => tokenizationKeyOf(context)).use(
      tokenizationKeyMiddleware({ VIGIL_TOKENIZATION_SECRET_ARN: arn }, { awsClientOptions: clientOptions() }),
    )
  const context = { functionName: 'vigil-scorer', awsRequestId: 'req-1' } as Context

  it('puts the secret on the context, serves it from the cache, and fetches the changed secret once the cache expires', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] })
    const arn = await secret('tokenization-key', 'first-key-0123456789')
    const handler = keyHandler(arn)
    expect(await handler({}, context)).toBe('first-key-0123456789')

    await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'second-key-0123456789' }))
    vi.advanceTimersByTime(defaultKeyCacheMs - 1_000)
    expect(await handler({}, context)).toBe('first-key-0123456789')

    vi.advanceTimersByTime(2_000)
    expect(await handler({}, context)).toBe('second-key-0123456789')
  })

  it('refuses a secret that is not a string key of 16 characters or more', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] })
    const json = await secret('tokenization-json', '{"key":"not-a-plain-string-key"}')
    await expect(keyHandler(json)({}, context)).rejects.toThrow(/not a string of at least 16 characters/)
    const short = await secret('tokenization-short', 'too-short')
    await expect(keyHandler(short)({}, context)).rejects.toThrow(/not a string of at least 16 characters/)
  })
})
