import { parseTransaction, type WireTransaction } from '../../../functions/core/transaction.ts'
import { testKey } from '../../support/transactions.ts'
import { generateTraffic, type TrafficEvent, type TrafficOptions } from '../../../local/traffic/index.ts'

export const start = new Date('2026-11-01T00:00:00Z')

export const collect = (options: Partial<TrafficOptions> & { count: number }): TrafficEvent[] => [
  ...generateTraffic({ seed: 42, start, cards: 2_000, ...options }),
]

export const panOf = (txn: WireTransaction): string => ('pan' in txn.card ? txn.card.pan : txn.card.token)
export const timeOf = (txn: WireTransaction): number => Date.parse(txn.occurredAt)
/** The hour digits of the timestamp: local time in the zone it was written in, as the rules read it. */
export const localHour = (txn: WireTransaction): number => Number(txn.occurredAt.slice(11, 13))

/** Whether the pipeline's parser takes the line (bad JSON counts as a rejection). */
export function accepted(line: string): boolean {
  let input: unknown
  try {
    input = JSON.parse(line)
  } catch {
    return false
  }
  return parseTransaction(input, testKey).ok
}
