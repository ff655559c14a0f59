import type { _Record } from '@aws-sdk/client-kinesis'
import type { KinesisStreamRecord } from 'aws-lambda'

/** Where a record was read: what the event source mapping puts around it. */
export interface RecordSource {
  shardId: string
  streamArn: string
  region: string
  invokeIdentityArn: string
  /** Arrival time when the record carries none (epoch ms). */
  now: () => number
}

/** A GetRecords record as Lambda's Kinesis event source mapping hands it to the function. */
export function lambdaKinesisRecord(record: _Record, source: RecordSource): KinesisStreamRecord {
  const sequenceNumber = record.SequenceNumber ?? ''
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.PartitionKey ?? '',
      sequenceNumber,
      data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
      approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? source.now()) / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${source.shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: source.invokeIdentityArn,
    awsRegion: source.region,
    eventSourceARN: source.streamArn,
  }
}
