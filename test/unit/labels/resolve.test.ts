import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { labelSources, type Label } from '../../../functions/core/labels/label.ts'
import { resolveLabel } from '../../../functions/core/labels/resolve.ts'

const at = (day: number) => new Date(Date.UTC(2026, 10, day)).toISOString()
const label = (fraud: boolean, day: number, source: Label['source'] = 'chargeback'): Label => ({ transactionId: 'txn-1', fraud, reportedAt: at(day), source })

describe('resolveLabel', () => {
  it('counts a first fraud label once, and a first legitimate one not at all', () => {
    expect(resolveLabel(undefined, label(true, 1))).toMatchObject({ outcome: 'accepted', delta: 1 })
    expect(resolveLabel(undefined, label(false, 1))).toMatchObject({ outcome: 'accepted', delta: 0 })
  })

  it('takes a chargeback after the same analyst verdict as a duplicate, whatever their order', () => {
    expect(resolveLabel(label(true, 1, 'analyst'), label(true, 20))).toMatchObject({ outcome: 'duplicate', delta: 0, current: { source: 'chargeback' } })
    expect(resolveLabel(label(true, 20), label(true, 1, 'analyst'))).toMatchObject({ outcome: 'duplicate', delta: 0 })
  })

  it('corrects a fraud label reversed by a newer report, and ignores an older one that disagrees', () => {
    expect(resolveLabel(label(true, 1), label(false, 9, 'issuer'))).toMatchObject({ outcome: 'accepted', delta: -1, current: { fraud: false, source: 'issuer' } })
    expect(resolveLabel(label(false, 1), label(true, 9))).toMatchObject({ outcome: 'accepted', delta: 1 })
    expect(resolveLabel(label(false, 9), label(true, 1))).toMatchObject({ outcome: 'superseded', delta: 0, current: { fraud: false } })
  })

  it('whatever labels arrive in whatever order, the deltas sum to whether the standing label is fraud: counted once', () => {
    const labels = fc.array(
      fc.record({ fraud: fc.boolean(), day: fc.integer({ min: 1, max: 28 }), source: fc.constantFrom(...labelSources) }).map(({ fraud, day, source }) => label(fraud, day, source)),
      { minLength: 1, maxLength: 12 },
    )
    fc.assert(
      fc.property(labels, (sequence) => {
        let standing: Label | undefined
        let count = 0
        for (const incoming of sequence) {
          const { delta, current } = resolveLabel(standing, incoming)
          count += delta
          standing = current
          expect(count).toBe(standing.fraud ? 1 : 0)
        }
        // What stands is what the newest report says.
        const newest = Math.max(...sequence.map((l) => Date.parse(l.reportedAt)))
        expect(sequence.some((l) => Date.parse(l.reportedAt) === newest && l.fraud === standing!.fraud)).toBe(true)
        expect(Date.parse(standing!.reportedAt)).toBe(newest)
      }),
    )
  })
})
