import { createHmac } from 'node:crypto'
import * as z from 'zod'

/**
 * A card token: `<key id>_<HMAC-SHA256 of the PAN, base64url>`, e.g. `k2_…` (43 characters after
 * the underscore).
 *
 * The key id names the HMAC key of the keyring (keyring.ts) that made the token, so two keys can be
 * live at once and a token says which one it came from. It starts with a letter and the underscore
 * cannot occur in a PAN, so no token can be mistaken for a card number, and a card number sent as a
 * token is refused by the schema rather than stored as an entity key.
 */
const keyIdPattern = '[a-z][a-z0-9]{0,7}'
export const keyIdSchema = z.string().regex(new RegExp(`^${keyIdPattern}$`), 'must be 1–8 characters of a-z 0-9, starting with a letter')
export type KeyId = z.infer<typeof keyIdSchema>

/** Unpadded base64url of a 32-byte HMAC-SHA256. */
const macLength = 43

export const cardTokenSchema = z
  .string()
  .regex(new RegExp(`^${keyIdPattern}_[A-Za-z0-9_-]{${macLength}}$`), `must be a card token: <key id>_<${macLength} base64url characters>`)
  .describe('A keyed card token `<key id>_<HMAC>`; never a PAN')

/** The id of the key a token was made with (a token that passed `cardTokenSchema`). */
export const keyIdOf = (token: string): KeyId => token.slice(0, token.indexOf('_'))

/**
 * A keyed HMAC, not a plain hash: the PAN space is small enough (BIN + 9 digits + check digit) to
 * brute-force an unkeyed SHA-256 in hours. Deterministic, so the token works as an entity key.
 */
export function tokenizePan(pan: string, keyId: KeyId, key: string | Uint8Array): string {
  return `${keyId}_${createHmac('sha256', key).update(pan).digest('base64url')}`
}
