import type { Decision } from '../../functions/core/decision.ts'
import { MemoryScorer } from '../../functions/core/memory-scorer.ts'
import type { Issue } from '../../functions/core/result.ts'
import type { CompiledRuleSet } from '../../functions/core/rules/compile.ts'
import { emptyTally, tallyDecision, type StatsTally } from '../../functions/core/rules/stats.ts'
import { eventTime, parseTransactionJson, type TokenizationKey, type Transaction } from '../../functions/core/transaction.ts'
import { ReorderBuffer } from './reorder-buffer.ts'

/** An input line that could not be scored, with its 1-based line number and why. */
export interface Reject {
  line: number
  code: string
  issues: Issue[]
}

export interface BacktestOptions {
  ruleSet: CompiledRuleSet
  key: TokenizationKey
  lines: AsyncIterable<string>
  labels?: ReadonlyMap<string, boolean>
  /** How many records may wait to be put in event-time order; bounds memory. */
  reorderCapacity: number
  onDecision: (decision: Decision) => void | Promise<void>
  onReject: (reject: Reject) => void | Promise<void>
  onProgress?: (linesRead: number) => void
}

export interface BacktestReport {
  lines: number
  rejected: number
  /** Records that arrived later than the reorder buffer could wait for; scored all the same. */
  late: number
  tally: StatsTally
}

/**
 * Replays a history through the same core the scorer runs: parse, features from per-entity state,
 * rules, decision, then the state update. `decidedAt` is the event time, so two runs over the same
 * history diff cleanly.
 */
export async function runBacktest(options: BacktestOptions): Promise<BacktestReport> {
  const { ruleSet, key, labels, onDecision, onReject, onProgress } = options
  const scorer = new MemoryScorer(ruleSet)
  const tally = emptyTally(ruleSet.rules)
  const buffer = new ReorderBuffer<Transaction>(options.reorderCapacity)
  let lines = 0
  let rejected = 0

  const score = async (txn: Transaction) => {
    const decision = scorer.score(txn, txn.occurredAt)
    tallyDecision(tally, decision, labels?.get(txn.transactionId))
    await onDecision(decision)
  }

  for await (const text of options.lines) {
    lines++
    onProgress?.(lines)
    if (text.trim() === '') continue
    const parsed = parseTransactionJson(text, key)
    if (!parsed.ok) {
      rejected++
      await onReject({ line: lines, code: parsed.error.code, issues: parsed.error.issues })
      continue
    }
    for (const txn of buffer.push(eventTime(parsed.value), parsed.value)) await score(txn)
  }
  for (const txn of buffer.drain()) await score(txn)
  return { lines, rejected, late: buffer.late, tally }
}
