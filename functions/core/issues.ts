import type { z } from 'zod'
import { redactDigitRuns } from './pan.ts'
import type { Issue } from './result.ts'

/** `["rules", 3, "when"]` → `rules[3].when`, the form every error in Vigil uses. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else out += out === '' ? String(part) : `.${String(part)}`
  }
  return out
}

/** Zod issues as Vigil issues. Messages are redacted because some zod messages echo input. */
export function fromZodError(error: z.ZodError): Issue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: redactDigitRuns(issue.message) }))
}
