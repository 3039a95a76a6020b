import { ErrorCode, WorkbenchError, errorMessage } from './workbench-error'

/** How often and how patiently to retry; tests pass a fast policy explicitly. */
export interface RetryPolicy {
  /** Attempts in total, the first included. */
  readonly attempts: number
  readonly initialDelayMs: number
  readonly maxDelayMs: number
  /** Multiplier between consecutive delays. */
  readonly factor: number
  /** 0..1: share of each delay that is randomised, so many clients do not retry in step. */
  readonly jitter: number
}

export const defaultRetryPolicy: RetryPolicy = {
  attempts: 6,
  initialDelayMs: 200,
  maxDelayMs: 10_000,
  factor: 2,
  jitter: 0.2,
}

/** Delay before attempt `attempt + 1` (attempt counts from 1), jittered with `random` in [0,1). */
/** Between whole runs of a worker's loop that an outage ended (the ingest's, its checkpoint read): 1 s doubling to 30 s. */
export const restartPolicy: RetryPolicy = { attempts: 0, initialDelayMs: 1000, maxDelayMs: 30_000, factor: 2, jitter: 0.2 }

export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** (attempt - 1))
  const spread = base * policy.jitter
  return Math.max(0, Math.round(base - spread + 2 * spread * random()))
}

/** Resolves after `ms`, or rejects with an ABORTED error when `signal` fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal))
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(abortError(signal))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Waits for `work` to settle, at most `ms`: true when it did (either way), false when time ran
 * out (it runs on; its outcome is ignored). For shutdown steps that must not hold a close up.
 */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)))
  try {
    return await Promise.race([work.then(() => true as const, () => true as const), late])
  } finally {
    clearTimeout(timer)
  }
}

/** How `pollUntil` waits: for how long, how often, and what it is waiting for (for the error). */
export interface PollOptions {
  readonly timeoutMs: number
  /** What is awaited, for the timeout's message; a function is called only then (it may quote logs). */
  readonly what: string | (() => string)
  /** Between checks (default 250 ms). */
  readonly intervalMs?: number
  /** An error for which waiting longer cannot help: thrown at once (default: none; every error counts as not yet). */
  readonly isFatal?: (err: unknown) => boolean
  readonly signal?: AbortSignal
}

/**
 * Polls `check` until it returns a value (anything but undefined). A check that throws counts as
 * not yet, unless `isFatal` says otherwise; after `timeoutMs` it fails with a Timeout error naming
 * what it waited for and the last error seen. For workers, benchmarks and tests that wait for a
 * condition, never for a fixed time.
 */
export async function pollUntil<T>(check: () => Promise<T | undefined>, o: PollOptions): Promise<T> {
  const deadline = Date.now() + o.timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined) return v
    } catch (err) {
      if (o.isFatal?.(err)) throw err
      last = err
    }
    if (Date.now() >= deadline) {
      const what = typeof o.what === 'function' ? o.what() : o.what
      throw new WorkbenchError(ErrorCode.Timeout, `timed out after ${o.timeoutMs} ms waiting for ${what}${last === undefined ? '' : `: ${errorMessage(last)}`}`, false, { cause: last })
    }
    await sleep(Math.min(o.intervalMs ?? 250, Math.max(0, deadline - Date.now())), o.signal)
  }
}

function abortError(signal?: AbortSignal): WorkbenchError {
  return new WorkbenchError(ErrorCode.Aborted, 'aborted', false, { cause: signal?.reason })
}

/**
 * Runs `fn` until it succeeds, it throws an error that is not retryable (a WorkbenchError with
 * `retryable === false`, or anything `isRetryable` rejects), the attempts run out, or `signal`
 * fires. `onRetry` sees each failure that will be retried (for a log line or a metric).
 */
export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy = defaultRetryPolicy,
  signal?: AbortSignal,
  options: {
    isRetryable?: (err: unknown) => boolean
    onRetry?: (err: unknown, attempt: number, delayMs: number) => void
  } = {},
): Promise<T> {
  const isRetryable = options.isRetryable ?? ((err: unknown) => err instanceof WorkbenchError && err.retryable)
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw abortError(signal)
    try {
      return await fn(attempt)
    } catch (err) {
      if (attempt >= policy.attempts || !isRetryable(err)) throw err
      const delay = backoffDelay(policy, attempt)
      options.onRetry?.(err, attempt, delay)
      await sleep(delay, signal)
    }
  }
}
