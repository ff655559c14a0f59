import type { KinesisStreamRecord } from 'aws-lambda'
import type { RecordDefect, StreamRecord } from '../score/process-batch.ts'
import { deaggregate } from './kpl-aggregate.ts'

// Strict, as the case API reads bodies: a lenient decoder turns invalid bytes into U+FFFD, and a
// merchant id with them would pass validation, merging distinct merchants. A BOM is dropped.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

const notUtf8: RecordDefect = { code: 'invalid_utf8', message: 'is not valid UTF-8' }
const corruptAggregate: RecordDefect = { code: 'invalid_aggregate', message: 'is a KPL aggregate that does not decode (corrupt, truncated, a wrong MD5 or no user records)' }

function decoded(bytes: Uint8Array): Pick<StreamRecord, 'data' | 'defect'> {
  try {
    return { data: strictUtf8.decode(bytes) }
  } catch {
    return { data: Buffer.from(bytes).toString('utf8'), defect: notUtf8 }
  }
}

/**
 * The user records of a Lambda Kinesis event, in order: KPL-aggregated records are split into
 * their user records (each keeps the aggregate's sequence number plus its sub-sequence number);
 * plain ones pass through. Data is decoded as UTF-8; a record that is not UTF-8, or an aggregate
 * that does not decode, carries its defect and is quarantined with it.
 */
export function userRecords(event: { Records: KinesisStreamRecord[] }): StreamRecord[] {
  const records: StreamRecord[] = []
  for (const record of event.Records) {
    const shardId = record.eventID.slice(0, record.eventID.indexOf(':'))
    const bytes = Buffer.from(record.kinesis.data, 'base64')
    const position = (subSequenceNumber: number) => ({ shardId, sequenceNumber: record.kinesis.sequenceNumber, subSequenceNumber })
    // Lambda gives it in seconds with a fraction; a KPL aggregate's user records arrived with it.
    const arrivedAt = Math.round(record.kinesis.approximateArrivalTimestamp * 1000)
    const aggregate = deaggregate(bytes)
    if (aggregate.kind === 'plain') {
      records.push({ position: position(0), partitionKey: record.kinesis.partitionKey, arrivedAt, ...decoded(bytes) })
    } else if (aggregate.kind === 'aggregate') {
      aggregate.records.forEach((user, i) => {
        // A key index past the aggregate's key table leaves the user record without a key.
        records.push({ position: position(i), partitionKey: user.partitionKey ?? record.kinesis.partitionKey, arrivedAt, ...decoded(user.data) })
      })
    } else {
      // A corrupt or empty aggregate still ends somewhere: as one record quarantined with the defect.
      records.push({ position: position(0), partitionKey: record.kinesis.partitionKey, arrivedAt, data: bytes.toString('utf8'), defect: corruptAggregate })
    }
  }
  return records
}
