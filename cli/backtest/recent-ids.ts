/**
 * The transaction ids seen within a horizon of event time, so a replay can skip producer
 * duplicates in memory bounded by the traffic of one horizon rather than by the whole history.
 * Producer retries arrive within seconds or minutes; a repeat beyond the horizon is scored again.
 */
export class RecentIds {
  private readonly horizonMs: number
  private readonly times = new Map<string, number>()
  private readonly order: string[] = []
  private head = 0
  private newest = -Infinity

  constructor(horizonMs: number) {
    this.horizonMs = horizonMs
  }

  /** True if `id` was seen within the horizon; otherwise remembers it. */
  seen(id: string, time: number): boolean {
    if (this.times.has(id)) return true
    this.times.set(id, time)
    this.order.push(id)
    if (time > this.newest) {
      this.newest = time
      this.evict()
    }
    return false
  }

  get size(): number {
    return this.times.size
  }

  private evict(): void {
    const cutoff = this.newest - this.horizonMs
    while (this.head < this.order.length && this.times.get(this.order[this.head]!)! < cutoff) {
      this.times.delete(this.order[this.head]!)
      this.head++
    }
    // Compact once the evicted prefix dominates, so the queue stays proportional to the horizon.
    if (this.head > 4096 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head)
      this.head = 0
    }
  }
}
