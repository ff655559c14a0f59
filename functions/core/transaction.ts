import * as z from 'zod'
import { cardTokenSchema, keyIdOf } from './card-token.ts'
import { fromZodError } from './issues.ts'
import { cardTokens, isLive, type Keyring } from './keyring.ts'
import { maskedDigits } from './masked-pan.ts'
import { luhnValid } from './pan.ts'
import { containsPan } from './pan-text.ts'
import { err, ok, type Issue, type Result } from './result.ts'

const knownCurrencies = new Set(Intl.supportedValuesOf('currency'))

const id = z.string().min(1).max(128)

/**
 * `localHour()` reads the hours as the producer wrote them, so an offset is a claim about where the
 * transaction happened; one no place on Earth uses (+23:00) could move the hour anywhere.
 */
function realZoneOffset(text: string): boolean {
  const zone = /([+-])(\d{2}):?(\d{2})$/.exec(text)
  if (zone === null) return true
  const minutes = (zone[1] === '-' ? -1 : 1) * (Number(zone[2]) * 60 + Number(zone[3]))
  return minutes >= -12 * 60 && minutes <= 14 * 60
}

/** The idempotency key of a transaction, and how labels and cases name it. */
export const transactionIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1–128 characters of A-Z a-z 0-9 _ . : -')

/** Why an id holding a PAN is refused (its value is never quoted). */
export const panInIdentifierMessage = 'could be a card number (12–19 digits passing the Luhn check, however grouped); an id must never hold one'

const common = {
  transactionId: transactionIdSchema,
  occurredAt: z.iso
    .datetime({ offset: true, message: 'must be an ISO 8601 date-time with a zone (Z or ±hh:mm)' })
    .refine(realZoneOffset, 'must have a zone offset from -12:00 to +14:00, the offsets of real places'),
  amount: z.int().nonnegative().describe('Integer amount in minor units (cents)'),
  currency: z.string().refine((code) => knownCurrencies.has(code), 'must be an ISO 4217 currency code'),
  accountId: id.optional(),
  merchant: z.object({
    id,
    mcc: z.string().regex(/^\d{4}$/, 'must be 4 digits').optional(),
    country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code').optional(),
  }),
  channel: z.enum(['card_present', 'ecommerce', 'atm', 'moto']),
  device: z
    .object({ id: id.optional(), ip: z.union([z.ipv4(), z.ipv6()], { message: 'must be an IPv4 or IPv6 address' }).optional() })
    .optional(),
  location: z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }).optional(),
}

/** A card a producer tokenized: never a PAN, only its keyed token, BIN and last four. */
export const tokenizedCardSchema = z.strictObject({
  token: cardTokenSchema,
  bin: z.string().regex(/^\d{6}$/).optional(),
  last4: z.string().regex(/^\d{4}$/).optional(),
})

/**
 * The card as it is kept. `aliases`: while a second key is live, the card's token under it, so
 * list membership (rules/evaluate.ts) and entity history can find a card known under either key.
 * Only a PAN gives aliases: a token cannot be re-keyed.
 */
export const cardSchema = tokenizedCardSchema.extend({ aliases: z.array(cardTokenSchema).max(1).optional() })

const wireCardSchema = z.union(
  [
    z.strictObject({
      pan: z
        .string()
        .regex(/^\d{12,19}$/, 'must be 12–19 digits')
        .refine(luhnValid, 'fails the Luhn check'),
    }),
    tokenizedCardSchema,
  ],
  { message: 'must be {pan} or {token}' },
)

/** The wire format producers put on the stream. */
export const wireTransactionSchema = z.object({ ...common, card: wireCardSchema })

/**
 * The same schema compiled ahead of time: a valid record takes generated code (a quarter of the
 * runtime parser's time), an invalid one falls back to the runtime parser, so issues are unchanged.
 */
const wireTransactionParser = z.compile(wireTransactionSchema)

/** A transaction after parsing: the PAN replaced by its token. Everything downstream uses this. */
export const transactionSchema = z.object({ ...common, card: cardSchema })

export type WireTransaction = z.input<typeof wireTransactionSchema>
export type Transaction = z.infer<typeof transactionSchema>
export type Channel = Transaction['channel']

export interface TransactionError {
  code: 'invalid_json' | 'invalid_transaction' | 'pan_in_identifier'
  issues: Issue[]
}

/**
 * Ids travel everywhere a card number must not: entity and decision keys, case ids, workflow
 * executions, API responses, log lines. One that holds a PAN in any notation the PAN text policy
 * knows is refused whole, named by its path only.
 */
function panInIdentifiers(txn: { transactionId: string; accountId?: string; merchant: { id: string }; device?: { id?: string } }): Issue[] {
  const ids: Array<[string, string | undefined]> = [
    ['transactionId', txn.transactionId],
    ['accountId', txn.accountId],
    ['merchant.id', txn.merchant.id],
    ['device.id', txn.device?.id],
  ]
  return ids.filter(([, value]) => value !== undefined && containsPan(value)).map(([path]) => ({ path, message: panInIdentifierMessage }))
}

export interface ParseOptions {
  /**
   * Accept a token under any key id, not only a live one. For a replay of history (the backtest),
   * whose tokens were made with the keys live then; the scorer refuses them, as they can match no
   * card it knows.
   */
  readonly tokensUnderAnyKey?: boolean
}

export function parseTransaction(input: unknown, keyring: Keyring, options: ParseOptions = {}): Result<Transaction, TransactionError> {
  const parsed = wireTransactionParser.safeParse(input)
  if (!parsed.success) return err({ code: 'invalid_transaction', issues: fromZodError(parsed.error) })
  const txn = parsed.data
  const panIds = panInIdentifiers(txn)
  if (panIds.length > 0) return err({ code: 'pan_in_identifier', issues: panIds })
  const { card } = txn
  if (!('pan' in card)) {
    if (options.tokensUnderAnyKey || isLive(keyring, keyIdOf(card.token))) return ok(txn as Transaction)
    const live = Object.keys(keyring.keys).join(', ')
    return err({ code: 'invalid_transaction', issues: [{ path: 'card.token', message: `is not under a live key (${live}): it can match no card` }] })
  }
  // zod returned a fresh object, so replacing its card in place copies nothing and drops the PAN.
  const { token, aliases } = cardTokens(card.pan, keyring)
  return ok(Object.assign(txn, { card: { token, ...(aliases.length > 0 ? { aliases } : {}), ...maskedDigits(card.pan) } }))
}

export function parseTransactionJson(text: string, keyring: Keyring, options: ParseOptions = {}): Result<Transaction, TransactionError> {
  let input: unknown
  try {
    input = JSON.parse(text)
  } catch {
    // V8's message quotes the input, which may hold a PAN; the position is all a producer needs.
    return err({ code: 'invalid_json', issues: [{ path: '', message: 'is not valid JSON' }] })
  }
  return parseTransaction(input, keyring, options)
}

/** Event time in epoch milliseconds; the only clock the core knows. */
export const eventTime = (txn: Transaction): number => Date.parse(txn.occurredAt)
