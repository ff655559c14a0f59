import type { z } from 'zod'
import { isSafeName, redactPans } from './pan-text.ts'
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

/**
 * Zod issues as Vigil issues, which are stored, logged and served: nothing in them may echo the
 * input. Zod's own messages name the schema (expected types, bounds, options), except
 * "Unrecognized key(s)", which quotes the keys: a key inside `card` can be a PAN. That message is
 * rewritten to name only the keys that are safe names; a path can hold a caller's key (a record's),
 * so paths and every message go through the PAN text policy as well.
 */
export function fromZodError(error: z.ZodError): Issue[] {
  return error.issues.map((issue) => ({ path: redactPans(formatPath(issue.path)), message: redactPans(messageOf(issue)) }))
}

function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'unrecognized_keys') return issue.message
  const named = issue.keys.filter(isSafeName)
  const unnamed = issue.keys.length - named.length
  const listed = named.map((key) => `"${key}"`)
  if (unnamed > 0) listed.push(named.length === 0 ? `${unnamed === 1 ? 'a key' : `${unnamed} keys`} not shown` : `${unnamed} more not shown`)
  return `has unknown key${issue.keys.length === 1 ? '' : 's'}: ${listed.join(', ')}`
}
