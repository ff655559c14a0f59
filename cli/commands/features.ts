import { parseArgs } from 'node:util'
import { transactionInputNames, transactionInputs } from '../../functions/core/models/inputs.ts'
import { runBacktest } from '../backtest/run.ts'
import { JsonlWriter, readLines } from '../jsonl.ts'
import { ParquetFeatureTable } from '../parquet-table.ts'
import { loadReplayInput, replayOptions } from '../replay-input.ts'
import { UsageError } from '../usage-error.ts'

export const featuresUsage = `vigil features --rules FILE --input FILE --out FILE.csv|FILE.parquet [--format csv|parquet] [--labels FILE [--label-delay DURATION]]
                [--model MODEL.json ...] [--allow-development-key]

The point-in-time feature table, for data scientists: one CSV row per transaction the replay
decides (the backtest's replay: event-time order, duplicates and invalid lines left out), with
transactionId, occurredAt, every feature the rule set declares as it was when the transaction was
scored, the transaction inputs a model may read besides (${transactionInputNames.join(', ')}), and
"fraud" (1, 0, or empty without a label): the label that stands once all are known. A model trained
on these columns imports under the same names (vigil model import --features ...).
Label-fed features see each label from its reportedAt on (or its transaction's time plus
--label-delay), never before, exactly as the stream serves them: what a model learns from is what
it will be served. A missing feature value (the average of an empty window) is an empty cell;
booleans are 1 and 0.

Parquet (--out ending in .parquet, or --format parquet) holds the same table, typed for pandas and
pyarrow: transactionId a string, occurredAt a UTC timestamp in milliseconds, every feature a
nullable double (missing is null; booleans 1 and 0), fraud a nullable int32 (1, 0, null). It is
written in row groups of 50,000 rows, so memory holds one row group, not the table.`

export async function features(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...replayOptions, format: { type: 'string' } } })
  const { format, ...replayValues } = values
  if (format !== undefined && format !== 'csv' && format !== 'parquet') throw new UsageError('--format must be csv or parquet', featuresUsage)
  const replay = await loadReplayInput('features', featuresUsage, replayValues)
  if (replay === 1) return 1
  const { ruleSet, labels, labelDelayMs, keyring, refusedKeyId } = replay
  const features = ruleSet.features.map((f) => f.name)
  const names = [...features, ...transactionInputNames]
  const table = (format ?? (replay.out.endsWith('.parquet') ? 'parquet' : 'csv')) === 'parquet' ? parquetTable(replay.out, names) : csvTable(replay.out, names)
  let rows = 0
  try {
    await runBacktest({
      ruleSet,
      keyring,
      ...(refusedKeyId ? { refusedKeyId } : {}),
      lines: readLines(replay.input).lines,
      ...(labels ? { labels } : {}),
      ...(labelDelayMs !== undefined ? { labelDelayMs } : {}),
      reorderCapacity: 10_000,
      dedupeHorizonMs: 86_400_000,
      onDecision: (_decision, { txn, features: values, label }) => {
        rows++
        return table.row(txn.transactionId, txn.occurredAt, [...features.map((name) => values[name]), ...transactionInputNames.map((name) => transactionInputs[name](txn))], label?.fraud)
      },
      onReject: () => undefined,
    })
  } finally {
    await table.close()
  }
  process.stdout.write(`${replay.out}: ${rows} rows × ${features.length} features and ${transactionInputNames.length} transaction inputs\n`)
  return 0
}

interface FeatureTable {
  row(transactionId: string, occurredAt: string, values: ReadonlyArray<number | boolean | undefined>, fraud: boolean | undefined): void | Promise<void>
  close(): void | Promise<void>
}

function csvTable(path: string, names: readonly string[]): FeatureTable {
  const out = new JsonlWriter(path)
  out.writeLine(['transactionId', 'occurredAt', ...names, 'fraud'].join(','))
  const cell = (v: number | boolean | undefined) => (v === undefined ? '' : typeof v === 'boolean' ? (v ? '1' : '0') : String(v))
  return {
    // Transaction ids are validated (no comma, quote or PAN can be in one), so they need no quoting.
    row: (id, occurredAt, values, fraud) => out.writeLine([id, occurredAt, ...values.map(cell), fraud === undefined ? '' : fraud ? '1' : '0'].join(',')),
    close: () => out.close(),
  }
}

function parquetTable(path: string, names: readonly string[]): FeatureTable {
  const table = new ParquetFeatureTable(path, names)
  return { row: (...args) => table.row(...args), close: () => table.close() }
}
