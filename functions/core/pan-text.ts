/**
 * The PAN text policy: what in a string may be a card number, for every string Vigil stores, logs
 * or serves (quarantine issues, rule errors, log correlation keys, API errors), the check of what
 * people type into a case, the refusal of PAN-shaped ids, and the tests' PAN scan.
 *
 * - A digit is anything that reads as one: ASCII, full-width and every other Unicode decimal digit
 *   (the Nd category), what NFKC folds to a digit (superscripts, circled digits), and a JSON escape
 *   of any of these (`\u0034`).
 * - Digits belong to one sequence when at most `maxGap` separators stand between them. A separator
 *   is anything that is neither a letter nor a digit: spaces, dashes, dots, slashes, other
 *   punctuation, symbols, controls, invisible format characters and combining marks, also escaped.
 *   A letter ends a sequence, so words and ids with letters between their numbers stay apart.
 * - In a sequence, digits written together form a chunk. One chunk, or a run of whole chunks of at
 *   most six digits each, holding 12 to 19 digits that pass Luhn and start with 2–9 is a PAN:
 *   `dddd dddd dddd dddd`, `ref d dddd-dddd-…` (the PAN is a run of chunks even if the whole group
 *   fails Luhn).
 * - A UUID or a hex digest (32 hex characters or more, with a letter) is skipped like a word: its
 *   digits are random hex digits, not a number anyone wrote.
 * - A chunk of more than 19 digits is redacted and refused too: it can hide a PAN with digits
 *   appended, and no card number is that long. It is not reported as a PAN by `findPans`, so the
 *   tests' scan can tell Kinesis sequence numbers (56 digits, written by AWS) from card numbers.
 *
 * Why the first digit: ISO/IEC 7812 leaves 0 unassigned and gives 1 to airlines (UATP, outside the
 * card networks PCI DSS covers); ignoring them keeps epoch milliseconds, which start with 1 until
 * 2033, from passing for a 13-digit PAN one time in ten in ids and log lines. The cost of the rest
 * is false positives: about one 12+-digit number in ten (a phone number with its country code, a
 * list of amounts) is taken for a PAN. Redaction then masks a harmless number and a note is
 * refused with a request to rephrase, which is the right way round.
 */
import { luhnValid } from './pan.ts'

/** Separators allowed between two digits of one sequence: `4111 - 1111`, `"4111", "1111"` needs 4. */
const maxGap = 4
const minPan = 12
const maxPan = 19
/**
 * The longest group a written-out PAN has (4-4-4-4, 4-6-5, 4-6-4, 4-4-4-4-3). Ids join longer
 * numbers with dashes (`tx-2000000000-14`), and reading those as groups refused real traffic.
 */
const maxGroup = 6

/** Where a PAN (or an overlong run) sits in the original text: [start, end) in UTF-16 units. */
interface PanSpan {
  start: number
  end: number
  /** The digits as ASCII. */
  digits: string
  /** A run longer than any PAN: redacted and refused, but not itself a card number. */
  overlong: boolean
}

/** The marker left where a PAN was. It holds letters, so digits on either side cannot join up. */
const redactedMarker = '[redacted]'

// Without an ASCII digit, a backslash (an escape) or a non-ASCII character there is nothing to find.
const maybeDigits = /[0-9\\\u0080-\uffff]/

/**
 * Identifiers machines write in hex, a UUID or a digest of 128 bits or more, with at least one
 * letter: their digits are random hex digits, not a number anyone wrote, yet read as groups they
 * would pass for a PAN in about one random UUID in 230. They are skipped whole, like a word.
 */
const hexIdentifier = /(?<![0-9A-Za-z])(?:[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|[0-9A-Fa-f]{32,})(?![0-9A-Za-z])/g
const hexLetter = /[A-Fa-f]/

/** Where the hex identifiers of `text` start, and where each ends. */
function hexIdentifiers(text: string): Map<number, number> {
  const ranges = new Map<number, number>()
  for (const match of text.matchAll(hexIdentifier)) if (hexLetter.test(match[0])) ranges.set(match.index, match.index + match[0].length)
  return ranges
}

/** Every PAN, and every run too long to be one, in `text`, in order. */
function findPanSpans(text: string): PanSpan[] {
  const spans: PanSpan[] = []
  if (!maybeDigits.test(text) || tooFewAsciiDigits(text)) return spans
  const skipped = hexIdentifiers(text)
  let chunks: Chunk[] = []
  let current: Chunk | undefined
  let gap = 0
  const endSequence = () => {
    if (current) chunks.push(current)
    scanSequence(chunks, spans)
    chunks = []
    current = undefined
    gap = 0
  }
  for (let i = 0; i < text.length; ) {
    const skipTo = skipped.get(i)
    if (skipTo !== undefined) {
      if (current) endSequence()
      i = skipTo
      continue
    }
    const code = text.charCodeAt(i)
    // ASCII letters and separators, most of any text, without building a unit.
    if (code < 128 && code !== 92 && (code < 48 || code > 57)) {
      if (isAsciiLetter(code)) {
        if (current) endSequence()
      } else if (current && ++gap > maxGap) endSequence()
      i++
      continue
    }
    const unit = readUnit(text, i)
    if (unit.kind === 'digits') {
      if (current && gap === 0) current.digits += unit.digits
      else {
        if (current) chunks.push(current)
        current = { digits: unit.digits, start: i, end: i }
      }
      current.end = unit.end
      gap = 0
    } else if (unit.kind === 'separator' && current) {
      if (++gap > maxGap) endSequence()
    } else if (unit.kind === 'other' && current) endSequence()
    i = unit.end
  }
  endSequence()
  return spans.sort((a, b) => a.start - b.start || b.end - a.end)
}

/**
 * Plain ASCII with fewer than 12 digits holds no PAN: most ids and messages, decided in one pass
 * without the scan (the ids of every transaction are checked, so this is the scorer's hot path).
 */
function tooFewAsciiDigits(text: string): boolean {
  let digits = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code >= 48 && code <= 57) {
      if (++digits >= minPan) return false
    } else if (code === 92 || code >= 128) return false
  }
  return true
}

/** The card numbers in `text`, as ASCII digits: what the tests' PAN scan reports. */
export function findPans(text: string): string[] {
  return findPanSpans(text)
    .filter((span) => !span.overlong)
    .map((span) => span.digits)
}

/** Whether `text` holds a PAN (or a run of digits too long to be one) in any notation the policy knows. */
export function containsPan(text: string): boolean {
  return findPanSpans(text).length > 0
}

/**
 * `text` with every PAN and overlong digit run replaced by `[redacted]` (separators between them
 * go too), then cut to `maxLength`. The cut comes after the redaction, so it cannot leave part of
 * a PAN behind, and is redacted again, because cutting a long run can leave a Luhn-valid one.
 */
export function redactPans(text: string, maxLength = Infinity): string {
  const redacted = redactAll(text)
  return redacted.length > maxLength ? redactAll(redacted.slice(0, maxLength)) : redacted
}

function redactAll(text: string): string {
  const spans = findPanSpans(text)
  if (spans.length === 0) return text
  let out = ''
  let at = -1
  for (const span of spans) {
    // Overlapping or touching spans become one marker.
    if (span.start <= at) {
      at = Math.max(at, span.end)
      continue
    }
    out += text.slice(Math.max(at, 0), span.start) + redactedMarker
    at = span.end
  }
  return out + text.slice(at)
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/

/** Whether a name from the input (an unknown key, a field) may be quoted back: a short identifier holding no PAN. */
export function isSafeName(name: string): boolean {
  return identifier.test(name) && !containsPan(name)
}

interface Chunk {
  digits: string
  start: number
  end: number
}

/** Every run of whole chunks that is a PAN, and every chunk too long to be one. */
function scanSequence(chunks: readonly Chunk[], spans: PanSpan[]): void {
  for (let i = 0; i < chunks.length; i++) {
    const first = chunks[i]!
    if (first.digits.length > maxPan) {
      spans.push({ start: first.start, end: first.end, digits: first.digits, overlong: true })
      continue
    }
    if (first.digits.charCodeAt(0) < 50) continue // '0' or '1': see the module comment
    let digits = ''
    for (let j = i; j < chunks.length; j++) {
      if (j > i && (first.digits.length > maxGroup || chunks[j]!.digits.length > maxGroup)) break
      digits += chunks[j]!.digits
      if (digits.length > maxPan) break
      if (digits.length >= minPan && luhnValid(digits)) spans.push({ start: first.start, end: chunks[j]!.end, digits, overlong: false })
    }
  }
}

type Unit = { kind: 'digits'; digits: string; end: number } | { kind: 'separator' | 'other'; end: number }

/** The character at `i` (a JSON escape read as the character it stands for) and what it is to the policy. */
function readUnit(text: string, i: number): Unit {
  const code = text.charCodeAt(i)
  if (code >= 48 && code <= 57) return { kind: 'digits', digits: text[i]!, end: i + 1 }
  if (code < 128 && code !== 92) return { kind: isAsciiLetter(code) ? 'other' : 'separator', end: i + 1 }
  if (code === 92) return readEscape(text, i)
  const point = text.codePointAt(i)!
  return classify(point, i + (point > 0xffff ? 2 : 1))
}

const isAsciiLetter = (code: number) => (code >= 65 && code <= 90) || (code >= 97 && code <= 122)

const hex4 = /^[0-9A-Fa-f]{4}$/

/** `\uXXXX` (a surrogate pair as two) is the character it escapes; `\n`, `\"` and a lone backslash separate. */
function readEscape(text: string, i: number): Unit {
  if (text[i + 1] !== 'u' || !hex4.test(text.slice(i + 2, i + 6))) return { kind: 'separator', end: i + (/["\\/bfnrt]/.test(text[i + 1] ?? '') ? 2 : 1) }
  let point = Number.parseInt(text.slice(i + 2, i + 6), 16)
  let end = i + 6
  if (point >= 0xd800 && point <= 0xdbff && text.startsWith('\\u', end) && hex4.test(text.slice(end + 2, end + 6))) {
    const low = Number.parseInt(text.slice(end + 2, end + 6), 16)
    if (low >= 0xdc00 && low <= 0xdfff) {
      point = 0x10000 + ((point - 0xd800) << 10) + (low - 0xdc00)
      end += 6
    }
  }
  if (point < 128) {
    if (point >= 48 && point <= 57) return { kind: 'digits', digits: String.fromCharCode(point), end }
    return { kind: isAsciiLetter(point) || point === 92 ? 'other' : 'separator', end }
  }
  return classify(point, end)
}

const number = /^\p{N}$/u
const letter = /^\p{L}$/u
const decimal = /^\p{Nd}$/u
const asciiDigits = /^[0-9]+$/

/** A non-ASCII code point: the digits it reads as, a separator, or something that ends a sequence. */
function classify(point: number, end: number): Unit {
  const char = String.fromCodePoint(point)
  if (number.test(char)) {
    const folded = char.normalize('NFKC')
    if (asciiDigits.test(folded)) return { kind: 'digits', digits: folded, end }
    if (decimal.test(char)) return { kind: 'digits', digits: String(decimalValue(point)), end }
    return { kind: 'other', end }
  }
  return { kind: letter.test(char) ? 'other' : 'separator', end }
}

/**
 * Unicode keeps every decimal digit in a block of ten, 0 to 9 in order, and blocks that touch
 * start at 0: the value is the distance from the start of the run of Nd code points, mod 10.
 */
function decimalValue(point: number): number {
  let start = point
  while (start > 0 && decimal.test(String.fromCodePoint(start - 1))) start--
  return (point - start) % 10
}
