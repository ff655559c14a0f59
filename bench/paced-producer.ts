import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis'

/**
 * A producer that offers a constant rate, for the end-to-end bench. local/producer.ts paces by the
 * traffic generator's event times, shaped by its daily rhythm from the wall-clock hour, so its rate
 * depends on when it runs; a load step needs the same rate every second. Records are put in
 * PutRecords calls of up to 500, one call at a time: when the stream cannot take the rate, the
 * producer falls behind rather than piling up requests, and `put` says what was really offered.
 */
export interface PacedProducer {
  /** Records the stream accepted so far. */
  readonly put: () => number
  /** Records PutRecords refused (after the retries). */
  readonly refused: () => number
  stop(): Promise<void>
}

const maxPutRecords = 500

export function startPacedProducer(options: {
  readonly client: KinesisClient
  readonly streamName: string
  readonly records: readonly PutRecordsRequestEntry[]
  readonly ratePerSecond: number
  readonly tickMs?: number
}): PacedProducer {
  const started = performance.now()
  let next = 0
  let put = 0
  let refused = 0
  let busy: Promise<void> | undefined
  let failure: unknown

  const send = async (entries: PutRecordsRequestEntry[]) => {
    // A producer retries what PutRecords refused (throttling); here at most twice.
    for (let attempt = 0; entries.length > 0 && attempt < 3; attempt++) {
      const out = await options.client.send(new PutRecordsCommand({ StreamName: options.streamName, Records: entries }))
      const failed = (out.Records ?? []).flatMap((r, i) => (r.ErrorCode ? [entries[i]!] : []))
      put += entries.length - failed.length
      entries = failed
    }
    refused += entries.length
  }

  const catchUp = async () => {
    const due = Math.min(options.records.length, Math.floor(((performance.now() - started) / 1000) * options.ratePerSecond))
    while (next < due) {
      const batch = options.records.slice(next, Math.min(due, next + maxPutRecords))
      next += batch.length
      await send(batch)
    }
  }

  const timer = setInterval(() => {
    busy ??= catchUp()
      .catch((error: unknown) => void (failure ??= error))
      .finally(() => (busy = undefined))
  }, options.tickMs ?? 20)

  return {
    put: () => put,
    refused: () => refused,
    stop: async () => {
      clearInterval(timer)
      await busy
      if (failure !== undefined) throw failure
    },
  }
}
