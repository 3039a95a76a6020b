import { ErrorCode, WorkbenchError } from '../errors/index'
import type { SnapshotOffsets } from '../sink/snapshot-offsets'

/** Queries waiting for the tail of a topic to reach their high-water marks. */
export interface TailWaiters {
  /** Whether every partition of `topic` has been read up to `to` (exclusive). */
  reached(topic: string, to: SnapshotOffsets): boolean
  /** Lets go every waiter whose marks are reached now. */
  wake(): void
  /**
   * Resolves once `topic` reached `to`; rejects TIMEOUT (retryable, naming the partitions behind)
   * after `timeoutMs`. `onWait` runs once the waiter is registered (to end a fetch pause).
   */
  wait(topic: string, to: SnapshotOffsets, timeoutMs: number, onWait: () => void): Promise<void>
  /** Queries waiting now. */
  readonly size: number
}

interface Waiter {
  readonly topic: string
  readonly to: SnapshotOffsets
  readonly resolve: () => void
}

/** Waiters over the tail's read positions: `next(topic)` is where each partition of it stands. */
export function createTailWaiters(next: (topic: string) => ReadonlyMap<number, bigint>): TailWaiters {
  const waiters = new Set<Waiter>()
  const reached = (topic: string, to: SnapshotOffsets): boolean => {
    const at = next(topic)
    for (const [p, o] of to) if ((at.get(p) ?? 0n) < o) return false
    return true
  }
  return {
    reached,
    get size() {
      return waiters.size
    },
    wake() {
      for (const w of waiters) {
        if (reached(w.topic, w.to)) {
          waiters.delete(w)
          w.resolve()
        }
      }
    },
    wait(topic, to, timeoutMs, onWait) {
      if (reached(topic, to)) return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter)
          const at = next(topic)
          const behind = [...to].filter(([p, o]) => (at.get(p) ?? 0n) < o).map(([p, o]) => `partition ${p} at ${at.get(p) ?? 0n} of ${o}`)
          reject(new WorkbenchError(ErrorCode.Timeout, `the Kafka tail of ${topic} did not reach the high-water mark within ${timeoutMs} ms (${behind.join(', ')}): is the broker up?`, true))
        }, timeoutMs)
        const waiter: Waiter = {
          topic,
          to,
          resolve: () => {
            clearTimeout(timer)
            resolve()
          },
        }
        waiters.add(waiter)
        onWait()
      })
    },
  }
}

/**
 * Fetch pacing: the first batch of each fetch waits until `intervalMs` after that fetch started,
 * unless a query is waiting for the tail (or it closes): then `endPause` ends the wait at once.
 */
export interface FetchPacing {
  fetchStarted(): void
  fetchReturned(): void
  /** Before a batch: the first of its fetch pauses, when `mayPause` says no one waits. */
  beforeBatch(mayPause: () => boolean): Promise<void>
  endPause(): void
  /** Whether a fetched batch waits out its pause now: records the tail holds but has not taken. */
  readonly holding: boolean
}

export function createFetchPacing(intervalMs: number): FetchPacing {
  let fetchStartedAt = 0
  let firstOfFetch = false
  let pausing = false
  let endPause: () => void = () => undefined
  const pause = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms)
      function done(): void {
        clearTimeout(timer)
        endPause = () => undefined
        resolve()
      }
      endPause = done
    })
  return {
    fetchStarted: () => void (fetchStartedAt = performance.now()),
    fetchReturned: () => void (firstOfFetch = true),
    async beforeBatch(mayPause) {
      if (!firstOfFetch) return
      firstOfFetch = false
      const wait = fetchStartedAt + intervalMs - performance.now()
      if (wait <= 0 || !mayPause()) return
      pausing = true
      try {
        await pause(wait)
      } finally {
        pausing = false
      }
    },
    endPause: () => endPause(),
    get holding() {
      return pausing
    },
  }
}

/** Runs tasks one after another (a failed one does not stop the next): appends, flushes and trims never interleave on the tail's connection. */
export function createSerialRunner(): <T>(fn: () => Promise<T> | T) => Promise<T> {
  let chain: Promise<unknown> = Promise.resolve()
  return <T>(fn: () => Promise<T> | T): Promise<T> => {
    const run = chain.then(fn, fn)
    chain = run.catch(() => undefined)
    return run
  }
}
