import { parseArgs } from 'node:util'
import { durationSchema } from '../../functions/core/features/definition.ts'
import { runBacktest } from '../backtest/run.ts'
import { JsonlWriter, readLines } from '../jsonl.ts'
import { readLabels } from '../labels.ts'
import { formatIssues, loadRuleSet } from '../rule-set-file.ts'
import { developmentKeyId, tokenizationKeyring } from '../tokenization-key.ts'
import { UsageError } from '../usage-error.ts'

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
  const { values } = parseArgs({
    args,
    options: {
      rules: { type: 'string' },
      input: { type: 'string' },
      out: { type: 'string' },
      labels: { type: 'string' },
      'label-delay': { type: 'string' },
      'allow-development-key': { type: 'boolean', default: false },
    },
  })
  if (!values.rules || !values.input || !values.out) throw new UsageError('features needs --rules, --input and --out', featuresUsage)
  const labelDelay = values['label-delay'] === undefined ? undefined : durationSchema.safeParse(values['label-delay'])
  if (labelDelay && !labelDelay.success) throw new UsageError('--label-delay must be a duration like 7d', featuresUsage)
  const ruleSet = await loadRuleSet(values.rules)
  if (!ruleSet.ok) {
    process.stderr.write(`${values.rules} is not a valid rule set:\n${formatIssues(ruleSet.error)}\n`)
    return 1
  }
  // Before the input is opened: its lines start flowing as soon as it is.
  const labels = values.labels ? await readLabels(values.labels) : undefined
  const { keyring, development } = tokenizationKeyring()
  const names = ruleSet.value.features.map((f) => f.name)
  const out = new JsonlWriter(values.out)
  out.writeLine(['transactionId', 'occurredAt', ...names, 'fraud'].join(','))
  const cell = (v: number | boolean | undefined) => (v === undefined ? '' : typeof v === 'boolean' ? (v ? '1' : '0') : String(v))
  let rows = 0
  try {
    await runBacktest({
      ruleSet: ruleSet.value,
      keyring,
      ...(development && !values['allow-development-key'] ? { refusedKeyId: developmentKeyId } : {}),
      lines: readLines(values.input).lines,
      ...(labels ? { labels } : {}),
      ...(labelDelay ? { labelDelayMs: labelDelay.data } : {}),
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
  process.stdout.write(`${values.out}: ${rows} rows × ${names.length} features\n`)
  return 0
}
