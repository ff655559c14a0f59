import { stat } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { durationSchema } from '../../functions/core/features/definition.ts'
import { summarize } from '../../functions/core/rules/stats.ts'
import { RefusedKeyError, runBacktest } from '../backtest/run.ts'
import { ModelMeasures } from '../backtest/model-measures.ts'
import { formatSummary } from '../backtest/summary.ts'
import { JsonlWriter, readLines } from '../jsonl.ts'
import { ProgressBar } from '../progress.ts'
import { loadReplayInput, replayOptions } from '../replay-input.ts'
import { UsageError } from '../usage-error.ts'

export const backtestUsage = `vigil backtest --rules FILE --input FILE --out FILE [--labels FILE [--label-delay DURATION]]
                [--model MODEL.json ...] [--rejects FILE] [--reorder N] [--dedupe-window DURATION] [--allow-development-key] [--json]

Replays a JSONL transaction history through the scoring core in event-time order and writes one
decision per valid line to --out, and each invalid or duplicate line (line number and reasons) to
--rejects (default: <out>.rejects.jsonl): every line ends in exactly one of the two.

--labels (JSONL of {"transactionId","fraud":true|false,"reportedAt"?,"source"?,"reason"?}) reports
precision and recall per rule and overall, against the label that stands last, by source. When the
rule set has label-fed features (fraud_count, fraud_rate, flagged_before), each label also feeds
them from its reportedAt on, in event-time order, exactly as the stream applies labels: no
decision sees a label reported after its transaction's time. --label-delay 7d dates labels without
a reportedAt at their transaction's time plus 7 days; labels with neither only measure. --reorder bounds how many records wait to be
put in event-time order (default 10000); a transaction id repeated within --dedupe-window of event
time (default 24h) is a producer duplicate and is decided once. Memory is bounded by these two and
by the number of entities, not by the length of the history. --json prints the summary as JSON.

Card numbers are tokenized with VIGIL_TOKENIZATION_KEY (a key, or a keyring as the secret holds
it). Without it, a card number stops the run: its token under the public development key would be
recomputable by anyone and match no production token. --allow-development-key accepts that, for
sample data. Tokens in the history are taken as they are, under whichever key made them.

A rule set that names models (its "models" section) needs each named version's file, --model, once
per model: every decision then records each model's score and top contributions, shadow ones too.`

export async function backtest(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...replayOptions,
      rejects: { type: 'string' },
      reorder: { type: 'string', default: '10000' },
      'dedupe-window': { type: 'string', default: '24h' },
      json: { type: 'boolean', default: false },
    },
  })
  const reorderCapacity = Number(values.reorder)
  if (!Number.isInteger(reorderCapacity) || reorderCapacity < 0) throw new UsageError('--reorder must be a whole number', backtestUsage)
  const dedupeWindow = durationSchema.safeParse(values['dedupe-window'])
  if (!dedupeWindow.success) throw new UsageError('--dedupe-window must be a duration like 24h or 7d', backtestUsage)
  const replay = await loadReplayInput('backtest', backtestUsage, values)
  if (replay === 1) return 1
  const { ruleSet, labels, labelDelayMs, keyring, refusedKeyId, development } = replay
  const rejectsPath = values.rejects ?? `${replay.out.replace(/\.jsonl$/, '')}.rejects.jsonl`
  if (development && values['allow-development-key']) process.stderr.write('note: VIGIL_TOKENIZATION_KEY is not set; card numbers are tokenized with the public development key\n')

  const { lines, stream } = readLines(replay.input)
  const size = (await stat(replay.input)).size
  const progress = new ProgressBar(size)
  const decisions = new JsonlWriter(replay.out)
  const rejects = new JsonlWriter(rejectsPath)
  const started = performance.now()
  const models = new ModelMeasures()
  let report
  try {
    report = await runBacktest({
      ruleSet,
      keyring,
      ...(refusedKeyId ? { refusedKeyId } : {}),
      lines,
      ...(labels ? { labels } : {}),
      ...(labelDelayMs !== undefined ? { labelDelayMs } : {}),
      reorderCapacity,
      dedupeHorizonMs: dedupeWindow.data,
      onDecision: (decision, { label }) => {
        if (labels) models.add(decision, label)
        return decisions.write(decision)
      },
      onReject: (reject) => rejects.write(reject),
      onProgress: (read) => progress.update(stream.bytesRead, read),
    })
  } catch (error) {
    if (!(error instanceof RefusedKeyError)) throw error
    process.stderr.write(
      `${replay.input}: ${error.message}, and VIGIL_TOKENIZATION_KEY is not set: card numbers would be tokenized with the public development key. ` +
        'Set VIGIL_TOKENIZATION_KEY, or pass --allow-development-key for sample data.\n',
    )
    return 1
  } finally {
    await Promise.all([decisions.close(), rejects.close()])
    progress.done()
  }
  const seconds = (performance.now() - started) / 1000
  const summary = summarize(report.tally)
  const measures = labels && ruleSet.models.length > 0 ? models.summary() : undefined
  if (values.json) {
    const { lines, rejected, duplicates, late, labels: fed } = report
    process.stdout.write(`${JSON.stringify({ ...summary, ...(measures ? { models: measures } : {}), lines, rejected, duplicates, late, labelsFed: fed, seconds }, null, 2)}\n`)
  } else {
    process.stdout.write(`${formatSummary(summary, { ...report, seconds, decisionsPath: replay.out, rejectsPath }, measures)}\n`)
  }
  return 0
}
