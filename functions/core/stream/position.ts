/**
 * Where a record sits in its shard: the Kinesis sequence number and, for a user record inside a
 * KPL-aggregated record, its sub-sequence number (0 otherwise). Positions only compare within a
 * shard; the idempotency of effects never relies on them alone (see stream/batch.ts).
 */
export interface Position {
  shardId: string
  sequenceNumber: string
  subSequenceNumber: number
}

/** Sequence numbers are decimal strings without leading zeros: longer is later, then lexical. */
export function compareSequenceNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length
  return a < b ? -1 : a > b ? 1 : 0
}

/** Orders two positions of the same shard. */
export function comparePositions(a: Pick<Position, 'sequenceNumber' | 'subSequenceNumber'>, b: Pick<Position, 'sequenceNumber' | 'subSequenceNumber'>): number {
  return compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber) || a.subSequenceNumber - b.subSequenceNumber
}

/** `<sequenceNumber>:<subSequenceNumber>`, how a position is stored as a high-water mark. */
export const formatPosition = (p: Pick<Position, 'sequenceNumber' | 'subSequenceNumber'>): string => `${p.sequenceNumber}:${p.subSequenceNumber}`

export function parsePosition(text: string): { sequenceNumber: string; subSequenceNumber: number } {
  const [sequenceNumber = '', sub = '0'] = text.split(':')
  return { sequenceNumber, subSequenceNumber: Number(sub) }
}

export const samePosition = (a: Position, b: Position): boolean =>
  a.shardId === b.shardId && a.sequenceNumber === b.sequenceNumber && a.subSequenceNumber === b.subSequenceNumber
