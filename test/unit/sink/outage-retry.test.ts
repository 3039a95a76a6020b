import { describe, expect, it } from 'vitest'
import { ErrorCode, WorkbenchError, type RetryPolicy } from '../../../lib/internal'
import { silentLogger } from '../../../lib/internal'
import { createOutageRetry } from '../../../lib/internal'

const fast: RetryPolicy = { attempts: 0, initialDelayMs: 1, maxDelayMs: 2, factor: 2, jitter: 0 }
const down = (): WorkbenchError => new WorkbenchError(ErrorCode.ServiceUnavailable, 'catalog down', true)

describe('outage retry', () => {
  it('retries an outage until the operation succeeds, counting it as failing only meanwhile', async () => {
    const retry = createOutageRetry(silentLogger, new AbortController().signal, fast)
    const failingSeen: number[] = []
    let calls = 0
    const value = await retry.untilDone('loading the table', async () => {
      failingSeen.push(retry.failing)
      if (++calls < 4) throw down()
      return 'loaded'
    })
    expect(value).toBe('loaded')
    expect(failingSeen).toEqual([0, 1, 1, 1])
    expect(retry.failing).toBe(0)
  })

  it('fails at once on an error that is not an outage', async () => {
    const retry = createOutageRetry(silentLogger, new AbortController().signal, fast)
    let calls = 0
    const bad = new WorkbenchError(ErrorCode.RecordInvalid, 'bad record')
    await expect(
      retry.untilDone('decoding', async () => {
        calls++
        throw bad
      }),
    ).rejects.toBe(bad)
    expect(calls).toBe(1)
    expect(retry.failing).toBe(0)
  })

  it('gives up when its signal fires, and counts an outage once however long it lasts', async () => {
    const stop = new AbortController()
    const retry = createOutageRetry(silentLogger, stop.signal, fast)
    const outage = retry.outage()
    outage.begin()
    outage.begin()
    expect(retry.failing).toBe(1)
    const done = retry.untilDone('uploading', async () => {
      if (retry.failing === 2) stop.abort()
      throw down()
    })
    await expect(done).rejects.toThrow()
    expect(retry.failing).toBe(1)
    outage.end()
    outage.end()
    expect(retry.failing).toBe(0)
  })
})
