import { stat } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { maxLabelsPerRequest } from '../../functions/case-api/routes.ts'
import { labelsResponseSchema, labelStatuses, type LabelsResponse, type LabelStatus } from '../../functions/case-api/schemas.ts'
import { ApiError, apiClient, apiOptions, apiUsage, unexpected, type ApiClient } from '../api-client.ts'
import { LabelFileError, readLabelRows, type LabelFileFormat } from '../label-rows.ts'
import { ProgressBar } from '../progress.ts'
import { UsageError } from '../usage-error.ts'

/** The user a local import signs its dev token as. */
const localUser = 'labels-import'

export const labelsUsage = `vigil labels import FILE [--api URL] [--token TOKEN] [--format jsonl|csv] [--data-dir DIR]

Sends the labels of FILE to the case API's POST /labels, ${maxLabelsPerRequest} at a time, and prints how each
was answered: accepted, duplicate, superseded, unknown_transaction (sent; applied when the
transaction is scored), invalid (with its line and issues) or failed (the stream refused it: run the
import again). Running it again changes nothing: what was applied is answered duplicate. Exits 1 if
any line is invalid or failed.

FILE is JSONL (one label a line) or CSV with a header row of the same field names, told apart by
the extension (.csv, .jsonl) or else by the content:
  {"transactionId":"tx-1","fraud":true,"reportedAt":"2026-11-24T09:00:00Z","source":"chargeback","reason":"4837"}
  transactionId,fraud,reportedAt,source,reason

The token is an analyst's or supervisor's access token, or a machine client's with the
labels.write scope.
${apiUsage(`the user "${localUser}" (analyst)`)}`

/** The import's tally: per status, and the lines that were not taken. */
interface Tally {
  counts: Record<LabelStatus, number>
  /** `line N: path: message` for invalid and failed lines, in file order. */
  problems: string[]
}

export async function labels(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...apiOptions, format: { type: 'string' } },
  })
  const [subcommand, file, ...rest] = positionals
  if (subcommand !== 'import' || file === undefined || rest.length > 0) throw new UsageError('usage: vigil labels import FILE', labelsUsage)
  const format = values.format
  if (format !== undefined && format !== 'jsonl' && format !== 'csv') throw new UsageError('--format must be jsonl or csv', labelsUsage)
  const client = await apiClient(values, labelsUsage, { username: localUser, group: 'analyst' })

  let size: number
  try {
    size = (await stat(file)).size
  } catch {
    process.stderr.write(`vigil labels: cannot read ${file}\n`)
    return 1
  }
  const tally: Tally = { counts: Object.fromEntries(labelStatuses.map((status) => [status, 0])) as Record<LabelStatus, number>, problems: [] }
  const progress = new ProgressBar(size)
  const { rows, stream } = readLabelRows(file, format as LabelFileFormat | undefined)
  let batch: Array<{ line: number; value: unknown }> = []
  let read = 0
  const flush = async () => {
    if (batch.length === 0) return
    record(tally, batch, await postLabels(client, batch.map((row) => row.value)))
    batch = []
  }
  try {
    for await (const row of rows) {
      read++
      if ('error' in row) {
        tally.counts.invalid++
        tally.problems.push(`line ${row.line}: ${row.error}`)
      } else {
        batch.push(row)
        if (batch.length === maxLabelsPerRequest) await flush()
      }
      progress.update(stream.bytesRead, read)
    }
    await flush()
  } catch (error) {
    progress.done()
    if (error instanceof LabelFileError || error instanceof ApiError) {
      process.stderr.write(`vigil labels: ${error.message}\n`)
      return 1
    }
    throw error
  }
  progress.done()

  process.stdout.write(`${file}: ${read} label${read === 1 ? '' : 's'} → ${labelStatuses.map((status) => `${status} ${tally.counts[status]}`).join(' · ')}\n`)
  for (const problem of tally.problems) process.stdout.write(`  ${problem}\n`)
  return tally.counts.invalid + tally.counts.failed > 0 ? 1 : 0
}

/** The API's answers, with `labels[i]` in issue paths turned into the line it came from. */
function record(tally: Tally, batch: ReadonlyArray<{ line: number }>, answer: LabelsResponse): void {
  for (const item of answer.items) {
    tally.counts[item.status]++
    const line = batch[item.index]!.line
    for (const issue of item.issues ?? []) {
      const field = issue.path.replace(/^labels\[\d+\]\.?/, '')
      tally.problems.push(`line ${line}: ${field ? `${field}: ` : ''}${issue.message}`)
    }
  }
}

/** POST /labels; throttling, 5xx and network errors are retried (every label is idempotent). */
async function postLabels(client: ApiClient, labels: unknown[]): Promise<LabelsResponse> {
  const answer = await client.send('POST', '/labels', { labels }, { idempotent: true })
  if (answer.status !== 200) throw unexpected('POST', client, '/labels', answer)
  return labelsResponseSchema.parse(answer.body)
}
