import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda'
import { userRecords } from '../aws/kinesis-records.ts'
import { applyLabelBatch, type LabelApplierDeps, type LabelBatchOutcome } from './process-batch.ts'

/**
 * The labels stream's shard ids are named apart (`labels:<shardId>`): entities keep the high-water
 * marks of both streams, whose shard ids are alike.
 */
export const labelShard = (shardId: string): string => `labels:${shardId}`

/** One invocation: the event's records through `applyLabelBatch`, and the partial batch response naming the first unfinished one. */
export async function applyLabelEvent(event: KinesisStreamEvent, deps: LabelApplierDeps): Promise<{ response: KinesisStreamBatchResponse; outcome: LabelBatchOutcome; records: number }> {
  const records = userRecords(event).map((record) => ({ ...record, position: { ...record.position, shardId: labelShard(record.position.shardId) } }))
  const outcome = await applyLabelBatch(records, deps)
  const failed = outcome.firstUnfinished
  return { response: { batchItemFailures: failed === undefined ? [] : [{ itemIdentifier: records[failed]!.position.sequenceNumber }] }, outcome, records: records.length }
}
