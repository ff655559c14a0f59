import { luhnValid } from '../../functions/core/pan.ts'

/** A digit run, also written in groups with one space or dash between them (`4111 1111 1111 1111`). */
const digitGroup = /(?<![\d.])\d(?:[ -]?\d)*(?![\d.])/g

/**
 * Luhn-valid runs of 12–19 digits whose first digit is a card network's (2–6: Mastercard's 2-series,
 * Amex/Diners/JCB, Visa, Mastercard, Discover/UnionPay), as a DLP scanner would look for them.
 * The leading digit keeps epoch milliseconds (13 digits starting with 1 until 2033, in every EMF
 * line's `Timestamp`) from passing Luhn one time in ten; runs longer than 19 digits (Kinesis
 * sequence numbers) are not card numbers.
 */
export function panLikeRuns(text: string): string[] {
  const found: string[] = []
  for (const [group] of text.matchAll(digitGroup)) {
    const digits = group.replace(/[ -]/g, '')
    if (digits.length >= 12 && digits.length <= 19 && /^[2-6]/.test(digits) && luhnValid(digits)) found.push(digits)
  }
  return found
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
