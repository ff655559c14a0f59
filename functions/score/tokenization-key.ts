/**
 * The PAN tokenization keyring for each invocation, on `context.keyring`.
 *
 * In AWS it is a Secrets Manager secret read at an exact version: VIGIL_TOKENIZATION_SECRET_VERSION,
 * a version id (a UUID) or a staging label (default AWSCURRENT), set from the CDK context
 * `vigil:tokenizationKeyVersion`. It is fetched once per container, at cold start, and never again:
 * every container of a deployment tokenizes with the same keys, and a new key reaches the scorer by
 * a deploy that names the new version, never by a cache expiring container by container (middy's
 * secrets-manager middleware cannot name a version, hence this one). Pin a version id in every
 * stage that matters: with the AWSCURRENT default, a secret changed outside a deploy reaches only
 * the containers started after it (and raises the change alarm, lib/tokenization-secret.ts).
 * On a laptop and in tests the keyring is the plain VIGIL_TOKENIZATION_KEY.
 *
 * The secret is a keyring (core/keyring.ts): `{"primary":"k2","keys":{"k1":"…","k2":"…"}}`, or a
 * plain string, which is the single key `k1` (every secret written before key ids existed). Tokens
 * carry their key id (`k2_…`, core/card-token.ts).
 *
 * Changing keys, without losing the cards' lists:
 * 1. Put a new version holding both keys, the old still primary, under a label of its own so
 *    AWSCURRENT readers do not see it yet:
 *    `aws secretsmanager put-secret-value --secret-id <arn> --version-stages VIGIL_NEXT
 *    --secret-string '{"primary":"k1","keys":{"k1":"<old>","k2":"<new>"}}'`; deploy with
 *    `-c vigil:tokenizationKeyVersion=<its VersionId>`. Tokens under k2 are now accepted.
 * 2. Put a version with `"primary":"k2"` and deploy with its VersionId. New tokens are k2; a card
 *    listed under k1 is still listed (its k1 token is computed beside, core/card-lists.ts), and a
 *    listed card that comes back is blocked and listed again under k2 by its case. A card's
 *    aggregates continue under its k2 token from its k1 state, counted once (core/card-history.ts).
 * 3. After the longest window of the rule set (30 days for the default rules) and once the k1 list
 *    items that matter have been re-listed, put a version with k2 alone and deploy with it.
 * Each put raises the change alarm; expect it. What step 2 does not carry over: producers' own k1
 * tokens (they stay k1 entities until the producer re-tokenizes), labels on cases opened before it,
 * and a card not seen between steps 2 and 3 (it starts again under k2).
 */
import { GetSecretValueCommand, SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager'
import type { Context } from 'aws-lambda'
import type { MiddlewareObj } from '@middy/core'
import { keyringFrom, type Keyring } from '../core/keyring.ts'
import type { ScorerConfig } from './config.ts'

export type KeyedContext = Context & { keyring?: Keyring }

export interface TokenizationKeyOptions {
  /** The Secrets Manager client's settings (an emulator's endpoint in tests). */
  readonly awsClientOptions?: SecretsManagerClientConfig
}

type Source = Pick<ScorerConfig, 'VIGIL_TOKENIZATION_SECRET_ARN' | 'VIGIL_TOKENIZATION_SECRET_VERSION' | 'VIGIL_TOKENIZATION_KEY'>

/** The version a deploy pins: a VersionId is a UUID; anything else is a staging label. */
export function secretVersion(version = 'AWSCURRENT'): { VersionId: string } | { VersionStage: string } {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(version) ? { VersionId: version } : { VersionStage: version }
}

export function tokenizationKeyMiddleware(config: Source, options: TokenizationKeyOptions = {}): MiddlewareObj<unknown, unknown, Error, KeyedContext> {
  const secretArn = config.VIGIL_TOKENIZATION_SECRET_ARN
  if (secretArn) {
    // Not traced: one call per container is not worth a traced client per invocation.
    const client = new SecretsManagerClient(options.awsClientOptions ?? {})
    const version = secretVersion(config.VIGIL_TOKENIZATION_SECRET_VERSION)
    const where = `secret version ${Object.values(version)[0]}`
    const fetch = async (): Promise<Keyring> => {
      const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn, ...version }))
      return keyringFrom(SecretString, where)
    }
    // Fetched at cold start, outside the first invocation's time; a failed fetch is retried by the
    // next invocation rather than kept.
    let keyring: Promise<Keyring> | undefined = fetch()
    keyring.catch(() => undefined)
    return {
      before: async (request) => {
        keyring ??= fetch()
        try {
          request.context.keyring = await keyring
        } catch (error) {
          keyring = undefined
          throw error
        }
      },
    }
  }
  if (!config.VIGIL_TOKENIZATION_KEY) throw new Error('set VIGIL_TOKENIZATION_SECRET_ARN (AWS) or VIGIL_TOKENIZATION_KEY (local): PANs cannot be tokenized without a key')
  const plain = keyringFrom(config.VIGIL_TOKENIZATION_KEY, 'VIGIL_TOKENIZATION_KEY')
  return {
    before: (request) => {
      request.context.keyring = plain
    },
  }
}

/** The keyring the middleware put on the context. */
export function keyringOf(context: KeyedContext): Keyring {
  if (!context.keyring) throw new Error('no tokenization keyring on the context: is tokenizationKeyMiddleware in use?')
  return context.keyring
}
