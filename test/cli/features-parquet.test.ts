/**
 * `vigil features` as Parquet: the same table as the CSV, cell for cell, read back with hyparquet
 * (and with pyarrow where /usr/bin/python3 has it), typed as pandas users expect.
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { beforeAll, describe, expect, it } from 'vitest'
import { ParquetFeatureTable } from '../../cli/parquet-table.ts'
import { runVigil } from '../support/cli.ts'
import { history } from '../support/scenario.ts'

const testEnv = { ...process.env, VIGIL_TOKENIZATION_KEY: 'cli-test-tokenization-key' }
const vigil = (...args: string[]) => runVigil(testEnv, ...args)
const python = '/usr/bin/python3'
const hasPyarrow = (() => {
  try {
    execFileSync(python, ['-c', 'import pyarrow'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

async function readParquet(path: string): Promise<Array<Record<string, unknown>>> {
  const bytes = await readFile(path)
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
  return parquetReadObjects({ file })
}

/** A Parquet row as the CSV would write it: null is an empty cell, a timestamp its ISO text. */
const asCsvCell = (v: unknown) => (v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v))

let dir: string
let csv: string[][]
let parquet: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-features-'))
  // Two cards, merchants and devices coming and going over two days: counts, averages of empty
  // windows (missing), distances from a first transaction (missing), new-device booleans.
  const steps = Array.from({ length: 40 }, (_, i) => ({
    at: i * 71,
    amount: 20 + ((i * 37) % 400),
    merchant: { id: `m-${i % 3}` },
    device: { id: `dev-${i % 5}`, ip: `198.51.100.${i % 7}` },
  }))
  const input = join(dir, 'history.jsonl')
  await writeFile(input, history('2026-10-01T00:00:00Z', steps).map((t) => JSON.stringify(t)).join('\n'))
  const labels = join(dir, 'labels.jsonl')
  await writeFile(labels, [0, 3, 9, 10, 22].map((i) => JSON.stringify({ transactionId: `tx-${i}`, fraud: i % 2 === 0 })).join('\n'))
  const args = ['--rules', 'rules/default.json', '--input', input, '--labels', labels, '--label-delay', '1h']
  const table = join(dir, 'features.csv')
  parquet = join(dir, 'features.parquet')
  const [fromCsv, fromParquet] = await Promise.all([vigil('features', ...args, '--out', table), vigil('features', ...args, '--out', parquet)])
  expect(fromCsv.code, fromCsv.stderr).toBe(0)
  expect(fromParquet.code, fromParquet.stderr).toBe(0)
  expect(fromParquet.stdout).toMatch(/features\.parquet: 40 rows × 15 features/)
  csv = (await readFile(table, 'utf8')).trim().split('\n').map((line) => line.split(','))
})

describe('vigil features --out FILE.parquet', () => {
  it('writes the table the CSV holds, cell for cell: ids, times, every feature (missing as null, booleans 1/0), the label', async () => {
    const [header, ...rows] = csv
    const read = await readParquet(parquet)
    expect(read.map((row) => Object.keys(row))).toEqual(rows.map(() => header))
    expect(read.map((row) => header!.map((column) => asCsvCell(row[column])))).toEqual(rows)
    // The table exercises what can go wrong: empty cells, booleans, labels both ways and none.
    expect(rows.some((row) => row.includes(''))).toBe(true)
    expect(new Set(rows.map((row) => row.at(-1)))).toEqual(new Set(['1', '0', '']))
    expect(header).toContain('account_new_device')
  })

  it('types the columns as pandas and pyarrow users expect: a string id, a UTC millisecond timestamp, nullable doubles, a nullable int32 label', async () => {
    const bytes = await readFile(parquet)
    const { schema, row_groups } = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
    const byName = Object.fromEntries(schema.slice(1).map((s) => [s.name, s]))
    expect(byName.transactionId).toMatchObject({ type: 'BYTE_ARRAY', repetition_type: 'REQUIRED', logical_type: { type: 'STRING' } })
    expect(byName.occurredAt).toMatchObject({ type: 'INT64', repetition_type: 'REQUIRED', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' } })
    expect(byName.card_count_1h).toMatchObject({ type: 'DOUBLE', repetition_type: 'OPTIONAL' })
    expect(byName.account_new_device).toMatchObject({ type: 'DOUBLE', repetition_type: 'OPTIONAL' })
    expect(byName.fraud).toMatchObject({ type: 'INT32', repetition_type: 'OPTIONAL' })
    expect(row_groups).toHaveLength(1)
  })

  it('writes a row group at a time, so memory holds one group: 10 rows in groups of 4 read back whole', async () => {
    const path = join(dir, 'groups.parquet')
    const table = new ParquetFeatureTable(path, ['a', 'b'], 4)
    const rows = Array.from({ length: 10 }, (_, i) => ({ id: `tx-${i}`, at: new Date(Date.UTC(2026, 9, 1, 0, i)).toISOString(), values: [i, i % 3 === 0 ? undefined : i % 2 === 0], fraud: i % 4 === 0 ? undefined : i % 2 === 1 }))
    for (const row of rows) table.row(row.id, row.at, row.values, row.fraud)
    table.close()
    const bytes = await readFile(path)
    expect(parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)).row_groups.map((g) => Number(g.num_rows))).toEqual([4, 4, 2])
    expect(await readParquet(path)).toEqual(
      rows.map((row) => ({ transactionId: row.id, occurredAt: new Date(row.at), a: row.values[0], b: row.values[1] === undefined ? null : row.values[1] ? 1 : 0, fraud: row.fraud === undefined ? null : row.fraud ? 1 : 0 })),
    )
  })

  it('takes --format parquet whatever the file is called, and refuses a format it does not write', async () => {
    const out = join(dir, 'table.bin')
    const args = ['--rules', 'rules/default.json', '--input', join(dir, 'history.jsonl')]
    expect((await vigil('features', ...args, '--format', 'parquet', '--out', out)).code).toBe(0)
    expect((await readFile(out)).subarray(0, 4).toString()).toBe('PAR1')
    const refused = await vigil('features', ...args, '--format', 'xlsx', '--out', out)
    expect([refused.code, refused.stderr]).toEqual([2, expect.stringContaining('--format must be csv or parquet')])
  })

  it.skipIf(!hasPyarrow)('reads back with pyarrow as the CSV holds it', () => {
    const script = 'import json,sys,pyarrow.parquet as pq; t=pq.read_table(sys.argv[1]); print(json.dumps({"types": {f.name: str(f.type) for f in t.schema}, "rows": [[None if v is None else (v.isoformat() if hasattr(v, "isoformat") else v) for v in r.values()] for r in t.to_pylist()]}))'
    const { types, rows } = JSON.parse(execFileSync(python, ['-c', script, parquet], { encoding: 'utf8' })) as { types: Record<string, string>; rows: unknown[][] }
    expect(types).toMatchObject({ transactionId: 'string', occurredAt: 'timestamp[ms, tz=UTC]', card_count_1h: 'double', fraud: 'int32' })
    const [, ...expected] = csv
    rows.forEach((row, i) => {
      expect(String(row[0])).toBe(expected[i]![0])
      expect(new Date(String(row[1])).toISOString()).toBe(expected[i]![1])
      expect(row.slice(2).map((v) => (v === null ? '' : String(v)))).toEqual(expected[i]!.slice(2))
    })
  })
})
