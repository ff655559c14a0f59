import { describe, expect, it } from 'vitest'
import { emptyLabelItem } from '../../../functions/core/labels/apply-batch.ts'
import type { Label } from '../../../functions/core/labels/label.ts'
import { sweepWaiting } from '../../../functions/core/labels/waiting.ts'

const day = 86_400_000
const now = Date.parse('2026-12-10T00:00:00Z')
const label = (daysAgo: number): Label => ({ transactionId: 'tx-1', fraud: true, reportedAt: new Date(now - daysAgo * day).toISOString(), source: 'issuer' })

describe('sweepWaiting', () => {
  it('resends every waiting label once the transaction is scored, however long they waited', () => {
    const item = { ...emptyLabelItem, waiting: [label(1), label(30)], version: 3 }
    expect(sweepWaiting(item, true, now, 7 * day)).toEqual({ kind: 'resend', labels: item.waiting })
  })

  it('sets aside as unmatched only the labels past the bounded wait, keeping them on the item', () => {
    const item = { ...emptyLabelItem, waiting: [label(1), label(8)], unmatched: [label(40)], version: 3 }
    expect(sweepWaiting(item, false, now, 7 * day)).toEqual({
      kind: 'unmatched',
      labels: [label(8)],
      item: { ...item, waiting: [label(1)], unmatched: [label(40), label(8)], version: 4 },
    })
  })

  it('leaves a label inside the wait, and an item with nothing waiting, alone', () => {
    expect(sweepWaiting({ ...emptyLabelItem, waiting: [label(6)], version: 1 }, false, now, 7 * day)).toEqual({ kind: 'wait' })
    expect(sweepWaiting({ ...emptyLabelItem, version: 1 }, true, now, 7 * day)).toEqual({ kind: 'wait' })
  })
})
