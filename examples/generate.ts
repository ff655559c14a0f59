/**
 * Writes the sample history: examples/transactions.jsonl (the stream, with producer bugs) and
 * examples/labels.jsonl (the fraud label of every valid transaction). Deterministic:
 *
 *   npx node examples/generate.ts
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateTraffic, type ScenarioName } from '../local/traffic/index.ts'
import { sampleOptions } from './sample.ts'

const lines: string[] = []
const labels: string[] = []
const kinds = { valid: 0, malformed: 0, duplicate: 0 }
const scenarios = new Map<ScenarioName, number>()

for (const event of generateTraffic(sampleOptions)) {
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
