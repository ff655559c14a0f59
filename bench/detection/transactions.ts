/**
 * A simulated handbook transaction as a Vigil producer would put it on the stream. The handbook
 * has a customer, a terminal, a time and an amount; Vigil's record needs a card, a currency and a
 * channel too, so:
 *
 *   CUSTOMER_ID → a card (a Luhn-valid test PAN per customer, tokenized once with the bench's
 *                 keyring, as a producer that tokenizes itself sends it) and the account
 *   TERMINAL_ID → merchant.id        TX_DATETIME → occurredAt (the start date read as UTC)
 *   TX_AMOUNT   → amount in cents    currency EUR, channel card_present (a terminal)
 *
 * No device, IP or location: the handbook has none (its grid coordinates only decide which
 * terminals a customer uses), so the rules that need them stay quiet, as they would for a producer
 * that sends none.
 */
import { primaryToken, type Keyring } from '../../functions/core/keyring.ts'
import type { WireTransaction } from '../../functions/core/transaction.ts'
import { withLuhnDigit } from '../../local/traffic/population.ts'
import type { SimulatedDataset } from './simulator.ts'

/** A test BIN and the customer number: one PAN per customer, never a real card's. */
export const customerPan = (customer: number): string => withLuhnDigit(`400000${String(customer).padStart(9, '0')}`)

export const transactionIdOf = (index: number): string => `hb-${index}`

/** Maps the dataset's rows to wire transactions; each customer's PAN is tokenized once. */
export function wireTransactions(data: SimulatedDataset, keyring: Keyring): (index: number) => WireTransaction {
  const start = Date.parse(`${data.config.startDate}T00:00:00Z`)
  const cards = Array.from({ length: data.config.customers }, (_, c) => {
    const pan = customerPan(c)
    return { token: primaryToken(pan, keyring), last4: pan.slice(-4) }
  })
  const t = data.transactions
  return (i) => {
    const customer = t.customer[i]!
    return {
      transactionId: transactionIdOf(i),
      occurredAt: new Date(start + t.seconds[i]! * 1000).toISOString(),
      amount: t.amountCents[i]!,
      currency: 'EUR',
      card: cards[customer]!,
      accountId: `customer-${customer}`,
      merchant: { id: `terminal-${t.terminal[i]!}` },
      channel: 'card_present',
    }
  }
}
