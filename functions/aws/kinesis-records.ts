import type { KinesisStreamRecord } from 'aws-lambda'
import agg from 'aws-kinesis-agg'
import type { StreamRecord } from '../score/process-batch.ts'

export interface UserRecords {
  records: StreamRecord[]
  /** The Kinesis record each user record came from: what a partial batch response names. */
  sequenceNumbers: string[]
}

/**
 * The user records of a Lambda Kinesis event, in order: KPL-aggregated records are split into
 * their user records (each keeps the aggregate's sequence number plus its sub-sequence number);
 * plain ones pass through. Data is decoded as UTF-8; undecodable bytes become U+FFFD and the
 * record then fails validation like any other bad payload.
 */
export function userRecords(event: { Records: KinesisStreamRecord[] }): UserRecords {
  const records: StreamRecord[] = []
  const sequenceNumbers: string[] = []
  for (const record of event.Records) {
    const shardId = record.eventID.slice(0, record.eventID.indexOf(':'))
    let failure: Error | undefined
    let produced = 0
    agg.deaggregateSync(record.kinesis, false, (error, users) => {
      if (error) failure = error
      for (const user of users ?? []) {
        produced++
        records.push({
          position: { shardId, sequenceNumber: record.kinesis.sequenceNumber, subSequenceNumber: Number(user.subSequenceNumber ?? 0) },
          partitionKey: user.partitionKey,
          data: Buffer.from(user.data, 'base64').toString('utf8'),
        })
        sequenceNumbers.push(record.kinesis.sequenceNumber)
      }
    })
    // A corrupt aggregate still ends somewhere: as one record that will fail validation.
    if (failure && produced === 0) {
      records.push({
        position: { shardId, sequenceNumber: record.kinesis.sequenceNumber, subSequenceNumber: 0 },
        partitionKey: record.kinesis.partitionKey,
        data: Buffer.from(record.kinesis.data, 'base64').toString('utf8'),
      })
      sequenceNumbers.push(record.kinesis.sequenceNumber)
    }
  }
  return { records, sequenceNumbers }
}
