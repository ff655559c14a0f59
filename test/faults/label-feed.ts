/**
 * The labels scenario's input: seeded transactions in three phases (scored before the label feed,
 * scored while it is applied, put only after it), and a label feed over them as the outside world
 * sends one: verdicts, chargebacks confirming them, exact re-imports, flips, older disagreeing
 * reports, labels of transactions not scored yet or never, and malformed records. Every record is
 * tagged with what it is, so the oracle knows the invalid ones without parsing them.
 */
import { generateTraffic } from '../../local/traffic/index.ts'
import { Random } from '../../local/traffic/random.ts'
import type { Label } from '../../functions/core/labels/label.ts'
import { parseTransactionJson, eventTime, type Transaction } from '../../functions/core/transaction.ts'
import { testKey, withLuhnDigit } from '../support/transactions.ts'

/** How a labeled transaction's labels go. */
export const stories = ['verdict', 'chargeback', 'reimport', 'flip', 'superseded', 'flip-back'] as const
export type Story = (typeof stories)[number]

export interface FeedRecord {
  readonly data: string
  /** The partition key: the label's transaction id (a malformed record's claimed one). */
  readonly partitionKey: string
  readonly valid: boolean
}

export interface LabelTraffic {
  /** Transaction lines: scored before the feed (A), while it is applied (B), after it (C). */
  readonly phases: { readonly before: readonly string[]; readonly during: readonly string[]; readonly after: readonly string[] }
  /** Every valid transaction, parsed, by id. */
  readonly transactions: ReadonlyMap<string, Transaction>
  readonly feed: readonly FeedRecord[]
  readonly stories: Readonly<Record<Story | 'pending' | 'never-scored' | 'malformed', number>>
}

const hour = 3_600_000

/** Twenty days ago at 08:00 UTC, as the transaction scenarios start: inside every window and the entity retention. */
function trafficStart(): Date {
  const day = 86_400_000
  return new Date((Math.floor(Date.now() / day) - 20) * day + 8 * hour)
}

/**
 * `transactions` transactions from a small population (16 cards: merchants and devices are shared
 * hot), and about 1.2 label records per transaction.
 */
export function labelTraffic(seed: number, transactions: number): LabelTraffic {
  const lines: string[] = []
  const fraud = new Map<string, boolean>()
  for (const event of generateTraffic({
    seed: seed * 100 + 13,
    start: trafficStart(),
    count: transactions,
    cards: 16,
    ratePerSecond: 0.02,
    fraudShare: 0.15,
    malformedShare: 0,
    duplicateShare: 0,
    outOfOrderShare: 0,
  })) {
    if (event.kind !== 'valid') continue
    lines.push(event.line)
    fraud.set(event.transaction.transactionId, event.fraud)
  }
  const parsed = new Map<string, Transaction>()
  for (const line of lines) {
    const result = parseTransactionJson(line, testKey)
    if (!result.ok) throw new Error(`the generator made an invalid transaction: ${result.error.code}`)
    parsed.set(result.value.transactionId, result.value)
  }
  const before = lines.slice(0, Math.floor(lines.length * 0.5))
  const during = lines.slice(before.length, Math.floor(lines.length * 0.8))
  const after = lines.slice(before.length + during.length)
  const ids = (phase: readonly string[]) => phase.map((line) => (JSON.parse(line) as { transactionId: string }).transactionId)

  const rng = new Random(seed, 13)
  const counts = Object.fromEntries([...stories, 'pending', 'never-scored', 'malformed'].map((s) => [s, 0])) as Record<Story | 'pending' | 'never-scored' | 'malformed', number>
  const slotted: Array<{ slot: number; order: number; record: FeedRecord }> = []
  let order = 0
  const span = lines.length * 10
  const place = (labels: readonly (Label | string)[], partitionKey: string, valid = true) => {
    let slot = rng.int(0, span)
    for (const label of labels) {
      slotted.push({ slot, order: order++, record: { data: typeof label === 'string' ? label : JSON.stringify(label), partitionKey, valid } })
      slot += rng.int(1, span / 10)
    }
  }
  const story = (id: string, known: number, tally = true): Label[] => {
    const at = (offset: number) => new Date(known + offset).toISOString()
    const isFraud = fraud.get(id) ?? rng.chance(0.5)
    const kind = stories[rng.int(0, stories.length - 1)]!
    if (tally) counts[kind]++
    switch (kind) {
      case 'verdict':
        return [{ transactionId: id, fraud: isFraud, reportedAt: at(0), source: 'analyst' }]
      case 'chargeback':
        return [
          { transactionId: id, fraud: true, reportedAt: at(0), source: 'analyst', reason: 'confirmed by the cardholder' },
          { transactionId: id, fraud: true, reportedAt: at(26 * hour), source: 'chargeback', reason: '10.4' },
        ]
      case 'reimport': {
        const label: Label = { transactionId: id, fraud: isFraud, reportedAt: at(0), source: 'issuer' }
        return [label, { ...label }]
      }
      case 'flip':
        return [
          { transactionId: id, fraud: true, reportedAt: at(0), source: 'chargeback', reason: '10.4' },
          { transactionId: id, fraud: false, reportedAt: at(48 * hour), source: 'issuer', reason: 'dispute lost: the cardholder made it' },
        ]
      case 'superseded':
        return [
          { transactionId: id, fraud: true, reportedAt: at(30 * hour), source: 'issuer' },
          { transactionId: id, fraud: false, reportedAt: at(0), source: 'customer' },
        ]
      case 'flip-back':
        return [
          { transactionId: id, fraud: true, reportedAt: at(0), source: 'analyst' },
          { transactionId: id, fraud: false, reportedAt: at(20 * hour), source: 'issuer' },
          { transactionId: id, fraud: true, reportedAt: at(40 * hour), source: 'chargeback', reason: '10.4' },
        ]
    }
  }

  // Most fraud and a share of the rest of the scored transactions get labels, some days later.
  for (const id of ids(before)) {
    if (!rng.chance(fraud.get(id) ? 0.9 : 0.45)) continue
    place(story(id, eventTime(parsed.get(id)!) + rng.int(1, 72) * hour), id)
  }
  // Labels that come before their transaction is put: they wait for it.
  for (const id of ids(after)) {
    if (!rng.chance(0.35)) continue
    counts.pending++
    place(story(id, eventTime(parsed.get(id)!) + rng.int(1, 72) * hour), id)
  }
  // Labels of transactions the stream never carries: they wait for good.
  for (let i = 0; i < Math.max(3, Math.round(lines.length / 200)); i++) {
    const id = `never-scored-${seed}-${i}`
    counts['never-scored']++
    place(story(id, trafficStart().getTime() + i * hour, false), id)
  }
  // Malformed records: 3% of the feed.
  const labeled = ids(before)
  const malformedCount = Math.max(6, Math.round(slotted.length * 0.03))
  for (let i = 0; i < malformedCount; i++) {
    const id = labeled[rng.int(0, labeled.length - 1)]!
    counts.malformed++
    place([malformed(rng, id, i)], id, false)
  }
  slotted.sort((a, b) => a.slot - b.slot || a.order - b.order)
  return { phases: { before, during, after }, transactions: parsed, feed: slotted.map((s) => s.record), stories: counts }
}

/** A record that is not a label, each of the ways a feed gets one wrong. */
function malformed(rng: Random, id: string, i: number): string {
  const reportedAt = '2026-01-01T00:00:00Z'
  switch (i % 9) {
    case 0:
      return `{"transactionId": "${id}", "fraud": tru`
    case 1:
      return JSON.stringify({ transactionId: id, fraud: 'yes', reportedAt, source: 'chargeback' })
    case 2:
      return JSON.stringify({ transactionId: id, fraud: true, source: 'chargeback' })
    case 3:
      return JSON.stringify({ transactionId: id, fraud: true, reportedAt: '2026-01-01T00:00:00', source: 'issuer' })
    case 4:
      return JSON.stringify({ transactionId: id, fraud: true, reportedAt, source: 'bank' })
    case 5:
      return JSON.stringify({ transactionId: id, fraud: true, reportedAt, source: 'issuer', amount: 100 })
    case 6:
      return JSON.stringify({ transactionId: id, fraud: true, reportedAt, source: 'customer', reason: `card ${withLuhnDigit(`41111111${String(rng.int(1_000_000, 9_999_999))}`)} stolen` })
    case 7:
      return JSON.stringify([{ transactionId: id, fraud: true, reportedAt, source: 'issuer' }])
    default:
      return JSON.stringify({ transactionId: id, fraud: false, reportedAt, source: 'analyst', reason: '   ' })
  }
}
