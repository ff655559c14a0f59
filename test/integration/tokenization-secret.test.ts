/**
 * The scorer's tokenization keyring from Secrets Manager, with the real SDK client against moto's
 * Secrets Manager (an independent implementation of the API): the version the deploy pinned is
 * read, by id or by staging label, once per container, so a value put afterwards (even as the new
 * AWSCURRENT) does not reach a running scorer; the JSON and plain forms; a secret that is not a
 * keyring is refused without being quoted. Skipped where moto_server is not installed.
 */
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { keyringOf, secretVersion, tokenizationKeyMiddleware, type KeyedContext } from '../../functions/score/tokenization-key.ts'
import type { Emulators } from '../../local/emulators.ts'
import { hasMotoServer, startMoto } from '../support/moto.ts'

describe.skipIf(!hasMotoServer)('the tokenization keyring from Secrets Manager (moto_server)', () => {
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

  afterEach(() => vi.useRealTimers())

  let created = 0
  const secret = async (value: string) => {
    const out = await client.send(new CreateSecretCommand({ Name: `tokenization-key-${Date.now()}-${created++}`, SecretString: value }))
    return { arn: out.ARN!, versionId: out.VersionId! }
  }
  const keyHandler = (arn: string, version?: string) =>
    middy(async (_event: unknown, context: KeyedContext) => keyringOf(context)).use(
      tokenizationKeyMiddleware({ VIGIL_TOKENIZATION_SECRET_ARN: arn, VIGIL_TOKENIZATION_SECRET_VERSION: version }, { awsClientOptions: clientOptions() }),
    )
  const context = { functionName: 'vigil-scorer', awsRequestId: 'req-1' } as Context

  const first = 'first-key-0123456789'
  const ring = { primary: 'k2', keys: { k1: first, k2: 'second-key-0123456789' } }

  it('reads the pinned version id, and keeps it when a new AWSCURRENT is put, however long the container lives', async () => {
    const { arn, versionId } = await secret(first)
    const handler = keyHandler(arn, versionId)
    expect(await handler({}, context)).toEqual({ primary: 'k1', keys: { k1: first } })

    await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify(ring) }))
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] })
    vi.advanceTimersByTime(24 * 3_600_000)
    expect(await handler({}, context)).toEqual({ primary: 'k1', keys: { k1: first } })
    // A container started now with the same pin reads the same keys: all containers agree.
    expect(await keyHandler(arn, versionId)({}, context)).toEqual({ primary: 'k1', keys: { k1: first } })
  })

  it('reads a version by staging label, so a change-over can be staged without touching AWSCURRENT', async () => {
    const { arn } = await secret(first)
    await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify(ring), VersionStages: ['VIGIL_NEXT'] }))
    expect(await keyHandler(arn, 'VIGIL_NEXT')({}, context)).toEqual(ring)
    expect(await keyHandler(arn)({}, context)).toEqual({ primary: 'k1', keys: { k1: first } })
  })

  it('refuses a secret that is not a keyring, naming what is wrong but never its text', async () => {
    for (const value of [JSON.stringify({ primary: 'k3', keys: { k1: 'secret-value-0123456789' } }), 'short-secret', '{"primary": "k1", "keys": {"k1": "secret-value-0123456789"']) {
      const { arn } = await secret(value)
      const refusal = await keyHandler(arn)({}, context).then(
        () => undefined,
        (error: Error) => error,
      )
      expect(refusal?.message).toMatch(/is not a tokenization keyring/)
      expect(refusal?.message).not.toMatch(/secret-value|short-secret/)
    }
  })

  it('tells a version id from a staging label', () => {
    expect(secretVersion('a1b2c3d4-0000-4000-8000-123456789abc')).toEqual({ VersionId: 'a1b2c3d4-0000-4000-8000-123456789abc' })
    expect(secretVersion('VIGIL_NEXT')).toEqual({ VersionStage: 'VIGIL_NEXT' })
    expect(secretVersion()).toEqual({ VersionStage: 'AWSCURRENT' })
  })
})
