import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { containsPan } from '../../../functions/core/cases/index.ts'
import { luhnPan } from '../../fuzz/arbitraries/pans.ts'

describe('containsPan', () => {
  it('finds a PAN written whole, in groups, or hidden in a longer run', () => {
    for (const text of ['4111111111111111', 'card 4111 1111 1111 1111', '4111-1111-1111-1111', '1'.repeat(25)]) {
      expect(containsPan(text)).toBe(true)
    }
  })

  it('finds a PAN written next to other digits, where the whole group fails Luhn', () => {
    expect(containsPan('ref 4 4111 1111 1111 1111')).toBe(true)
    expect(containsPan('call 07 4111-1111-1111-1111 back')).toBe(true)
  })

  it('leaves ordinary numbers alone', () => {
    for (const text of ['amount 1250 EUR on 2026-11-24 at 10:15', 'order 123-456', 'phone +33 1 23 45 67 89', 'last4 1111', '4111 1111 1111 1112']) {
      expect(containsPan(text)).toBe(false)
    }
  })

  it('property: any PAN, however grouped and whatever surrounds it, is found', () => {
    fc.assert(
      fc.property(luhnPan, fc.constantFrom('', ' ', '-'), fc.string(), fc.string(), (p, sep, before, after) => {
        const written = p.replace(/(\d{4})(?=\d)/g, `$1${sep}`)
        expect(containsPan(`${before} ${written} ${after}`)).toBe(true)
      }),
    )
  })
})
