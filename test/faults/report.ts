/**
 * The fault table: printed, and saved with the run's date, sizes and seed. `npm test` keeps it in
 * .vigil/ so a test run leaves the tree clean; `npm run test:faults` (and `:large`) publish it as
 * bench/results/faults.json.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

/** A row of the table: a transaction scenario's result (run-scenario.ts) or the labels scenario's (label-scenario.ts). */
export interface FaultRow {
  readonly scenario: string
  readonly records: number
  readonly streamRecords: number
  readonly faults: Readonly<Record<string, number>>
  readonly faultsInjected: number
  readonly lost: number
  readonly doubleCounted: number
  readonly mismatched: number
  readonly recordsPerSecond: number
}

export const resultsFile = process.env.VIGIL_FAULTS_RESULTS ?? new URL('../../.vigil/faults.json', import.meta.url).pathname

export function faultTable(results: readonly FaultRow[]): string {
  const header = ['scenario', 'records', 'in stream', 'faults injected', 'lost', 'double-counted', '≠ truth', 'records/s']
  const rows = results.map((r) => [
    r.scenario,
    String(r.records),
    String(r.streamRecords),
    `${r.faultsInjected} (${Object.entries(r.faults).filter(([, n]) => n > 0).map(([kind, n]) => `${kind} ${n}`).join(', ')})`,
    String(r.lost),
    String(r.doubleCounted),
    String(r.mismatched),
    String(r.recordsPerSecond),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

export async function saveResults(results: readonly FaultRow[], run: { seed: number; recordsPerScenario: number; seconds: number }): Promise<void> {
  await mkdir(dirname(resultsFile), { recursive: true })
  const document = { date: new Date().toISOString(), seed: run.seed, recordsPerScenario: run.recordsPerScenario, seconds: Math.round(run.seconds), scenarios: results }
  await writeFile(resultsFile, `${JSON.stringify(document, null, 2)}\n`)
}
