/**
 * Scores a stretch of the simulated days with Vigil's pure core in memory (`MemoryScorer`, the
 * scorer's own feature and rule code), optionally feeding fraud labels as the handbook's protocol
 * knows them: a transaction's label arrives `delayDays` after it, and is applied at that moment, in
 * time order with the transactions, never earlier.
 */
import type { Keyring } from '../../functions/core/keyring.ts'
import { MemoryScorer } from '../../functions/core/memory-scorer.ts'
import type { CompiledRuleSet } from '../../functions/core/rules/compile.ts'
import { parseTransaction } from '../../functions/core/transaction.ts'
import type { SimulatedDataset } from './simulator.ts'
import { transactionIdOf, wireTransactions } from './transactions.ts'

const dayMs = 86_400_000

export interface ReplayOptions {
  ruleSet: CompiledRuleSet
  keyring: Keyring
  /** Days [fromDay, toDay) are scored, in time order; earlier days are never seen. */
  fromDay: number
  toDay: number
  /** Feed the fraud labels, each `delayDays` after its transaction. Without it, label-fed features stay at zero. */
  labels?: { delayDays: number }
}

export interface Replay {
  /** Vigil's score per transaction of the dataset (NaN outside the replayed days). */
  score: Float64Array
  scored: number
  labelsApplied: number
  ms: number
}

export function replay(data: SimulatedDataset, options: ReplayOptions): Replay {
  const t = data.transactions
  const wire = wireTransactions(data, options.keyring)
  const scorer = new MemoryScorer(options.ruleSet, { labels: options.labels !== undefined })
  const score = new Float64Array(t.count).fill(Number.NaN)
  const start = Date.parse(`${data.config.startDate}T00:00:00Z`)
  const delayMs = (options.labels?.delayDays ?? 0) * dayMs
  // Frauds scored so far, in time order: their labels fall due in the same order.
  const due: number[] = []
  let nextDue = 0
  let scored = 0
  const began = performance.now()
  for (let i = 0; i < t.count; i++) {
    const day = t.day[i]!
    if (day < options.fromDay) continue
    if (day >= options.toDay) break
    const time = start + t.seconds[i]! * 1000
    if (options.labels) {
      // Only fraud labels: fraud_count and fraud_rate count confirmed frauds over all transactions,
      // so a "legitimate" label changes nothing and is not sent.
      while (nextDue < due.length && start + t.seconds[due[nextDue]!]! * 1000 + delayMs <= time) {
        const j = due[nextDue++]!
        const reportedAt = new Date(start + t.seconds[j]! * 1000 + delayMs).toISOString()
        scorer.label({ transactionId: transactionIdOf(j), fraud: true, reportedAt, source: 'chargeback' })
      }
    }
    const parsed = parseTransaction(wire(i), options.keyring)
    if (!parsed.ok) throw new Error(`simulated transaction ${i} is not a valid Vigil transaction: ${JSON.stringify(parsed.error.issues)}`)
    score[i] = scorer.score(parsed.value, parsed.value.occurredAt).score
    scored++
    if (options.labels && t.fraud[i]) due.push(i)
  }
  return { score, scored, labelsApplied: nextDue, ms: performance.now() - began }
}
