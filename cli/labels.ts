import { z } from 'zod'
import { readLines } from './jsonl.ts'

const labelSchema = z.object({ transactionId: z.string().min(1), fraud: z.boolean() })

/** Fraud labels by transaction id; a line that is not a label is skipped and counted on stderr. */
export async function readLabels(path: string): Promise<Map<string, boolean>> {
  const labels = new Map<string, boolean>()
  let skipped = 0
  for await (const line of readLines(path).lines) {
    if (line.trim() === '') continue
    let parsed
    try {
      parsed = labelSchema.safeParse(JSON.parse(line))
    } catch {
      skipped++
      continue
    }
    if (parsed.success) labels.set(parsed.data.transactionId, parsed.data.fraud)
    else skipped++
  }
  if (skipped > 0) process.stderr.write(`note: skipped ${skipped} line(s) of ${path} that are not {"transactionId","fraud"} labels\n`)
  return labels
}
