import { describe, expect, it } from 'vitest'
import { RecentIds } from '../../../cli/backtest/recent-ids.ts'

describe('RecentIds', () => {
  it('recognizes an id repeated within the horizon', () => {
    const ids = new RecentIds(1_000)
    expect(ids.seen('a', 0)).toBe(false)
    expect(ids.seen('b', 500)).toBe(false)
    expect(ids.seen('a', 900)).toBe(true)
  })

  it('forgets ids older than the horizon, so memory follows the horizon and not the history', () => {
    const ids = new RecentIds(1_000)
    for (let i = 0; i < 100_000; i++) ids.seen(`tx-${i}`, i * 100)
    expect(ids.size).toBeLessThanOrEqual(11)
    expect(ids.seen('tx-0', 100_000 * 100)).toBe(false)
  })
})
