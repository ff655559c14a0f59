import { parseArgs } from 'node:util'
import { runBacktest } from '../backtest/run.ts'
import { JsonlWriter, readLines } from '../jsonl.ts'
import { loadReplayInput, replayOptions } from '../replay-input.ts'

export const featuresUsage = `vigil features --rules FILE --input FILE --out FILE.csv [--labels FILE [--label-delay DURATION]] [--allow-development-key]

The point-in-time feature table, for data scientists: one CSV row per transaction the replay
decides (the backtest's replay: event-time order, duplicates and invalid lines left out), with
transactionId, occurredAt, every feature the rule set declares as it was when the transaction was
scored, and "fraud" (1, 0, or empty without a label): the label that stands once all are known.
Label-fed features see each label from its reportedAt on (or its transaction's time plus
--label-delay), never before, exactly as the stream serves them: what a model learns from is what
it will be served. A missing feature value (the average of an empty window) is an empty cell;
booleans are 1 and 0.`

export async function features(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: replayOptions })
  const replay = await loadReplayInput('features', featuresUsage, values)
  if (replay === 1) return 1
  const { ruleSet, labels, labelDelayMs, keyring, refusedKeyId } = replay
  const names = ruleSet.features.map((f) => f.name)
  const out = new JsonlWriter(replay.out)
  out.writeLine(['transactionId', 'occurredAt', ...names, 'fraud'].join(','))
  const cell = (v: number | boolean | undefined) => (v === undefined ? '' : typeof v === 'boolean' ? (v ? '1' : '0') : String(v))
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
      // Transaction ids are validated (no comma, quote or PAN can be in one), so they need no quoting.
      onDecision: (_decision, { txn, features: values, label }) => {
        rows++
        return out.writeLine([txn.transactionId, txn.occurredAt, ...names.map((name) => cell(values[name])), label === undefined ? '' : label.fraud ? '1' : '0'].join(','))
      },
      onReject: () => undefined,
    })
  } finally {
    await out.close()
  }
  process.stdout.write(`${replay.out}: ${rows} rows × ${names.length} features\n`)
  return 0
}
