import type { Label } from './label.ts'

/** A label with a time it became known: all that resolving and feeding need (a history's may not say who). */
export type ReportedLabel = Pick<Label, 'transactionId' | 'fraud' | 'reportedAt'> & Partial<Pick<Label, 'source' | 'reason'>>

/**
 * What a label does to what is known of its transaction: the API's answer per item, the applier's
 * decision, the backtest's. Only a change of "is fraud" moves label-fed features.
 */
export type LabelOutcome =
  /** The first label of the transaction, or one reversing the current label (`delta` ≠ 0 then). */
  | 'accepted'
  /** Says what is known already (a chargeback after the analyst's verdict, a re-import): counted once. */
  | 'duplicate'
  /** Reported before the current label, and saying otherwise: the newer word stands. */
  | 'superseded'

export interface Resolution<L extends ReportedLabel> {
  outcome: LabelOutcome
  /** +1: newly fraud; −1: a fraud label corrected to legitimate (a lost dispute); 0: no change to count. */
  delta: -1 | 0 | 1
  /** The label that stands afterwards. */
  current: L
}

/**
 * Resolves `incoming` against the label that stands for its transaction. The newest report wins; a
 * tie goes to the one applied last.
 */
export function resolveLabel<L extends ReportedLabel>(standing: L | undefined, incoming: L): Resolution<L> {
  if (standing === undefined) return { outcome: 'accepted', delta: incoming.fraud ? 1 : 0, current: incoming }
  const older = Date.parse(incoming.reportedAt) < Date.parse(standing.reportedAt)
  // A confirmation stands as the newest word, so an older report that disagrees cannot undo it.
  if (standing.fraud === incoming.fraud) return { outcome: 'duplicate', delta: 0, current: older ? standing : incoming }
  if (older) return { outcome: 'superseded', delta: 0, current: standing }
  return { outcome: 'accepted', delta: incoming.fraud ? 1 : -1, current: incoming }
}
