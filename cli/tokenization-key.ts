import type { KeyId } from '../functions/core/card-token.ts'
import { keyringFrom, singleKey, type Keyring } from '../functions/core/keyring.ts'

/**
 * The keys PANs are tokenized with. In AWS they come from Secrets Manager; on a laptop from
 * VIGIL_TOKENIZATION_KEY (a plain key or a keyring, as the secret holds it), or a fixed development
 * key, which is public (it is written here) and so only fit for sample data: anyone can recompute
 * its tokens from card numbers. Its tokens carry the key id `dev`, so they are never mistaken for
 * a production key's.
 */
export const developmentKeyId: KeyId = 'dev'
export const developmentKey = 'vigil-local-development-key'

export function tokenizationKeyring(env: NodeJS.ProcessEnv = process.env): { keyring: Keyring; development: boolean } {
  const secret = env.VIGIL_TOKENIZATION_KEY
  if (!secret) return { keyring: singleKey(developmentKey, developmentKeyId), development: true }
  return { keyring: keyringFrom(secret, 'VIGIL_TOKENIZATION_KEY'), development: false }
}
