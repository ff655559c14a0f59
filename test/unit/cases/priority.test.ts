import { describe, expect, it } from 'vitest'
import { defaultSlaTable, priorityOf, raisePriority, slaDueAt, slaTableSchema } from '../../../functions/core/cases/index.ts'

const review = (score: number) => ({ outcome: 'review' as const, score })
const block = (score: number) => ({ outcome: 'block' as const, score })

describe('priorityOf', () => {
  it.each([
    // score bands (amount 1.00 EUR)
    [review(50), 100, 'low'],
    [review(69), 100, 'low'],
    [review(70), 100, 'medium'],
    [review(89), 100, 'medium'],
    [review(90), 100, 'high'],
    [review(149), 100, 'high'],
    [review(150), 100, 'critical'],
    // amount bands in major units (score 50): 100, 1,000, 10,000
    [review(50), 99_99, 'low'],
    [review(50), 100_00, 'medium'],
    [review(50), 999_99, 'medium'],
    [review(50), 1_000_00, 'high'],
    [review(50), 9_999_99, 'high'],
    [review(50), 10_000_00, 'critical'],
    // the higher of the two wins
    [review(75), 2_000_00, 'high'],
    [review(160), 5_00, 'critical'],
    // a block is at least high, whatever the score and amount
    [block(0), 1_00, 'high'],
    [block(90), 25_00, 'high'],
    [block(40), 10_000_00, 'critical'],
    [block(150), 1_00, 'critical'],
  ] as const)('%o for %i minor units → %s', (decision, amount, priority) => {
    expect(priorityOf(decision, amount, 'EUR')).toBe(priority)
  })

  it('reads the amount in the minor units of its currency', () => {
    expect(priorityOf(review(50), 1_000, 'JPY')).toBe('high') // ¥1,000: no minor unit
    expect(priorityOf(review(50), 1_000, 'EUR')).toBe('low') // €10.00
    expect(priorityOf(review(50), 1_000_000, 'BHD')).toBe('high') // 1,000.000 BHD: three decimals
    expect(priorityOf(review(50), 1_000_00)).toBe('high') // no currency: two decimals
  })
})

describe('raisePriority', () => {
  it('goes one step up and stays at critical', () => {
    expect(['low', 'medium', 'high', 'critical'].map((p) => raisePriority(p as never))).toEqual(['medium', 'high', 'critical', 'critical'])
  })
})

describe('SLA', () => {
  it('gives each priority its deadline from the table, in seconds', () => {
    expect(defaultSlaTable).toEqual({ critical: 900, high: 3600, medium: 14_400, low: 86_400 })
    const from = Date.parse('2026-11-24T10:00:00Z')
    expect(new Date(slaDueAt('critical', from, defaultSlaTable)).toISOString()).toBe('2026-11-24T10:15:00.000Z')
    expect(new Date(slaDueAt('high', from, defaultSlaTable)).toISOString()).toBe('2026-11-24T11:00:00.000Z')
    expect(new Date(slaDueAt('medium', from, defaultSlaTable)).toISOString()).toBe('2026-11-24T14:00:00.000Z')
    expect(new Date(slaDueAt('low', from, defaultSlaTable)).toISOString()).toBe('2026-11-25T10:00:00.000Z')
  })

  it('validates a table: every priority, positive whole seconds', () => {
    expect(slaTableSchema.safeParse(defaultSlaTable).success).toBe(true)
    expect(slaTableSchema.safeParse({ ...defaultSlaTable, low: 0 }).success).toBe(false)
    expect(slaTableSchema.safeParse({ ...defaultSlaTable, high: 1.5 }).success).toBe(false)
    expect(slaTableSchema.safeParse({ critical: 900, high: 3600, medium: 14_400 }).success).toBe(false)
  })
})
