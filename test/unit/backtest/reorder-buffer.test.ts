import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ReorderBuffer } from '../../../cli/backtest/reorder-buffer.ts'

const run = (capacity: number, times: number[]) => {
  const buffer = new ReorderBuffer<number>(capacity)
  const out = times.flatMap((time, i) => buffer.push(time, i))
  return { order: [...out, ...buffer.drain()], late: buffer.late }
}

describe('ReorderBuffer', () => {
  it('restores event-time order when no record is displaced by as much as the capacity', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1_000 }), fc.double({ min: 0, max: 0.999, noNaN: true })), { maxLength: 200 }),
        fc.integer({ min: 1, max: 8 }),
        (draws, capacity) => {
          const sorted = draws.map(([time]) => time).sort((a, b) => a - b)
          // Sorting by index + jitter in [0, capacity) displaces each record by less than `capacity`.
          const times = sorted
            .map((time, i) => ({ time, key: i + draws[i]![1] * capacity }))
            .sort((a, b) => a.key - b.key)
            .map((r) => r.time)
          const { order, late } = run(capacity, times)
          expect(order.map((i) => times[i])).toEqual(sorted)
          expect(late).toBe(0)
        },
      ),
    )
  })

  it('keeps arrival order between equal times, so ordered input passes through unchanged', () => {
    expect(run(3, [5, 5, 5, 6, 6]).order).toEqual([0, 1, 2, 3, 4])
  })

  it('releases a record later than the buffer can wait for at once, counted late', () => {
    const { order, late } = run(1, [10, 20, 30, 5])
    expect(order).toEqual([0, 1, 3, 2])
    expect(late).toBe(1)
  })

  it('never holds more than its capacity', () => {
    const buffer = new ReorderBuffer<number>(4)
    for (let i = 0; i < 100; i++) {
      buffer.push(100 - i, i)
      expect(buffer.size).toBeLessThanOrEqual(4)
    }
  })
})
