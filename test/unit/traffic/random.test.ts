import { describe, expect, it } from 'vitest'
import { Random } from '../../../local/traffic/random.ts'

const draws = (rng: Random, n: number) => Array.from({ length: n }, () => rng.uint32())

describe('Random', () => {
  it('repeats its sequence for a seed and stream, and differs across seeds and streams', () => {
    expect(draws(new Random(42), 100)).toEqual(draws(new Random(42), 100))
    expect(draws(new Random(42), 100)).not.toEqual(draws(new Random(43), 100))
    expect(draws(new Random(42, 1), 100)).not.toEqual(draws(new Random(42, 2), 100))
  })

  it('draws uniform floats in [0, 1) and integers within their inclusive bounds', () => {
    const rng = new Random(1)
    const seen = new Set<number>()
    let sum = 0
    for (let i = 0; i < 20_000; i++) {
      const x = rng.next()
      expect(x).toBeGreaterThanOrEqual(0)
      expect(x).toBeLessThan(1)
      sum += x
      const k = rng.int(3, 7)
      expect(k).toBeGreaterThanOrEqual(3)
      expect(k).toBeLessThanOrEqual(7)
      seen.add(k)
    }
    expect(sum / 20_000).toBeCloseTo(0.5, 1)
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7])
  })

  it('picks in proportion to weights, never a zero weight', () => {
    const rng = new Random(2)
    const counts = [0, 0, 0]
    for (let i = 0; i < 30_000; i++) counts[rng.weightedIndex([1, 0, 3])]!++
    expect(counts[1]).toBe(0)
    expect(counts[2]! / counts[0]!).toBeGreaterThan(2.7)
    expect(counts[2]! / counts[0]!).toBeLessThan(3.3)
    const cumulative = new Float64Array([1, 1, 4])
    const c2 = [0, 0, 0]
    for (let i = 0; i < 30_000; i++) c2[rng.cumulativeIndex(cumulative)]!++
    expect(c2[1]).toBe(0)
    expect(c2[2]! / c2[0]!).toBeGreaterThan(2.7)
  })

  it('draws normals and lognormals with the asked centre and spread', () => {
    const rng = new Random(3)
    const xs = Array.from({ length: 20_000 }, () => rng.normal(10, 2))
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length)
    expect(mean).toBeCloseTo(10, 1)
    expect(sd).toBeGreaterThan(1.9)
    expect(sd).toBeLessThan(2.1)
    const ls = Array.from({ length: 20_001 }, () => rng.lognormal(Math.log(2500), 0.5)).sort((a, b) => a - b)
    expect(ls[10_000]! / 2500).toBeGreaterThan(0.95)
    expect(ls[10_000]! / 2500).toBeLessThan(1.05)
  })

  it('samples distinct items and refuses to pick from nothing', () => {
    const rng = new Random(4)
    const items = Array.from({ length: 10 }, (_, i) => i)
    const sample = rng.sample(items, 6)
    expect(new Set(sample).size).toBe(6)
    expect(rng.sample(items, 20)).toHaveLength(10)
    expect(items).toEqual(Array.from({ length: 10 }, (_, i) => i))
    expect(() => rng.pick([])).toThrow(RangeError)
    expect(rng.hex(10)).toMatch(/^[0-9a-f]{10}$/)
  })
})
