import { findPans } from '../../functions/core/pan-text.ts'

/**
 * The card numbers in `text` by the PAN text policy (functions/core/pan-text.ts), as ASCII digits:
 * in any notation (groups, other separators, Unicode digits, JSON escapes), as a DLP scanner would
 * look for them, and as strictly as Vigil redacts. A line that is JSON (a log line, an EMF line, an
 * item, a response, and a string holding JSON, like a stored rule set or entity state) is scanned
 * value by value: each string and key through the policy, each number on its own, so the values
 * of an array (`[12, 31, 7, …]`, an EMF metric's, a list of MCCs) are not read as the groups of
 * one card number. Any other text is scanned whole.
 */
export function panLikeRuns(text: string): string[] {
  const found: string[] = []
  for (const line of text.split('\n')) {
    const values = jsonValues(line)
    if (values === undefined) found.push(...findPans(line))
    else for (const value of values) found.push(...findPans(value))
  }
  return found
}

/** The strings, keys and numbers (as written) of a line of JSON, nested JSON text included; undefined when it is not JSON. */
function jsonValues(line: string): string[] | undefined {
  const trimmed = line.trim()
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return undefined
  const values: string[] = []
  try {
    // The source text of a number: a 19-digit one has no exact double.
    JSON.parse(trimmed, function (key: string, value: unknown, context?: { source?: string }) {
      if (key !== '' && !Array.isArray(this)) values.push(key)
      if (typeof value === 'string') values.push(...(jsonValues(value) ?? [value]))
      else if (typeof value === 'number') values.push(context?.source ?? String(value))
      return value
    })
  } catch {
    return undefined
  }
  return values
}

/** Something a run produced: a table item, a queue message, a log line, an API response. */
export interface Evidence {
  readonly where: string
  readonly text: string
}

/** Each piece of evidence that holds a PAN-like run, with the runs masked to BIN + last four. */
export function panFindings(evidence: readonly Evidence[]): Array<{ where: string; runs: string[] }> {
  return evidence
    .map(({ where, text }) => ({ where, runs: panLikeRuns(text).map((run) => `${run.slice(0, 6)}…${run.slice(-4)}`) }))
    .filter((finding) => finding.runs.length > 0)
}
