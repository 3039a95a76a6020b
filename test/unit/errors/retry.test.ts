import { describe, expect, it } from 'vitest'
import { ErrorCode, WorkbenchError, backoffDelay, errorMessage, pollUntil, retry, settleWithin, sleep, type RetryPolicy } from '../../../lib/internal'

const fast: RetryPolicy = { attempts: 4, initialDelayMs: 1, maxDelayMs: 4, factor: 2, jitter: 0 }

describe('retry', () => {
  it('retries retryable errors until success', async () => {
    let calls = 0
    const value = await retry(async () => {
      calls++
      if (calls < 3) throw new WorkbenchError('SERVICE_UNAVAILABLE', 'down', true)
      return 'ok'
    }, fast)
    expect(value).toBe('ok')
    expect(calls).toBe(3)
  })

  it('does not retry an error whose retry flag is false', async () => {
    let calls = 0
    await expect(
      retry(async () => {
        calls++
        throw new WorkbenchError('CONFLICT', 'nope')
      }, fast),
    ).rejects.toThrow('nope')
    expect(calls).toBe(1)
  })

  it('gives up after the policy attempts with the last error', async () => {
    let calls = 0
    await expect(
      retry(async () => {
        calls++
        throw new WorkbenchError('SERVICE_UNAVAILABLE', `down ${calls}`, true)
      }, fast),
    ).rejects.toThrow('down 4')
    expect(calls).toBe(4)
  })

  it('stops waiting when the signal fires', async () => {
    const ac = new AbortController()
    const p = retry(async () => {
      throw new WorkbenchError('SERVICE_UNAVAILABLE', 'down', true)
    }, { ...fast, initialDelayMs: 10_000, maxDelayMs: 10_000 }, ac.signal)
    setTimeout(() => ac.abort(), 10)
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' })
  })
})

describe('backoffDelay', () => {
  it.each([
    [1, 0.5, 100],
    [2, 0.5, 200],
    [3, 0.5, 400],
    [10, 0.5, 1000],
    [1, 0, 80],
    [1, 0.999999, 120],
  ])('attempt %i with random %f waits %i ms', (attempt, random, expected) => {
    expect(backoffDelay({ attempts: 10, initialDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0.2 }, attempt, () => random)).toBe(expected)
  })
})

describe('errors', () => {
  it('carries its code and retry flag as data', () => {
    const e = new WorkbenchError('TIMEOUT', 'slow', true)
    expect([e.code, e.retryable, e.name]).toEqual(['TIMEOUT', true, 'WorkbenchError'])
    expect(new WorkbenchError('CONFLICT', 'x').retryable).toBe(false)
  })

  it('includes the cause in the user-facing message once', () => {
    expect(errorMessage(new WorkbenchError('TIMEOUT', 'catalog did not answer', true, { cause: new Error('ECONNREFUSED') }))).toBe('catalog did not answer: ECONNREFUSED')
    expect(errorMessage(new Error('a: b', { cause: new Error('b') }))).toBe('a: b')
  })

  it('sleep rejects at once on an aborted signal', async () => {
    await expect(sleep(1000, AbortSignal.abort())).rejects.toMatchObject({ code: 'ABORTED' })
  })
})

describe('settleWithin', () => {
  it('says whether the work settled in time, resolved or rejected, and does not wait for late work', async () => {
    expect(await settleWithin(Promise.resolve(1), 1000)).toBe(true)
    expect(await settleWithin(Promise.reject(new Error('x')), 1000)).toBe(true)
    const never = new Promise(() => undefined)
    expect(await settleWithin(never, 20)).toBe(false)
  })
})

describe('pollUntil', () => {
  it('returns the first value the check gives, counting throws as not yet', async () => {
    let calls = 0
    const v = await pollUntil(
      async () => {
        calls++
        if (calls === 1) throw new Error('not up yet')
        return calls >= 3 ? 'ready' : undefined
      },
      { timeoutMs: 5_000, what: 'the service', intervalMs: 1 },
    )
    expect(v).toBe('ready')
    expect(calls).toBe(3)
  })
  it('times out naming what it waited for and the last error, with a Timeout code', async () => {
    const err = await pollUntil(() => Promise.reject(new Error('connection refused')), { timeoutMs: 30, what: () => 'the broker', intervalMs: 5 }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: ErrorCode.Timeout, retryable: false })
    expect((err as Error).message).toMatch(/timed out after 30 ms waiting for the broker: connection refused/)
  })
  it('stops at once on a fatal error', async () => {
    let calls = 0
    const fatal = new Error('the worker exited')
    const err = await pollUntil(
      async () => {
        calls++
        throw fatal
      },
      { timeoutMs: 5_000, what: 'the worker', intervalMs: 1, isFatal: (e) => e === fatal },
    ).catch((e: unknown) => e)
    expect(err).toBe(fatal)
    expect(calls).toBe(1)
  })
})
