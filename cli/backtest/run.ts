import type { Decision } from '../../functions/core/decision.ts'
import type { FeatureValues } from '../../functions/core/features/definition.ts'
import type { HistoricalLabel } from '../../functions/core/labels/label.ts'
import type { LabelOutcome } from '../../functions/core/labels/resolve.ts'
import { acceptEventTime, defaultEventTime, eventTimeBounds, type EventTimeSettings } from '../../functions/core/event-time.ts'
import { MemoryScorer } from '../../functions/core/memory-scorer.ts'
import type { Issue } from '../../functions/core/result.ts'
import type { CompiledRuleSet } from '../../functions/core/rules/compile.ts'
import { emptyTally, tallyDecision, type StatsTally } from '../../functions/core/rules/stats.ts'
import { keyIdOf, type KeyId } from '../../functions/core/card-token.ts'
import type { Keyring } from '../../functions/core/keyring.ts'
import { eventTime, parseTransactionJson, type Transaction, type TransactionError } from '../../functions/core/transaction.ts'
import { LabelTimeline } from './label-timeline.ts'
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
  /**
   * Every label measures (the one that stands at the end, per transaction). With the rule set's
   * label-fed features, a label also feeds them from its `reportedAt`, or from its transaction's
   * time plus `labelDelayMs` when it has none; one with neither only measures.
   */
  labels?: readonly HistoricalLabel[]
  labelDelayMs?: number
  /** How many records may wait to be put in event-time order; bounds memory. */
  reorderCapacity: number
  /** How far back in event time a repeated transaction id is recognized as a duplicate. */
  dedupeHorizonMs: number
  /**
   * A returned promise makes the replay wait (backpressure); undefined lets it run on. With the
   * decision: the transaction, the feature values it was decided on, and the label that stands for
   * it once all are known (the target a model learns).
   */
  onDecision: (decision: Decision, scored: { txn: Transaction; features: FeatureValues; label: HistoricalLabel | undefined }) => Promise<void> | undefined | void
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
  /** What feeding labels did: outcomes as the stream applier would answer them; `unmatched`: no transaction of the history. */
  labels: Record<LabelOutcome | 'unmatched', number> & { fed: number }
}

/** The label that stands per transaction once all are known: the newest report's word (undated ones count as oldest, in file order). */
function standingLabels(labels: readonly HistoricalLabel[]): Map<string, HistoricalLabel> {
  const dated = (label: HistoricalLabel) => (label.reportedAt === undefined ? -Infinity : Date.parse(label.reportedAt))
  return new Map([...labels].sort((a, b) => dated(a) - dated(b)).map((label) => [label.transactionId, label]))
}

/**
 * Replays a history through the same core the scorer runs: parse, features from per-entity state,
 * rules, decision, then the state update. Every line ends in one place: a decision, or a reject
 * (invalid, or a repeated transaction id, which like the stream scorer it decides only once).
 * `decidedAt` is the event time, so two runs over the same history diff cleanly.
 */
export async function runBacktest(options: BacktestOptions): Promise<BacktestReport> {
  const { ruleSet, keyring, refusedKeyId, onDecision, onReject, onProgress } = options
  const labels = options.labels ?? []
  const measured = standingLabels(labels)
  // Labels feed features only when some feature reads them; then every one with a time is fed.
  const feeding = ruleSet.plan.labelFed && labels.some((label) => label.reportedAt !== undefined || options.labelDelayMs !== undefined)
  const scorer = new MemoryScorer(ruleSet, { labels: feeding })
  const timeline = new LabelTimeline()
  const undated = new Map<string, HistoricalLabel[]>()
  let fed = 0
  if (feeding) {
    for (const label of labels) {
      if (label.reportedAt !== undefined) timeline.add({ ...label, reportedAt: label.reportedAt })
      else if (options.labelDelayMs !== undefined) undated.set(label.transactionId, [...(undated.get(label.transactionId) ?? []), label])
    }
  }
  const feedUntil = (time: number) => {
    for (const label of timeline.until(time)) {
      scorer.label(label)
      fed++
    }
  }
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
    const time = eventTime(txn)
    // Known at scoring time: reported at or before the transaction's own time, the replay's clock.
    if (feeding) feedUntil(time)
    const { decision, features } = scorer.scoreWithFeatures(txn, txn.occurredAt)
    for (const label of undated.get(txn.transactionId) ?? []) timeline.add({ ...label, reportedAt: new Date(time + options.labelDelayMs!).toISOString() })
    undated.delete(txn.transactionId)
    const label = measured.get(txn.transactionId)
    tallyDecision(tally, decision, label)
    return onDecision(decision, { txn, features, label })
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
  feedUntil(Infinity)
  // Still waiting for its transaction when the history ends: it never came.
  const unmatched = feeding ? scorer.unmatched().length : 0
  return { lines, rejected, duplicates, late: buffer.late, tally, labels: { fed, ...scorer.labelOutcomes, unmatched } }
}
