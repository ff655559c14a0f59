import type { LabelItem } from './apply-batch.ts'
import type { Label } from './label.ts'

/**
 * What becomes of the labels an item holds waiting for their transaction: sent again once it is
 * scored (the applier then applies them, after its decision), or, past the bounded wait counted
 * from their `reportedAt`, set aside as unmatched: kept and reported, never silently dropped.
 */
export type WaitingFate =
  | { kind: 'resend'; labels: readonly Label[] }
  | { kind: 'unmatched'; item: LabelItem; labels: readonly Label[] }
  | { kind: 'wait' }

export function sweepWaiting(item: LabelItem, scored: boolean, now: number, maxWaitMs: number): WaitingFate {
  if (item.waiting.length === 0) return { kind: 'wait' }
  if (scored) return { kind: 'resend', labels: item.waiting }
  const expired = item.waiting.filter((label) => Date.parse(label.reportedAt) + maxWaitMs <= now)
  if (expired.length === 0) return { kind: 'wait' }
  return {
    kind: 'unmatched',
    labels: expired,
    item: { ...item, waiting: item.waiting.filter((label) => !expired.includes(label)), unmatched: [...item.unmatched, ...expired], version: item.version + 1 },
  }
}
