import type { LabelItem } from '../core/labels/apply-batch.ts'
import type { Label } from '../core/labels/label.ts'
import { sweepWaiting } from '../core/labels/waiting.ts'

export interface LabelSweepDeps {
  labels: {
    waiting(limit: number): Promise<Array<{ transactionId: string; item: LabelItem }>>
    write(transactionId: string, item: LabelItem, expectedVersion: number, now: string): Promise<'written' | 'conflict'>
  }
  decisions: { decided(transactionIds: readonly string[], now: number): Promise<Set<string>> }
  stream: { send(labels: readonly Label[]): Promise<Array<{ sent: boolean }>> }
  /** How long a label waits for its transaction, from its `reportedAt`. */
  maxWaitMs: number
  now: () => number
}

export interface LabelSweepOutcome {
  /** Labels sent again because their transaction is now scored. */
  resent: number
  /** Of those, the ones the stream refused: the next sweep tries again. */
  notSent: number
  /** Labels set aside as unmatched, by transaction. */
  unmatched: Array<{ transactionId: string; labels: number }>
  /** Items whose write lost to a concurrent one: the next sweep sees them afresh. */
  conflicts: number
  stillWaiting: number
}

/** Items looked at per sweep: a backlog drains over several. */
export const sweepLimit = 1_000

/**
 * One sweep of the labels that came before their transaction: each item waiting is resent once the
 * transaction is scored, or past the bounded wait has its expired labels set aside as unmatched.
 * Safe to repeat and to overlap: a resent label the applier already applied is a duplicate, and
 * setting aside is conditional on the version read.
 */
export async function sweepLabels(deps: LabelSweepDeps): Promise<LabelSweepOutcome> {
  const now = deps.now()
  const items = await deps.labels.waiting(sweepLimit)
  const scored = await deps.decisions.decided(items.map(({ transactionId }) => transactionId), now)
  const outcome: LabelSweepOutcome = { resent: 0, notSent: 0, unmatched: [], conflicts: 0, stillWaiting: 0 }
  const resend: Label[] = []
  for (const { transactionId, item } of items) {
    const fate = sweepWaiting(item, scored.has(transactionId), now, deps.maxWaitMs)
    if (fate.kind === 'resend') resend.push(...fate.labels)
    else if (fate.kind === 'wait') outcome.stillWaiting++
    else if ((await deps.labels.write(transactionId, fate.item, item.version, new Date(now).toISOString())) === 'written') {
      outcome.unmatched.push({ transactionId, labels: fate.labels.length })
    } else outcome.conflicts++
  }
  const sent = await deps.stream.send(resend)
  outcome.resent = sent.filter((result) => result.sent).length
  outcome.notSent = sent.length - outcome.resent
  return outcome
}
