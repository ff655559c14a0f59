import agg from 'aws-kinesis-agg'
import type { KinesisStreamRecord } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import { userRecords } from '../../../functions/aws/kinesis-records.ts'

const arrival = 1_795_521_600.125 // Lambda's approximateArrivalTimestamp: seconds, with a fraction

function lambdaRecord(data: Buffer, sequenceNumber: string): KinesisStreamRecord {
  return {
    kinesis: { kinesisSchemaVersion: '1.0', partitionKey: 'card', sequenceNumber, data: data.toString('base64'), approximateArrivalTimestamp: arrival },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `shardId-000000000000:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/vigil-scorer',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/vigil-transactions',
  }
}

const aggregate = (lines: string[]) =>
  new Promise<Buffer>((resolve, reject) => {
    const out: Buffer[] = []
    agg.aggregate(
      lines.map((line) => ({ partitionKey: 'card', data: Buffer.from(line) })),
      (encoded, done) => {
        out.push(Buffer.from(encoded.data))
        done()
      },
      () => resolve(out[0]!),
      reject,
    )
  })

describe('arrival time on stream records (the clock event times are checked against)', () => {
  it('is the Kinesis record\'s ApproximateArrivalTimestamp in ms, for a plain record, every user record of a KPL aggregate and a corrupt one', async () => {
    const kpl = await aggregate(['{"a":1}', '{"a":2}', '{"a":3}'])
    const corrupt = Buffer.concat([kpl.subarray(0, 4), Buffer.from('not protobuf')])
    const records = userRecords({ Records: [lambdaRecord(Buffer.from('{"a":0}'), '1'), lambdaRecord(kpl, '2'), lambdaRecord(corrupt, '3')] })
    expect(records).toHaveLength(5)
    expect(records.map((r) => r.arrivedAt)).toEqual(Array(5).fill(1_795_521_600_125))
  })
})
