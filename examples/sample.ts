import type { TrafficOptions } from '../local/traffic/index.ts'

/** The options examples/transactions.jsonl was generated with (by examples/generate.ts). */
export const sampleOptions = {
  seed: 42,
  start: new Date('2026-11-01T00:00:00Z'),
  count: 5_000,
  // About two days: 5,000 events at 5,000 / 172,800 s.
  ratePerSecond: 5_000 / 172_800,
  cards: 600,
  fraudShare: 0.03,
  malformedShare: 0.01,
  duplicateShare: 0.01,
  outOfOrderShare: 0.02,
} as const satisfies TrafficOptions
