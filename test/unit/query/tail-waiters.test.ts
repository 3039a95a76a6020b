import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ErrorCode } from '../../../lib/internal'
import { createFetchPacing, createSerialRunner, createTailWaiters } from '../../../lib/internal'

const offsets = (o: Record<number, bigint>): Map<number, bigint> => new Map(Object.entries(o).map(([p, v]) => [Number(p), v]))

describe('tail waiters: a query waits until the tail read up to its high-water marks', () => {
  beforeEach(() => void vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }))
  afterEach(() => void vi.useRealTimers())

  it('a mark already reached answers at once, without registering', async () => {
    const waiters = createTailWaiters(() => offsets({ 0: 10n, 1: 5n }))
    const onWait = vi.fn()
    await waiters.wait('t', offsets({ 0: 10n, 1: 5n }), 1000, onWait)
    expect(onWait).not.toHaveBeenCalled()
    expect(waiters.size).toBe(0)
  })

  it('goes once every partition reached its mark, not before; a partition not read yet counts from 0', async () => {
    const next = offsets({ 0: 10n })
    const waiters = createTailWaiters(() => next)
    const onWait = vi.fn()
    let done = false
    const waiting = waiters.wait('t', offsets({ 0: 10n, 1: 3n }), 1000, onWait).then(() => (done = true))
    expect(onWait).toHaveBeenCalledOnce()
    expect(waiters.size).toBe(1)
    next.set(1, 2n)
    waiters.wake()
    await Promise.resolve()
    expect(done).toBe(false)
    next.set(1, 3n)
    waiters.wake()
    await waiting
    expect(waiters.size).toBe(0)
  })

  it('times out retryable, naming the partitions behind and where they stand', async () => {
    const waiters = createTailWaiters(() => offsets({ 0: 10n, 1: 2n }))
    const waiting = waiters.wait('trades.v2', offsets({ 0: 10n, 1: 3n }), 500, () => undefined)
    const check = expect(waiting).rejects.toMatchObject({ code: ErrorCode.Timeout, retryable: true, message: expect.stringContaining('partition 1 at 2 of 3') })
    await vi.advanceTimersByTimeAsync(500)
    await check
    expect(waiters.size).toBe(0)
  })
})

describe('fetch pacing: fetches carry more records, a waiting query ends the pause', () => {
  beforeEach(() => void vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }))
  afterEach(() => void vi.useRealTimers())

  it('the first batch of a fetch waits out the interval; later batches of it do not', async () => {
    const pacing = createFetchPacing(1000)
    pacing.fetchStarted()
    await vi.advanceTimersByTimeAsync(200)
    pacing.fetchReturned()
    let first = false
    expect(pacing.holding).toBe(false)
    const batch = pacing.beforeBatch(() => true).then(() => (first = true))
    await vi.advanceTimersByTimeAsync(799)
    expect(first).toBe(false)
    // Records fetched and not taken: a query cannot read the tail as it stands (kafka-tail.ts readNow).
    expect(pacing.holding).toBe(true)
    await vi.advanceTimersByTimeAsync(1)
    await batch
    expect(pacing.holding).toBe(false)
    let second = false
    await pacing.beforeBatch(() => true).then(() => (second = true))
    expect(second).toBe(true)
  })

  it('does not pause when someone waits, and endPause ends a pause at once', async () => {
    const pacing = createFetchPacing(1000)
    pacing.fetchStarted()
    pacing.fetchReturned()
    await pacing.beforeBatch(() => false)
    pacing.fetchStarted()
    pacing.fetchReturned()
    let done = false
    const batch = pacing.beforeBatch(() => true).then(() => (done = true))
    await vi.advanceTimersByTimeAsync(10)
    expect(done).toBe(false)
    expect(pacing.holding).toBe(true)
    pacing.endPause()
    await batch
    expect(done).toBe(true)
    expect(pacing.holding).toBe(false)
  })
})

describe('serial runner: appends, flushes and trims of the tail never interleave', () => {
  it('runs one task at a time, in order, and a failure does not stop the next', async () => {
    const run = createSerialRunner()
    const log: string[] = []
    let release: () => void = () => undefined
    const a = run(() => new Promise<void>((r) => (release = r)).then(() => void log.push('a')))
    const b = run(() => Promise.reject(new Error('trim failed')))
    const c = run(() => void log.push('c'))
    await Promise.resolve()
    expect(log).toEqual([])
    release()
    await a
    await expect(b).rejects.toThrow('trim failed')
    await c
    expect(log).toEqual(['a', 'c'])
  })
})
