import { historicalLabelSchema, type HistoricalLabel } from '../functions/core/labels/label.ts'
import { readLines } from './jsonl.ts'

/** The labels of a history file, in file order; a line that is not a label is skipped and counted on stderr. */
export async function readLabels(path: string): Promise<HistoricalLabel[]> {
  const labels: HistoricalLabel[] = []
  let skipped = 0
  for await (const line of readLines(path).lines) {
    if (line.trim() === '') continue
    let parsed
    try {
      parsed = historicalLabelSchema.safeParse(JSON.parse(line))
    } catch {
      skipped++
      continue
    }
    if (parsed.success) labels.push(parsed.data)
    else skipped++
  }
  if (skipped > 0) process.stderr.write(`note: skipped ${skipped} line(s) of ${path} that are not labels ({"transactionId","fraud","reportedAt"?,"source"?,"reason"?})\n`)
  return labels
}
