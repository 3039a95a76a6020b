/**
 * A worker's run, started again after a transient failure (a broker restart, a service away for
 * longer than the clients' retries) instead of exiting: each new run resumes from where the
 * system of record says it is (the ingest's checkpoint, the table's offsets), so it loses and
 * doubles nothing (D65, D69). Backoff 1 s doubling to 30 s; any other failure is thrown.
 */
import { backoffDelay, errorMessage, isTransientError, restartPolicy, sleep, type Logger } from '../lib/index'

/** The run's result, or undefined when the stop came while waiting to start it again. */
export async function runAgainOnTransient<T>(runOnce: () => Promise<T>, stop: AbortSignal, log: Pick<Logger, 'warn'>, resumesFrom: string): Promise<T | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runOnce()
    } catch (err) {
      if (stop.aborted || !isTransientError(err)) throw err
      const delayMs = backoffDelay(restartPolicy, Math.min(attempt, 6))
      log.warn(`the run ended on a transient failure; starting again from ${resumesFrom} in ${Math.round(delayMs / 1000)} s`, { attempt, error: errorMessage(err) })
      await sleep(delayMs, stop).catch(() => undefined)
      if (stop.aborted) return undefined
    }
  }
}
