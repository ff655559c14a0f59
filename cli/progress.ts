/**
 * A one-line progress bar on stderr, redrawn at most five times a second, and only on a terminal:
 * piped or CI output stays clean.
 */
export class ProgressBar {
  private readonly enabled: boolean
  private readonly total: number
  private readonly startedAt = performance.now()
  private lastDraw = 0

  constructor(total: number, stream: NodeJS.WriteStream = process.stderr, unit = 'records') {
    this.total = total
    this.unit = unit
    this.enabled = stream.isTTY === true
    this.stream = stream
  }

  private readonly stream: NodeJS.WriteStream
  private readonly unit: string

  update(done: number, records: number): void {
    if (!this.enabled) return
    const now = performance.now()
    if (now - this.lastDraw < 200) return
    this.lastDraw = now
    const share = this.total > 0 ? Math.min(done / this.total, 1) : 0
    const width = 30
    const filled = Math.round(share * width)
    const rate = records / ((now - this.startedAt) / 1000)
    this.stream.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ${records.toLocaleString('en-US')} ${this.unit}  ${Math.round(rate).toLocaleString('en-US')}/s `,
    )
  }

  done(): void {
    if (this.enabled) this.stream.write('\r\x1b[2K')
  }
}
