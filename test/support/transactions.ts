import { singleKey } from '../../functions/core/keyring.ts'
import type { WireTransaction } from '../../functions/core/transaction.ts'

/** The reference transaction; tests override what they exercise. */
export const wireExample = (overrides: Partial<WireTransaction> = {}): WireTransaction => ({
  transactionId: 'tx-000123',
  occurredAt: '2026-11-24T10:15:30.123Z',
  amount: 1250,
  currency: 'EUR',
  card: { pan: '4111111111111111' },
  accountId: 'acc-42',
  merchant: { id: 'm-7', mcc: '5999', country: 'FR' },
  channel: 'ecommerce',
  device: { id: 'dev-9', ip: '203.0.113.7' },
  location: { lat: 48.85, lon: 2.35 },
  ...overrides,
})

/** The tests' tokenization key as a secret holds it (VIGIL_TOKENIZATION_KEY), and as the keyring it is. */
export const testKeySecret = 'test-tokenization-key'
export const testKey = singleKey(testKeySecret)

/** Appends the Luhn check digit to a digit string. */
export function withLuhnDigit(body: string): string {
  let sum = 0
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i])
    if (i % 2 === 0) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return body + String((10 - (sum % 10)) % 10)
}
