import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { aucRoc, averagePrecision, expectedCardPrecisionAtK, sampledCardPrecisionAtK, testSetIndices, type Scored } from '../../../cli/train/metrics.ts'
import { Random } from '../../../local/traffic/random.ts'

/** Builds the protocol's columns from rows [day, card, fraud, score]. */
const scored = (rows: Array<[number, number, number, number]>): Scored => ({
  day: rows.map((r) => r[0]),
  card: rows.map((r) => r[1]),
  fraud: rows.map((r) => r[2]),
  score: rows.map((r) => r[3]),
})

/** All orders of `items` (tiny inputs only). */
function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items]
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]))
}

/** Every order of the rows consistent with their scores (highest first, any order within a tie). */
function tieBreaks<T extends { score: number }>(rows: T[]): T[][] {
  const scores = [...new Set(rows.map((r) => r.score))].sort((a, b) => b - a)
  return scores.reduce<T[][]>(
    (orders, s) => orders.flatMap((order) => permutations(rows.filter((r) => r.score === s)).map((tie) => [...order, ...tie])),
    [[]],
  )
}

/** card_precision_top_k as the handbook writes it, for one fixed order of each day's cards. */
function handbookCardPrecision(days: Array<Array<{ card: number; fraud: boolean }>>, k: number): number {
  const detected = new Set<number>()
  let total = 0
  for (const ranked of days) {
    const top = ranked.filter((c) => !detected.has(c.card)).slice(0, k)
    const caught = top.filter((c) => c.fraud)
    total += caught.length / k
    for (const c of caught) detected.add(c.card)
  }
  return total / days.length
}

/** The mean of the handbook's CP@k over every way every day's ties can be broken. */
function bruteForceCardPrecision(test: Scored, k: number): number {
  const byDay = new Map<number, Map<number, { card: number; fraud: boolean; score: number }>>()
  for (let i = 0; i < test.day.length; i++) {
    const cards = byDay.get(test.day[i]!) ?? new Map()
    byDay.set(test.day[i]!, cards)
    const prev = cards.get(test.card[i]!)
    cards.set(test.card[i]!, {
      card: test.card[i]!,
      fraud: Boolean(test.fraud[i]) || (prev?.fraud ?? false),
      score: Math.max(test.score[i]!, prev?.score ?? -Infinity),
    })
  }
  const perDay = [...byDay.entries()].sort(([a], [b]) => a - b).map(([, cards]) => tieBreaks([...cards.values()]))
  const combos = perDay.reduce<Array<Array<Array<{ card: number; fraud: boolean }>>>>((acc, orders) => acc.flatMap((combo) => orders.map((o) => [...combo, o])), [[]])
  return combos.reduce((s, combo) => s + handbookCardPrecision(combo, k), 0) / combos.length
}

/** (1/P) Σ precision at each fraud's rank, averaged over every order within ties. */
function bruteForceAveragePrecision(scores: number[], labels: number[]): number {
  const orders = tieBreaks(scores.map((score, i) => ({ score, fraud: labels[i]! })))
  const positives = labels.filter(Boolean).length
  const ap = (order: Array<{ fraud: number }>) => {
    let hits = 0
    let sum = 0
    order.forEach((x, i) => {
      if (x.fraud) sum += ++hits / (i + 1)
    })
    return sum / positives
  }
  return orders.reduce((s, o) => s + ap(o), 0) / orders.length
}

describe('test set (get_train_test_set)', () => {
  const window = { trainingStartDay: 10, testStartDay: 24, testDays: 3, delayDays: 7 }
  it('drops a test day’s cards whose fraud was known by then, from the training start on', () => {
    const txns = scored([
      [9, 1, 1, 0], // card 1: a fraud before the training start is not known to the protocol
      [12, 2, 1, 0], // card 2: frauded in training, known throughout the test
      [16, 3, 1, 0], // card 3: frauded on day 16, known from day 24 (16 ≤ 24 − 8)
      [17, 4, 1, 0], // card 4: frauded on day 17, known from day 25
      [24, 1, 0, 0],
      [24, 2, 0, 0],
      [24, 3, 0, 0],
      [24, 4, 0, 0],
      [25, 4, 0, 0],
      [26, 5, 1, 0],
      [27, 5, 0, 0], // after the test week
    ])
    expect(testSetIndices(txns, window)).toEqual([4, 7, 9])
  })
})

describe('AUC ROC', () => {
  it('counts a tied fraud/genuine pair as half', () => {
    expect(aucRoc([2, 1, 1, 0], [1, 1, 0, 0])).toBe(3.5 / 4)
    expect(aucRoc([5, 5, 5], [1, 0, 0])).toBe(0.5)
  })

  it('is 1 for a ranking that puts every fraud first, 0 for its reverse, and AUC(s) + AUC(−s) = 1', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 2, maxLength: 40 }), fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 40, maxLength: 40 }), (labels, raw) => {
        fc.pre(labels.some(Boolean) && labels.some((x) => !x))
        const y = labels.map(Number)
        // Distinct scores, frauds above genuine ones.
        const perfect = y.map((f, i) => f * 1000 + i)
        expect(aucRoc(perfect, y)).toBe(1)
        expect(aucRoc(perfect.map((s) => -s), y)).toBe(0)
        const s = raw.slice(0, y.length)
        expect(aucRoc(s, y) + aucRoc(s.map((v) => -v), y)).toBeCloseTo(1, 12)
      }),
    )
  })
})

describe('average precision', () => {
  it('averages the precision at each fraud’s rank', () => {
    expect(averagePrecision([3, 2, 1], [1, 0, 1]).expected).toBeCloseTo((1 + 2 / 3) / 2, 12)
  })

  it('takes a tie’s expectation, where sklearn’s stepwise form takes the block at once', () => {
    expect(averagePrecision([1, 1], [1, 0])).toEqual({ expected: 0.75, stepwise: 0.5 })
  })

  it('equals the mean over every tie-break order (brute force)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.boolean()), { minLength: 1, maxLength: 7 }), (rows) => {
        fc.pre(rows.some(([, f]) => f))
        const scores = rows.map(([s]) => s)
        const labels = rows.map(([, f]) => Number(f))
        expect(averagePrecision(scores, labels).expected).toBeCloseTo(bruteForceAveragePrecision(scores, labels), 12)
      }),
    )
  })
})

describe('card precision top k, expected under random tie-breaking', () => {
  it('gives the boundary tie its share of the places: one certain fraud, one place for a tie of two', () => {
    const day = scored([
      [0, 1, 1, 2],
      [0, 2, 0, 1],
      [0, 3, 1, 1],
      [0, 4, 1, 0],
    ])
    expect(expectedCardPrecisionAtK(day, 2).mean).toBe(0.75)
  })

  it('ranks a card by its highest score that day, and counts it frauded if any of its transactions is', () => {
    const day = scored([
      [0, 1, 0, 0],
      [0, 1, 1, 5],
      [0, 2, 0, 3],
    ])
    expect(expectedCardPrecisionAtK(day, 1).mean).toBe(1)
  })

  it('drops a card caught on an earlier day from the later days', () => {
    const days = scored([
      [0, 1, 1, 5],
      [1, 1, 1, 5],
      [1, 2, 0, 0],
    ])
    expect(expectedCardPrecisionAtK(days, 1).perDay.map((d) => d.expected)).toEqual([1, 0])
    expect(expectedCardPrecisionAtK(days, 1, { removeDetected: false }).perDay.map((d) => d.expected)).toEqual([1, 1])
  })

  it('follows both ways a tie can fall into the next day', () => {
    // Day 0: card 1 (fraud) ties card 2 for one place; if caught, it is gone on day 1, else it tops day 1.
    const days = scored([
      [0, 1, 1, 1],
      [0, 2, 0, 1],
      [1, 1, 1, 1],
      [1, 3, 0, 0],
    ])
    const cp = expectedCardPrecisionAtK(days, 1)
    expect(cp.perDay.map((d) => d.expected)).toEqual([0.5, 0.5])
    expect(cp.branches).toBe(2)
  })

  it('equals the mean of the handbook’s CP@k over every tie-break of every day (brute force)', () => {
    const row = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 5 }), fc.boolean(), fc.integer({ min: 0, max: 2 }))
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 9 }), fc.integer({ min: 1, max: 3 }), (rows, k) => {
        const test = scored(rows.map(([d, c, f, s]) => [d, c, Number(f), s]))
        expect(expectedCardPrecisionAtK(test, k).mean).toBeCloseTo(bruteForceCardPrecision(test, k), 12)
      }),
      { numRuns: 300 },
    )
  })

  it('is estimated without bias by drawing tie orders, when following every outcome is out of reach', () => {
    const row = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 5 }), fc.boolean(), fc.integer({ min: 0, max: 1 }))
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 2 }), fc.integer(), (rows, k, seed) => {
        const test = scored(rows.map(([d, c, f, s]) => [d, c, Number(f), s]))
        const sampled = sampledCardPrecisionAtK(test, k, 2000, new Random(seed))
        expect(Math.abs(sampled.mean - expectedCardPrecisionAtK(test, k).mean)).toBeLessThanOrEqual(5 * sampled.standardError + 1e-9)
      }),
      { numRuns: 30 },
    )
  })
})
