/**
 * Which of the synthetic market's symbols acts next: a binary min-heap of symbol indexes by their
 * next action time, so each event costs O(log symbols) with 2,000 symbols listed. Pure.
 */

/** The symbols' next action times, earliest first. */
export interface ActionSchedule {
  /** The index of the symbol whose action comes first. */
  first(): number
  /** The next action time of symbol i. */
  at(i: number): number
  /** Moves the first symbol's next action to t (its action has just been played). */
  rescheduleFirst(t: number): void
  /** Sets every symbol's next action time, calling `timeOf` in index order, and reorders. */
  rescheduleAll(timeOf: (i: number) => number): void
}

/** A schedule of `count` symbols with their first action times from `timeOf` (called in index order). */
export function createActionSchedule(count: number, timeOf: (i: number) => number): ActionSchedule {
  const nextAt = new Float64Array(count)
  const heap = Array.from({ length: count }, (_, i) => i)
  const less = (i: number, j: number): boolean => nextAt[heap[i]!]! < nextAt[heap[j]!]!
  const swap = (i: number, j: number): void => {
    const x = heap[i]!
    heap[i] = heap[j]!
    heap[j] = x
  }
  const siftDown = (start: number): void => {
    let i = start
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < heap.length && less(l, m)) m = l
      if (r < heap.length && less(r, m)) m = r
      if (m === i) return
      swap(i, m)
      i = m
    }
  }
  const rescheduleAll = (next: (i: number) => number): void => {
    for (let i = 0; i < count; i++) nextAt[i] = next(i)
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(i)
  }
  rescheduleAll(timeOf)
  return {
    first: () => heap[0]!,
    at: (i) => nextAt[i]!,
    rescheduleFirst(t) {
      nextAt[heap[0]!] = t
      siftDown(0)
    },
    rescheduleAll,
  }
}
