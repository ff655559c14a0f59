import { createReadStream, createWriteStream, type ReadStream } from 'node:fs'
import { once } from 'node:events'
import { createInterface } from 'node:readline'

/** Lines of a file, streamed; `bytesRead` tells how far the reader has got (for progress). */
export function readLines(path: string): { lines: AsyncIterable<string>; stream: ReadStream } {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })
  return { lines: createInterface({ input: stream, crlfDelay: Infinity }), stream }
}

/**
 * Appends JSON lines to a file in large chunks, waiting when the disk falls behind, so a million
 * decisions stream out in bounded memory.
 */
export class JsonlWriter {
  private readonly stream
  private pending: string[] = []
  private pendingLength = 0

  constructor(path: string) {
    this.stream = createWriteStream(path, { encoding: 'utf8' })
  }

  /** Returns a promise only when the buffer went to disk: callers await that, not every line. */
  write(value: unknown): Promise<void> | undefined {
    return this.writeLine(JSON.stringify(value))
  }

  /** A line as it is (a CSV row); the same buffering. */
  writeLine(line: string): Promise<void> | undefined {
    this.pending.push(line)
    this.pendingLength += line.length + 1
    return this.pendingLength >= 1 << 16 ? this.flush() : undefined
  }

  async close(): Promise<void> {
    await this.flush()
    this.stream.end()
    await once(this.stream, 'finish')
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return
    const chunk = this.pending.join('\n') + '\n'
    this.pending = []
    this.pendingLength = 0
    if (!this.stream.write(chunk)) await once(this.stream, 'drain')
  }
}
