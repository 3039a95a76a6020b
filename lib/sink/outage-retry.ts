import { backoffDelay, errorMessage, isTransientError, sleep, type RetryPolicy } from '../errors/index'
import type { Logger } from '../logger/index'

/** How the sink waits out an outage: forever (until stopped), backing off to 5 s between attempts. */
export const outagePolicy: RetryPolicy = { attempts: 0, initialDelayMs: 200, maxDelayMs: 5_000, factor: 2, jitter: 0.3 }

/** One operation's outage: counted once while it lasts, however often `begin` is called. */
export interface Outage {
  begin(): void
  end(): void
}

/**
 * Operations retrying after a failure (an outage of the catalog, the object store or the
 * schema registry). While any is, the sink publishes no progress: it reads as stopped, and
 * shedding does not help a stopped sink (D37). A commit that is slow but working is not one.
 */
export interface OutageRetry {
  /** Runs `fn` until it succeeds, retrying transient errors with backoff until `until` (default: the sink's stop signal) fires. */
  untilDone<T>(what: string, fn: () => Promise<T>, until?: AbortSignal): Promise<T>
  /** An outage to mark by hand (a commit, which retries inside `appendFiles`). */
  outage(): Outage
  /** Operations in an outage now. */
  readonly failing: number
}

export function createOutageRetry(log: Logger, signal: AbortSignal, policy: RetryPolicy = outagePolicy): OutageRetry {
  let failing = 0
  const outage = (): Outage => {
    let on = false
    return {
      begin() {
        if (!on) failing++
        on = true
      },
      end() {
        if (on) failing--
        on = false
      },
    }
  }
  const untilDone = async <T>(what: string, fn: () => Promise<T>, until: AbortSignal = signal): Promise<T> => {
    const failed = outage()
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await fn()
        } catch (err) {
          if (until.aborted || !isTransientError(err)) throw err
          failed.begin()
          if (attempt === 1 || attempt % 10 === 0) log.warn(`${what} failed, retrying until it succeeds: ${errorMessage(err)}`, { attempt })
          await sleep(backoffDelay(policy, Math.min(attempt, 10)), until)
        }
      }
    } finally {
      failed.end()
    }
  }
  return {
    untilDone,
    outage,
    get failing() {
      return failing
    },
  }
}
