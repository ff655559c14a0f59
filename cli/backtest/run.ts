import type { Decision } from '../../functions/core/decision.ts'
import { acceptEventTime, defaultEventTime, eventTimeBounds, type EventTimeSettings } from '../../functions/core/event-time.ts'
import { MemoryScorer } from '../../functions/core/memory-scorer.ts'
import type { Issue } from '../../functions/core/result.ts'
import type { CompiledRuleSet } from '../../functions/core/rules/compile.ts'
import { emptyTally, tallyDecision, type StatsTally } from '../../functions/core/rules/stats.ts'
import { keyIdOf, type KeyId } from '../../functions/core/card-token.ts'
import type { Keyring } from '../../functions/core/keyring.ts'
import { eventTime, parseTransactionJson, type Transaction, type TransactionError } from '../../functions/core/transaction.ts'
import { RecentIds } from './recent-ids.ts'
import { ReorderBuffer } from './reorder-buffer.ts'

/** The replay met a card tokenized with a key it was told to refuse. */
export class RefusedKeyError extends Error {
  readonly code = 'refused_key'
  readonly line: number
  readonly keyId: KeyId
  constructor(line: number, keyId: KeyId) {
    super(`line ${line}: a card number (or a token) under the key "${keyId}"`)
    this.name = 'RefusedKeyError'
    this.line = line
    this.keyId = keyId
  }
}

/** An input line that was not scored, with its 1-based line number and why. */
export interface Reject {
  line: number
  code: TransactionError['code'] | 'duplicate_transaction' | 'event_time_skew'
  issues: Issue[]
}

export interface BacktestOptions {
  ruleSet: CompiledRuleSet
  /** Tokenizes the history's PANs; its tokens may be under any key, live or retired. */
  keyring: Keyring
  /** A key whose tokens stop the replay (the public development key, unless allowed). */
  refusedKeyId?: KeyId
  lines: AsyncIterable<string>
  labels?: ReadonlyMap<string, boolean>
  /** How many records may wait to be put in event-time order; bounds memory. */
  reorderCapacity: number
  /** How far back in event time a repeated transaction id is recognized as a duplicate. */
  dedupeHorizonMs: number
  /** A returned promise makes the replay wait (backpressure); undefined lets it run on. */
  onDecision: (decision: Decision) => Promise<void> | undefined | void
  onReject: (reject: Reject) => Promise<void> | undefined | void
  onProgress?: (linesRead: number) => void
  /** The stream scorer's bounds on event time; its defaults if left out. */
  eventTime?: EventTimeSettings
  /** When the replay started (epoch ms): no event of a recorded history is later. Now if left out. */
  startedAt?: number
}

export interface BacktestReport {
  lines: number
  rejected: number
  /** Lines repeating a transaction id already scored: skipped, as the stream scorer skips them. */
  duplicates: number
  /** Records that arrived later than the reorder buffer could wait for; scored all the same. */
  late: number
  tally: StatsTally
}

/**
 * Replays a history through the same core the scorer runs: parse, features from per-entity state,
 * rules, decision, then the state update. Every line ends in one place: a decision, or a reject
 * (invalid, or a repeated transaction id, which like the stream scorer it decides only once).
 * `decidedAt` is the event time, so two runs over the same history diff cleanly.
 */
export async function runBacktest(options: BacktestOptions): Promise<BacktestReport> {
  const { ruleSet, keyring, refusedKeyId, labels, onDecision, onReject, onProgress } = options
  const scorer = new MemoryScorer(ruleSet)
  const tally = emptyTally(ruleSet.rules)
  const buffer = new ReorderBuffer<Transaction>(options.reorderCapacity)
  const recent = new RecentIds(options.dedupeHorizonMs)
  let lines = 0
  let rejected = 0
  let duplicates = 0
  // The stream's clock is arrival, which a history does not record. A replay accepts what the
  // stream would have: nothing after its own start (plus the skew), nothing older than the newest
  // line read before it by more than the maximum age (lines are written roughly in arrival order).
  const bounds = eventTimeBounds(ruleSet.plan, options.eventTime ?? defaultEventTime)
  const notAfter = (options.startedAt ?? Date.now()) + bounds.maxAheadMs
  let newest = -Infinity

  const score = (txn: Transaction) => {
    const decision = scorer.score(txn, txn.occurredAt)
    tallyDecision(tally, decision, labels?.get(txn.transactionId))
    return onDecision(decision)
  }

  for await (const text of options.lines) {
    lines++
    onProgress?.(lines)
    if (text.trim() === '') continue
    const parsed = parseTransactionJson(text, keyring, { tokensUnderAnyKey: true })
    if (!parsed.ok) {
      rejected++
      await onReject({ line: lines, code: parsed.error.code, issues: parsed.error.issues })
      continue
    }
    if (refusedKeyId !== undefined && keyIdOf(parsed.value.card.token) === refusedKeyId) throw new RefusedKeyError(lines, refusedKeyId)
    const time = eventTime(parsed.value)
    const inRange = acceptEventTime(
      parsed.value,
      { notBefore: newest - bounds.maxAgeMs, notAfter, of: { notBefore: 'the newest event read before it', notAfter: 'the start of the replay' } },
      time,
    )
    if (!inRange.ok) {
      rejected++
      await onReject({ line: lines, ...inRange.error })
      continue
    }
    newest = Math.max(newest, time)
    if (recent.seen(parsed.value.transactionId, time)) {
      duplicates++
      await onReject({ line: lines, code: 'duplicate_transaction', issues: [{ path: 'transactionId', message: 'repeats an earlier line; a transaction is decided once' }] })
      continue
    }
    for (const txn of buffer.push(time, parsed.value)) {
      const written = score(txn)
      if (written) await written
    }
  }
  for (const txn of buffer.drain()) {
    const written = score(txn)
    if (written) await written
  }
  return { lines, rejected, duplicates, late: buffer.late, tally }
}
