import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis'
import type { Label } from '../core/labels/label.ts'

/** What became of one label: on the stream, or refused with Kinesis's error code (the SDK's error name for a failed call). */
export type LabelSendResult = { sent: true } | { sent: false; errorCode: string }

export interface LabelStreamOptions {
  /** Tries per label, the first included (default 4): a refused entry is retried alone. */
  readonly maxAttempts?: number
  /** The first retry's delay before jitter (default 100 ms), doubled per attempt. */
  readonly baseDelayMs?: number
  /** Waits between attempts; a parameter so that tests need not. */
  readonly sleep?: (ms: number) => Promise<void>
}

/** PutRecords takes at most 500 entries a call. */
export const maxRecordsPerCall = 500

/** The code of a label held back because an earlier label of its transaction was not sent. */
export const earlierLabelNotSent = 'EarlierLabelNotSent'

/**
 * Labels onto the labels stream (lib/labels.ts): Data = the label's JSON, partition key = its
 * transaction id, so one shard applies a transaction's labels in order.
 *
 * PutRecords keeps no order between a refused entry and the entries after it, and resolving a
 * tie between two labels of one time depends on which is applied last. So a transaction's labels
 * go out in rounds: its first label in the first round, its second in the next, and so on; a
 * label whose predecessor was refused for good is not sent (`EarlierLabelNotSent`), so the
 * client's resend keeps the order. Within a round, refused entries (throttling, internal
 * failures) are retried alone with jittered exponential backoff.
 */
export class KinesisLabelStream {
  private readonly client: KinesisClient
  private readonly streamName: string
  private readonly maxAttempts: number
  private readonly baseDelayMs: number
  private readonly sleep: (ms: number) => Promise<void>

  constructor(client: KinesisClient, streamName: string, options: LabelStreamOptions = {}) {
    this.client = client
    this.streamName = streamName
    this.maxAttempts = options.maxAttempts ?? 4
    this.baseDelayMs = options.baseDelayMs ?? 100
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
  }

  /** One result per label, in order. */
  async send(labels: readonly Label[]): Promise<LabelSendResult[]> {
    const results: LabelSendResult[] = new Array(labels.length)
    const rounds: number[][] = []
    const seen = new Map<string, number>()
    labels.forEach((label, index) => {
      const round = seen.get(label.transactionId) ?? 0
      seen.set(label.transactionId, round + 1)
      ;(rounds[round] ??= []).push(index)
    })
    const refused = new Set<string>()
    for (const round of rounds) {
      const due: number[] = []
      for (const index of round) {
        if (refused.has(labels[index]!.transactionId)) results[index] = { sent: false, errorCode: earlierLabelNotSent }
        else due.push(index)
      }
      for (let i = 0; i < due.length; i += maxRecordsPerCall) {
        const chunk = due.slice(i, i + maxRecordsPerCall)
        const outcome = await this.put(chunk.map((index) => labels[index]!))
        chunk.forEach((index, k) => {
          results[index] = outcome[k]!
          if (!outcome[k]!.sent) refused.add(labels[index]!.transactionId)
        })
      }
    }
    return results
  }

  /** At most 500 labels, each retried alone while Kinesis refuses it. */
  private async put(labels: readonly Label[]): Promise<LabelSendResult[]> {
    const results: LabelSendResult[] = new Array(labels.length)
    let pending = labels.map((label, index) => ({ index, entry: { Data: Buffer.from(JSON.stringify(label)), PartitionKey: label.transactionId } satisfies PutRecordsRequestEntry }))
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1) await this.sleep(Math.random() * this.baseDelayMs * 2 ** (attempt - 2))
      const last = attempt >= this.maxAttempts
      let records: Array<{ ErrorCode?: string | undefined }>
      try {
        records = (await this.client.send(new PutRecordsCommand({ StreamName: this.streamName, Records: pending.map(({ entry }) => entry) }))).Records ?? []
      } catch (error) {
        // The client has retried transient errors already; what is left (no such stream, no
        // permission) would fail again: every label of the call is refused with its name.
        const errorCode = (error as { name?: string }).name ?? 'Error'
        for (const { index } of pending) results[index] = { sent: false, errorCode }
        return results
      }
      const retry: typeof pending = []
      pending.forEach((item, k) => {
        // A response without the entry's result (never seen) is a refusal, not a success.
        const errorCode = records[k] === undefined ? 'NoResult' : records[k].ErrorCode
        if (errorCode === undefined) results[item.index] = { sent: true }
        else if (last) results[item.index] = { sent: false, errorCode }
        else retry.push(item)
      })
      pending = retry
    }
    return results
  }
}
