import { comparePositions, formatPosition, parsePosition, type Position } from './position.ts'

/**
 * A shard's high-water mark on an entity item: the position of the last record of that shard
 * counted into it, and when it was written (the batch clock, epoch ms), stored as
 * `<seq>:<sub>@<ms>`. Marks written before the time was kept (`<seq>:<sub>`) have none.
 *
 * Why a time: an on-demand stream splits and closes shards, and each shard that ever touched an
 * entity would otherwise keep its mark forever, until the item nears DynamoDB's 400 KB. A mark is
 * only needed while a record at or below it can still be handed to the scorer again. Every such
 * record arrived before the mark was written, and the event source mapping hands over no record
 * older than its maximum record age, which Lambda caps at 7 days (vigil:maxRecordAgeSeconds is
 * bounded by it). So a mark not rewritten for that long plus a day (for a batch still being
 * retried and for clocks that disagree) can never be consulted again and is dropped on the
 * entity's next write; a record of that shard above it was not counted either way.
 */
export const markLifetimeMs = (7 + 1) * 86_400_000

export interface HighWaterMark {
  position: Pick<Position, 'sequenceNumber' | 'subSequenceNumber'>
  /** Undefined for a mark stored before marks carried their time. */
  markedAt: number | undefined
}

export function parseMark(text: string): HighWaterMark {
  const at = text.indexOf('@')
  if (at < 0) return { position: parsePosition(text), markedAt: undefined }
  return { position: parsePosition(text.slice(0, at)), markedAt: Number(text.slice(at + 1)) }
}

export const formatMark = (position: HighWaterMark['position'], markedAt: number): string => `${formatPosition(position)}@${markedAt}`

/** Whether `position` is at or below its shard's mark: the record was counted. */
export function coveredBy(marks: Readonly<Record<string, string>>, position: Position): boolean {
  const mark = marks[position.shardId]
  return mark !== undefined && comparePositions(position, parseMark(mark).position) <= 0
}

/**
 * The marks worth keeping at `now`: those written within `markLifetimeMs`. A mark without a time is
 * kept and given `now`, so it ages out like the others from here on.
 */
export function liveMarks(marks: Readonly<Record<string, string>>, now: number): Record<string, string> {
  const live: Record<string, string> = {}
  for (const [shardId, text] of Object.entries(marks)) {
    const { position, markedAt } = parseMark(text)
    if (markedAt === undefined) live[shardId] = formatMark(position, now)
    else if (now - markedAt <= markLifetimeMs) live[shardId] = text
  }
  return live
}
