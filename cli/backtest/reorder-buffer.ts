/**
 * Restores event-time order in a stream that is only roughly ordered, in bounded memory: it holds
 * at most `capacity` items and releases the earliest whenever it is full. An item that arrives
 * after a later one has already been released is released as soon as possible and counted late.
 * Ties keep arrival order, so an ordered input passes through unchanged.
 */
export class ReorderBuffer<T> {
  private readonly heap: Array<{ time: number; seq: number; item: T }> = []
  private seq = 0
  private watermark = -Infinity
  private readonly capacityLimit: number
  late = 0

  constructor(capacity: number) {
    this.capacityLimit = capacity
  }

  /** Adds an item; returns the items it pushes out, earliest first. */
  push(time: number, item: T): T[] {
    this.insert({ time, seq: this.seq++, item })
    const released: T[] = []
    while (this.heap.length > this.capacityLimit) released.push(this.release())
    return released
  }

  /** Everything left, earliest first. */
  drain(): T[] {
    const released: T[] = []
    while (this.heap.length > 0) released.push(this.release())
    return released
  }

  get size(): number {
    return this.heap.length
  }

  private release(): T {
    const top = this.heap[0]!
    const last = this.heap.pop()!
    if (this.heap.length > 0) {
      this.heap[0] = last
      this.siftDown(0)
    }
    if (top.time < this.watermark) this.late++
    else this.watermark = top.time
    return top.item
  }

  private before(a: { time: number; seq: number }, b: { time: number; seq: number }): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq)
  }

  private insert(node: { time: number; seq: number; item: T }): void {
    const heap = this.heap
    let i = heap.push(node) - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(heap[i]!, heap[parent]!)) break
      ;[heap[i], heap[parent]] = [heap[parent]!, heap[i]!]
      i = parent
    }
  }

  private siftDown(i: number): void {
    const heap = this.heap
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let smallest = i
      if (left < heap.length && this.before(heap[left]!, heap[smallest]!)) smallest = left
      if (right < heap.length && this.before(heap[right]!, heap[smallest]!)) smallest = right
      if (smallest === i) return
      ;[heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!]
      i = smallest
    }
  }
}
