import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda'
import { userRecords } from '../aws/kinesis-records.ts'
import { processBatch, type BatchOutcome, type ScorerDeps } from './process-batch.ts'

/**
 * One Lambda invocation's work: the event's user records through `processBatch`, and the partial
 * batch response naming the Kinesis record of the first unfinished one (Lambda retries from it).
 */
export async function scoreKinesisEvent(event: KinesisStreamEvent, deps: ScorerDeps): Promise<{ response: KinesisStreamBatchResponse; outcome: BatchOutcome; records: number }> {
  const records = userRecords(event)
  const outcome = await processBatch(records, deps)
  const failed = outcome.firstUnfinished
  return { response: { batchItemFailures: failed === undefined ? [] : [{ itemIdentifier: records[failed]!.position.sequenceNumber }] }, outcome, records: records.length }
}
