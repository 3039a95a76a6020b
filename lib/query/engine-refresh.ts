import { errorMessage, settleWithin } from '../errors/index'
import type { Logger } from '../logger/index'

/**
 * The background refresh of table metadata, and the engine's rest: with no query for `idleMs`
 * the engine rests along with its tail: metadata is reloaded every restingRefreshMs (at most
 * 10 s; trims follow the lake), and the next query reloads it first.
 */
export interface RefreshLoop {
  /** Reloads now; a refresh already running is joined, not doubled. */
  refresh(): Promise<void>
  /** A query arrives: the first after a rest reloads first (its failure is logged, not thrown). */
  queryArrives(): Promise<void>
  /** Stops the timer and waits (at most 15 s) for a refresh under way. */
  stop(): Promise<void>
}

export interface RefreshLoopOptions {
  readonly refreshMs: number
  /** 0: never rests. */
  readonly idleMs: number
  readonly reload: () => Promise<void>
  readonly log: Logger
}

export function createRefreshLoop(options: RefreshLoopOptions): RefreshLoop {
  const { refreshMs, idleMs, reload, log } = options
  let stopped = false
  let refreshing: Promise<void> | undefined
  let refreshedAt = performance.now()
  const restingRefreshMs = Math.max(refreshMs, Math.min(10_000, idleMs))
  let lastQueryAt = performance.now()
  const resting = (): boolean => idleMs > 0 && performance.now() - lastQueryAt > idleMs
  const refresh = (): Promise<void> => {
    refreshing ??= (async () => {
      refreshedAt = performance.now()
      try {
        await reload()
      } finally {
        refreshing = undefined
      }
    })()
    return refreshing
  }
  const timer = setInterval(() => {
    if (stopped || (resting() && performance.now() - refreshedAt < restingRefreshMs)) return
    refresh().catch((err: unknown) => log.warn('refreshing table metadata failed; queries use the last loaded snapshot', { error: errorMessage(err) }))
  }, refreshMs)
  timer.unref()

  return {
    refresh,
    async queryArrives() {
      // The first query after a rest reads the lake as fresh as a busy engine's (one 304 when unchanged).
      const wasResting = resting()
      lastQueryAt = performance.now()
      if (wasResting && performance.now() - refreshedAt > refreshMs) {
        await refresh().catch((err: unknown) => log.warn('refreshing table metadata failed; the query uses the last loaded snapshot', { error: errorMessage(err) }))
      }
    },
    async stop() {
      stopped = true
      clearInterval(timer)
      // A refresh stuck on the catalog or the broker must not hold the close (it ends with the connections).
      if (refreshing) await settleWithin(refreshing, 15_000)
    },
  }
}
