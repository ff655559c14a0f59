import type { Label } from '../labels/label.ts'
import type { Case } from './case.ts'

/**
 * The label a closed case gives: the analyst's verdict, known from the moment it was given. An
 * open or expired case gives none (nobody judged it).
 */
export function labelOf(c: Case): Label | undefined {
  if (c.outcome !== 'fraud' && c.outcome !== 'legitimate') return undefined
  // A verdict always sets closedAt; the last audit entry is the verdict itself for a case stored without it.
  const reportedAt = c.closedAt ?? c.audit.at(-1)!.at
  return { transactionId: c.transactionId, fraud: c.outcome === 'fraud', reportedAt, source: 'analyst' }
}
