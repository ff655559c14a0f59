import { historicalLabelSchema } from '../functions/core/labels/label.ts'
import { readLines } from './jsonl.ts'

/** Fraud labels by transaction id; a line that is not a label is skipped and counted on stderr. */
export async function readLabels(path: string): Promise<Map<string, boolean>> {
  const labels = new Map<string, boolean>()
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
    if (parsed.success) labels.set(parsed.data.transactionId, parsed.data.fraud)
    else skipped++
  }
  if (skipped > 0) process.stderr.write(`note: skipped ${skipped} line(s) of ${path} that are not labels ({"transactionId","fraud","reportedAt"?,"source"?,"reason"?})\n`)
  return labels
}
