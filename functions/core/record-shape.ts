/**
 * What a quarantined record looked like, without any of its text: the JSON type of each field,
 * the length of strings and arrays, the byte length of the whole. A refused record is what a
 * producer got wrong, and any text from it (a value, a key, a fragment of broken JSON) can be a
 * card number in some notation; the shape is enough to see what went wrong beside the issues.
 * Field names are kept only when they are safe names (core/pan-text.ts); numbers keep no value.
 */
import { isSafeName } from './pan-text.ts'

export type ValueShape =
  | { type: 'null' | 'boolean' | 'number' }
  /** A string's length in UTF-16 code units (counting code points would cost more than the parse). */
  | { type: 'string' | 'array'; length: number }
  | { type: 'object'; keys: number; fields?: Record<string, ValueShape>; unnamedKeys?: number }

export interface RecordShape {
  bytes: number
  /** Undefined when the text is not JSON. */
  json?: ValueShape
}

/** Objects are described this deep (the transaction, then its merchant, device, card and location). */
const maxDepth = 2
/** Named fields per object at most: the transaction has ten; a hostile record can have a million. */
const maxFields = 32

/** The shape of a record's text (decoded UTF-8, perhaps not JSON). */
export function recordShape(text: string): RecordShape {
  const bytes = Buffer.byteLength(text, 'utf8')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { bytes }
  }
  return { bytes, json: valueShape(value, 1) }
}

function valueShape(value: unknown, depth: number): ValueShape {
  if (value === null) return { type: 'null' }
  if (typeof value === 'string') return { type: 'string', length: value.length }
  if (typeof value === 'number' || typeof value === 'boolean') return { type: typeof value as 'number' | 'boolean' }
  if (Array.isArray(value)) return { type: 'array', length: value.length }
  const keys = Object.keys(value as object)
  const shape: ValueShape = { type: 'object', keys: keys.length }
  if (depth > maxDepth) return shape
  const named = keys.filter(isSafeName)
  if (named.length > 0) {
    // A null-prototype record: `__proto__` from JSON is an own key like any other.
    shape.fields = Object.create(null) as Record<string, ValueShape>
    for (const key of named.slice(0, maxFields)) shape.fields[key] = valueShape((value as Record<string, unknown>)[key], depth + 1)
  }
  if (named.length < keys.length) shape.unnamedKeys = keys.length - named.length
  return shape
}
