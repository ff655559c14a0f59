import type { ReportedLabel } from '../../functions/core/labels/resolve.ts'

/**
 * Labels by the time they became known, to be fed to the replay in event-time order: a binary
 * min-heap (labels join it as their transactions are scored, when only a delay dates them), first
 * in first out among labels of the same time.
 */
export class LabelTimeline {
  private readonly heap: { at: number; order: number; label: ReportedLabel }[] = []
  private added = 0

  get size(): number {
    return this.heap.length
  }

  add(label: ReportedLabel): void {
    const heap = this.heap
    heap.push({ at: Date.parse(label.reportedAt), order: this.added++, label })
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(i, parent)) break
      ;[heap[i], heap[parent]] = [heap[parent]!, heap[i]!]
      i = parent
    }
  }

  /** Removes and yields, in order, every label known at or before `time` (epoch ms; Infinity: all). */
  *until(time: number): Generator<ReportedLabel> {
    const heap = this.heap
    while (heap.length > 0 && heap[0]!.at <= time) {
      const top = heap[0]!
      const last = heap.pop()!
      if (heap.length > 0) {
        heap[0] = last
        let i = 0
        for (;;) {
          const left = 2 * i + 1
          const right = left + 1
          let smallest = i
          if (left < heap.length && this.before(left, smallest)) smallest = left
          if (right < heap.length && this.before(right, smallest)) smallest = right
          if (smallest === i) break
          ;[heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!]
          i = smallest
        }
      }
      yield top.label
    }
  }

  private before(a: number, b: number): boolean {
    const x = this.heap[a]!
    const y = this.heap[b]!
    return x.at < y.at || (x.at === y.at && x.order < y.order)
  }
}
