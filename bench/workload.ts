import { generateTraffic } from '../local/traffic/index.ts'

/**
 * The reference workload: valid wire-format lines from the seeded traffic generator (10,000 cards,
 * ~1% fraud episodes, a little out-of-order), so every run of every bench scores the same records.
 */
export function referenceLines(records: number, seed = 7, start = new Date('2026-11-01T00:00:00Z')): string[] {
  const lines: string[] = []
  for (const event of generateTraffic({ seed, start, malformedShare: 0, duplicateShare: 0 })) {
    if (event.kind !== 'valid') continue
    lines.push(event.line)
    if (lines.length === records) break
  }
  return lines
}
