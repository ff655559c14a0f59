/**
 * The HMAC key PANs are tokenized with. In AWS it comes from Secrets Manager; on a laptop from
 * VIGIL_TOKENIZATION_KEY, or a fixed development key, which is only fit for sample data: tokens
 * made with it must never be compared with production tokens.
 */
export const developmentKey = 'vigil-local-development-key'

export function tokenizationKey(env: NodeJS.ProcessEnv = process.env): { key: string; development: boolean } {
  const key = env.VIGIL_TOKENIZATION_KEY
  return key ? { key, development: false } : { key: developmentKey, development: true }
}
