/**
 * Writes the sample history: examples/transactions.jsonl (the stream, with producer bugs) and
 * examples/labels.jsonl (the fraud label of every valid transaction). Deterministic:
 *
 *   npx node examples/generate.ts
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateTraffic, type ScenarioName } from '../local/traffic/index.ts'

const lines: string[] = []
const labels: string[] = []
const kinds = { valid: 0, malformed: 0, duplicate: 0 }
const scenarios = new Map<ScenarioName, number>()

for (const event of generateTraffic({
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
})) {
  lines.push(event.line)
  kinds[event.kind]++
  if (event.kind !== 'valid') continue
  labels.push(JSON.stringify({ transactionId: event.transaction.transactionId, fraud: event.fraud }))
  if (event.scenario !== undefined) scenarios.set(event.scenario, (scenarios.get(event.scenario) ?? 0) + 1)
}

const dir = import.meta.dirname
writeFileSync(join(dir, 'transactions.jsonl'), lines.join('\n') + '\n')
writeFileSync(join(dir, 'labels.jsonl'), labels.join('\n') + '\n')
process.stdout.write(
  `wrote ${lines.length} lines (${kinds.valid} valid, ${kinds.malformed} malformed, ${kinds.duplicate} duplicates) ` +
    `and ${labels.length} labels; fraud events by scenario: ${JSON.stringify(Object.fromEntries([...scenarios].sort()))}\n`,
)
