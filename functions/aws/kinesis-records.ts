import type { KinesisStreamRecord } from 'aws-lambda'
import type { UserRecord } from 'aws-kinesis-agg'
import deaggregation from 'aws-kinesis-agg/lib/kpl-deagg.js'
import type { RecordDefect, StreamRecord } from '../score/process-batch.ts'

export interface UserRecords {
  records: StreamRecord[]
  /** The Kinesis record each user record came from: what a partial batch response names. */
  sequenceNumbers: string[]
}

// Strict, as the case API reads bodies: a lenient decoder turns invalid bytes into U+FFFD, and a
// merchant id with them would pass validation, merging distinct merchants. A BOM is dropped.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

const notUtf8: RecordDefect = { code: 'invalid_utf8', message: 'is not valid UTF-8' }
const corruptAggregate: RecordDefect = { code: 'invalid_aggregate', message: 'is a KPL aggregate that does not decode (corrupt, truncated, a wrong MD5 or no user records)' }

function decoded(base64: string): Pick<StreamRecord, 'data' | 'defect'> {
  const bytes = Buffer.from(base64, 'base64')
  try {
    return { data: strictUtf8.decode(bytes) }
  } catch {
    return { data: bytes.toString('utf8'), defect: notUtf8 }
  }
}

/**
 * The user records of a Lambda Kinesis event, in order: KPL-aggregated records are split into
 * their user records (each keeps the aggregate's sequence number plus its sub-sequence number);
 * plain ones pass through. Data is decoded as UTF-8; a record that is not UTF-8, or an aggregate
 * that does not decode, carries its defect and is quarantined with it.
 */
export function userRecords(event: { Records: KinesisStreamRecord[] }): UserRecords {
  const records: StreamRecord[] = []
  const sequenceNumbers: string[] = []
  for (const record of event.Records) {
    const shardId = record.eventID.slice(0, record.eventID.indexOf(':'))
    let users: UserRecord[] = []
    // Checksums on: an aggregate whose MD5 does not match is corrupt, whatever its bytes decode to.
    // The callback can come more than once; its last call has every user record decoded.
    deaggregation.deaggregateSync(record.kinesis, true, (_error, found) => {
      users = found ?? []
    })
    for (const user of users) {
      records.push({
        position: { shardId, sequenceNumber: record.kinesis.sequenceNumber, subSequenceNumber: Number(user.subSequenceNumber ?? 0) },
        // A key index past the aggregate's key table leaves the user record without a key.
        partitionKey: user.partitionKey ?? record.kinesis.partitionKey,
        ...decoded(user.data),
      })
      sequenceNumbers.push(record.kinesis.sequenceNumber)
    }
    // A corrupt or empty aggregate still ends somewhere: as one record quarantined with the defect.
    if (users.length === 0) {
      records.push({
        position: { shardId, sequenceNumber: record.kinesis.sequenceNumber, subSequenceNumber: 0 },
        partitionKey: record.kinesis.partitionKey,
        data: Buffer.from(record.kinesis.data, 'base64').toString('utf8'),
        defect: corruptAggregate,
      })
      sequenceNumbers.push(record.kinesis.sequenceNumber)
    }
  }
  return { records, sequenceNumbers }
}
