import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createRefreshLoop } from '../../../lib/internal'
import type { Logger } from '../../../lib/internal'

const quietLog = { warn: vi.fn(), info: vi.fn(), error: vi.fn(), debug: vi.fn(), child: () => quietLog } as unknown as Logger

describe('refresh loop: metadata follows the lake, less often while no query comes', () => {
  // performance.now() is the loop's clock: it moves with the fake timers.
  beforeEach(() => void vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] }))
  afterEach(() => void vi.useRealTimers())

  it('reloads every refreshMs while queries come, and not after it stops', async () => {
    const reload = vi.fn(async () => undefined)
    const loop = createRefreshLoop({ refreshMs: 1000, idleMs: 60_000, reload, log: quietLog })
    await vi.advanceTimersByTimeAsync(5_000)
    expect(reload).toHaveBeenCalledTimes(5)
    await loop.stop()
    await vi.advanceTimersByTimeAsync(5_000)
    expect(reload).toHaveBeenCalledTimes(5)
  })

  it('resting, reloads only every min(idleMs, 10 s); the next query reloads before it reads, and the loop is busy again', async () => {
    const reload = vi.fn(async () => undefined)
    const loop = createRefreshLoop({ refreshMs: 1000, idleMs: 5_000, reload, log: quietLog })
    await vi.advanceTimersByTimeAsync(5_000)
    expect(reload).toHaveBeenCalledTimes(5)
    await vi.advanceTimersByTimeAsync(4_500)
    expect(reload).toHaveBeenCalledTimes(5)
    await loop.queryArrives()
    expect(reload).toHaveBeenCalledTimes(6)
    await vi.advanceTimersByTimeAsync(2_000)
    expect(reload).toHaveBeenCalledTimes(8)
    await loop.stop()
  })

  it('with idleMs 0 it never rests', async () => {
    const reload = vi.fn(async () => undefined)
    const loop = createRefreshLoop({ refreshMs: 1000, idleMs: 0, reload, log: quietLog })
    await vi.advanceTimersByTimeAsync(120_000)
    expect(reload).toHaveBeenCalledTimes(120)
    await loop.stop()
  })

  it('a refresh already under way is joined, not doubled', async () => {
    let finish: () => void = () => undefined
    const reload = vi.fn(() => new Promise<void>((r) => (finish = r)))
    const loop = createRefreshLoop({ refreshMs: 60_000, idleMs: 0, reload, log: quietLog })
    const a = loop.refresh()
    const b = loop.refresh()
    expect(reload).toHaveBeenCalledTimes(1)
    finish()
    await Promise.all([a, b])
    await loop.stop()
  })

  it('a failed reload before a query is logged, and the query goes on with what is loaded', async () => {
    const warn = vi.fn()
    const log = { ...quietLog, warn } as unknown as Logger
    const loop = createRefreshLoop({ refreshMs: 1000, idleMs: 5_000, reload: () => Promise.reject(new Error('catalog down')), log })
    await vi.advanceTimersByTimeAsync(9_500)
    warn.mockClear()
    await expect(loop.queryArrives()).resolves.toBeUndefined()
    expect(warn).toHaveBeenCalledWith('refreshing table metadata failed; the query uses the last loaded snapshot', { error: 'catalog down' })
    await loop.stop()
  })
})
