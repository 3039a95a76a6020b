/**
 * When a worker stops: SIGTERM or SIGINT (the stack manager, Ctrl-C), or, for a worker a notebook
 * kernel started (K2_STOP_WITH_PID), once that kernel is gone — however it died, even by SIGKILL,
 * so a closed notebook leaves no worker behind. Either way the worker stops cleanly.
 */
import { ErrorCode, isWorkbenchError, type Logger, type WorkbenchConfig } from '../lib/index'

const parentPollMs = 1000
const repeatMs = 2000

/**
 * An AbortSignal that fires on the worker's stop condition; its reason names it, and the worker's
 * log says which it was (a worker that stopped "cleanly" with no one knowing why cost a day).
 */
export function workerStopSignal(config: WorkbenchConfig, log: Pick<Logger, 'info'>): AbortSignal {
  const stop = new AbortController()
  stop.signal.addEventListener('abort', () => log.info('stop requested', { reason: String(stop.signal.reason) }), { once: true })
  let firstAt: number | undefined
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      // One Ctrl-C arrives more than once (from the terminal and forwarded by npm and the
      // bootstrap): a repeat within 2 s is the same stop. A later one means "now".
      if (firstAt === undefined) {
        firstAt = Date.now()
        stop.abort(signal)
      } else if (Date.now() - firstAt > repeatMs) {
        process.stderr.write(`${signal} again: exiting without finishing the clean stop\n`)
        process.exit(130)
      }
    })
  }
  const pid = config.worker.stopWithPid
  if (pid !== undefined) {
    log.info(`this worker stops when process ${pid} exits (K2_STOP_WITH_PID: the notebook kernel that started it)`)
    const timer = setInterval(() => {
      if (!alive(pid)) stop.abort(`process ${pid} that started this worker has exited`)
    }, parentPollMs)
    timer.unref()
    stop.signal.addEventListener('abort', () => clearInterval(timer), { once: true })
  }
  return stop.signal
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * A signal that fires `graceMs` after `stop` does: for the clients a stopping worker still needs
 * (the catalog, the schema registry), so that a commit in flight when the stop came, or the
 * sink's final flush, can finish. Giving them `stop` itself cut every such request off at once.
 */
export function afterGrace(stop: AbortSignal, graceMs: number): AbortSignal {
  const grace = new AbortController()
  const start = (): void => void setTimeout(() => grace.abort(`${String(stop.reason)}, and its ${graceMs} ms grace is over`), graceMs).unref()
  if (stop.aborted) start()
  else stop.addEventListener('abort', start, { once: true })
  return grace.signal
}

/** Resolves when the signal fires. */
export const stopped = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })))

/**
 * Whether `err` is only the stop itself cutting a wait short: the stop signal has fired and what
 * failed was an `ABORTED` wait (a retry loop, a registry call). For a worker whose every write is
 * transactional or idempotent (the ingest, the API), a SIGTERM that arrives while it still starts
 * is then a clean stop (exit 0), not a failure: the stack manager, a test or a user may stop a
 * worker that has just started. Not for the sink: there an abort can be a commit its grace cut off.
 */
export function stoppedWhileStarting(err: unknown, stop: AbortSignal): boolean {
  if (!stop.aborted) return false
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (isWorkbenchError(e, ErrorCode.Aborted)) return true
  return false
}
