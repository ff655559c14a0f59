/**
 * The rows of a label file, JSONL or CSV, by line number, unvalidated: the API judges each label,
 * so a file is read the way the API's callers would send it. CSV has a header row naming the
 * label's fields (`transactionId,fraud,reportedAt,source,reason`, any order); `fraud` is `true` or
 * `false`, an empty cell is an absent field. Fields may be quoted ("" inside quotes is a quote),
 * but not span lines.
 */
import type { ReadStream } from 'node:fs'
import { readLines } from './jsonl.ts'

export type LabelFileFormat = 'jsonl' | 'csv'

/** A row: the label as read, or why the line is not one (before any label rule: not JSON, not CSV). */
export type LabelRow = { line: number; value: unknown } | { line: number; error: string }

/** By extension (.csv, .jsonl, .ndjson, .json), else by the first non-blank line: JSON starts with `{`. */
export function formatOf(path: string, firstLine: string): LabelFileFormat {
  if (/\.csv$/i.test(path)) return 'csv'
  if (/\.(jsonl|ndjson|json)$/i.test(path)) return 'jsonl'
  return firstLine.trimStart().startsWith('{') ? 'jsonl' : 'csv'
}

/** Streams the rows of `path`; `stream.bytesRead` says how far (for progress). */
export function readLabelRows(path: string, format?: LabelFileFormat): { rows: AsyncIterable<LabelRow>; stream: ReadStream } {
  const { lines, stream } = readLines(path)
  async function* rows(): AsyncIterable<LabelRow> {
    let kind = format
    let header: string[] | undefined
    let line = 0
    for await (const text of lines) {
      line++
      if (text.trim() === '') continue
      kind ??= formatOf(path, text)
      if (kind === 'jsonl') {
        yield jsonRow(line, text)
        continue
      }
      const cells = csvCells(text)
      if (header === undefined) {
        if (cells === undefined) throw new LabelFileError(`${path}:${line}: the CSV header is malformed`)
        header = cells.map((cell) => cell.trim())
        continue
      }
      if (cells === undefined) yield { line, error: 'is not a CSV row (an unclosed quote?)' }
      else if (cells.length !== header.length) yield { line, error: `has ${cells.length} fields; the header names ${header.length}` }
      else yield { line, value: csvLabel(header, cells) }
    }
  }
  return { rows: rows(), stream }
}

/** A file that cannot be read as labels at all. */
export class LabelFileError extends Error {
  readonly code = 'label_file'
}

function jsonRow(line: number, text: string): LabelRow {
  try {
    return { line, value: JSON.parse(text) }
  } catch {
    // V8's message quotes the text, which may hold a card number.
    return { line, error: 'is not valid JSON' }
  }
}

/** A CSV row as the label it spells: `fraud` as a boolean when it is one, empty cells left out. */
function csvLabel(header: readonly string[], cells: readonly string[]): Record<string, unknown> {
  const label: Record<string, unknown> = {}
  header.forEach((name, i) => {
    const cell = cells[i]!
    if (cell === '') return
    label[name] = name === 'fraud' && /^(true|false)$/i.test(cell.trim()) ? cell.trim().toLowerCase() === 'true' : cell
  })
  return label
}

/** The cells of one CSV line (RFC 4180 quoting), or undefined when a quote is left open. */
export function csvCells(text: string): string[] | undefined {
  const cells: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c !== '"') cell += c
      else if (text[i + 1] === '"') {
        cell += '"'
        i++
      } else quoted = false
    } else if (c === '"') quoted = true
    else if (c === ',') {
      cells.push(cell)
      cell = ''
    } else cell += c
  }
  if (quoted) return undefined
  cells.push(cell)
  return cells
}
