import * as z from 'zod'
import { keyIdSchema, tokenizePan, type KeyId } from './card-token.ts'
import { fromZodError } from './issues.ts'
import { err, ok, type Issue, type Result } from './result.ts'

/**
 * The live PAN tokenization keys: `{"primary":"k2","keys":{"k1":"…","k2":"…"}}`.
 *
 * New tokens are made with the primary key. During a change-over a second key is live: a token
 * made with it is still accepted, and a PAN is also tokenized with it (its alias), so a card listed
 * or known under the other key is still recognised (see `cardTokens`). Never more than two: each
 * live key costs an HMAC per transaction, and a third would mean a change-over left unfinished.
 */
export const keyringSchema = z
  .strictObject({
    primary: keyIdSchema,
    keys: z.record(keyIdSchema, z.string().min(16, 'must be at least 16 characters')),
  })
  .refine((ring) => Object.keys(ring.keys).length <= 2, { message: 'holds at most two live keys', path: ['keys'] })
  .refine((ring) => Object.hasOwn(ring.keys, ring.primary), { message: 'must name one of the keys', path: ['primary'] })

export type Keyring = z.infer<typeof keyringSchema>

/**
 * The id a plain-string secret's key gets: the secret a stack generates, and every secret written
 * before key ids existed, is one key, `k1`. The first change-over writes the JSON form with `k1`
 * and the new key beside it.
 */
export const defaultKeyId: KeyId = 'k1'

/** A keyring of one key. */
export const singleKey = (key: string, keyId: KeyId = defaultKeyId): Keyring => ({ primary: keyId, keys: { [keyId]: key } })

/**
 * The keyring a secret holds: the JSON form, or a plain string as the single key `k1`. The issues
 * never quote the secret (no key, no JSON parser message, which would echo it).
 */
export function parseKeyring(secret: string): Result<Keyring, Issue[]> {
  if (!secret.trimStart().startsWith('{')) {
    return secret.length >= 16 ? ok(singleKey(secret)) : err([{ path: '', message: 'a plain key must be at least 16 characters' }])
  }
  let json: unknown
  try {
    json = JSON.parse(secret)
  } catch {
    return err([{ path: '', message: 'starts with "{" but is not valid JSON' }])
  }
  const parsed = keyringSchema.safeParse(json)
  return parsed.success ? ok(parsed.data) : err(fromZodError(parsed.error))
}

export const isLive = (keyring: Keyring, keyId: KeyId): boolean => Object.hasOwn(keyring.keys, keyId)

/** A PAN's token under the primary key: the card's entity key and its stream partition key. */
export const primaryToken = (pan: string, keyring: Keyring): string => tokenizePan(pan, keyring.primary, keyring.keys[keyring.primary]!)

/** A PAN's token under the primary key, and its aliases: its tokens under the other live keys. */
export function cardTokens(pan: string, keyring: Keyring): { token: string; aliases: string[] } {
  const aliases: string[] = []
  for (const [keyId, key] of Object.entries(keyring.keys)) if (keyId !== keyring.primary) aliases.push(tokenizePan(pan, keyId, key))
  return { token: primaryToken(pan, keyring), aliases }
}

export class TokenizationKeyError extends Error {
  readonly code = 'invalid_tokenization_key'
  readonly issues: Issue[]
  constructor(where: string, issues: Issue[]) {
    // The issues name paths and rules, never the secret's text.
    super(`${where} is not a tokenization keyring: ${issues.map((i) => (i.path ? `${i.path} ${i.message}` : i.message)).join('; ')}`)
    this.name = 'TokenizationKeyError'
    this.issues = issues
  }
}

/** The keyring `text` holds, or a TokenizationKeyError naming `where` (never the text). */
export function keyringFrom(text: string | undefined, where: string): Keyring {
  const parsed = parseKeyring(text ?? '')
  if (!parsed.ok) throw new TokenizationKeyError(where, parsed.error)
  return parsed.value
}
