/**
 * The PAN HMAC key for each invocation, on `context.tokenizationKey`.
 *
 * In AWS it is a Secrets Manager secret read through middy's secrets-manager middleware: fetched
 * at cold start (prefetch), kept in middy's cache and fetched again once `cacheExpiryMs` has
 * passed, so a changed secret reaches every warm container within that time without a deploy.
 * On a laptop and in tests it is the plain VIGIL_TOKENIZATION_KEY.
 *
 * Changing the key changes every card's token: a card's history (its entity aggregates, lists and
 * labels) stays under the old token and the card starts again from nothing under the new one. So
 * the key is never rotated on a schedule; re-keying is a migration that needs key versions (a key
 * id beside each token, both keys read during the change-over), which does not exist yet.
 */
import type { SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager'
import type { Context } from 'aws-lambda'
import type { MiddlewareObj } from '@middy/core'
import secretsManager from '@middy/secrets-manager'
import type { TokenizationKey } from '../core/transaction.ts'
import type { ScorerConfig } from './config.ts'

export const defaultKeyCacheMs = 5 * 60_000

export type KeyedContext = Context & { tokenizationKey?: unknown }

export interface TokenizationKeyOptions {
  /** How long a fetched secret is used before it is fetched again. */
  readonly cacheExpiryMs?: number
  /** The Secrets Manager client's settings (an emulator's endpoint in tests). */
  readonly awsClientOptions?: SecretsManagerClientConfig
}

type Source = Pick<ScorerConfig, 'VIGIL_TOKENIZATION_SECRET_ARN' | 'VIGIL_TOKENIZATION_KEY'>

export function tokenizationKeyMiddleware(config: Source, options: TokenizationKeyOptions = {}): MiddlewareObj<unknown, unknown, Error, KeyedContext> {
  const secretArn = config.VIGIL_TOKENIZATION_SECRET_ARN
  if (secretArn) {
    return secretsManager({
      fetchData: { tokenizationKey: secretArn },
      cacheKey: `vigil-tokenization-key:${secretArn}`,
      cacheExpiry: options.cacheExpiryMs ?? defaultKeyCacheMs,
      setToContext: true,
      // Not traced: middy traces only a client it creates per invocation, which gives up the
      // fetch at cold start; one call per container every few minutes is not worth that.
      ...(options.awsClientOptions ? { awsClientOptions: options.awsClientOptions } : {}),
    }) as MiddlewareObj<unknown, unknown, Error, KeyedContext>
  }
  const plain = config.VIGIL_TOKENIZATION_KEY
  if (!plain) throw new Error('set VIGIL_TOKENIZATION_SECRET_ARN (AWS) or VIGIL_TOKENIZATION_KEY (local): PANs cannot be tokenized without a key')
  return {
    before: (request) => {
      request.context.tokenizationKey = plain
    },
  }
}

/** The key the middleware put on the context; a secret that is not a long enough string is refused. */
export function tokenizationKeyOf(context: KeyedContext): TokenizationKey {
  const key = context.tokenizationKey
  if (typeof key !== 'string' || key.length < 16) throw new Error('the tokenization secret is not a string of at least 16 characters')
  return key
}
