import { describe, expect, it } from 'vitest'
import { isWorkbenchError } from '../../../lib/internal'
import { malformedKinds } from '../../../lib/internal'
import { replaySettings, type ReplayExchangeOptions } from '../../../lib/internal'

describe('replay exchange options', () => {
  it("defaults to Binance's connection rules: pings every 20 s, a minute to pong, 24 h connections, 1024 streams", () => {
    const s = replaySettings({})
    expect(s).toMatchObject({ pingIntervalMs: 20_000, pongTimeoutMs: 60_000, maxConnectionMs: 24 * 3_600_000, maxStreams: 1024 })
    expect(s).toMatchObject({ host: '127.0.0.1', port: 0, rate: 1, faults: {} })
    expect(s.malformedKinds).toEqual(malformedKinds)
  })

  it('keeps what it is given, down to a zero grace period (the harshest serverShutdown)', () => {
    const s = replaySettings({ rate: 'max', serverShutdownGraceMs: 0, oversizeFrameBytes: 4096, maxStreamsPerConnection: 3, faults: { malformedKinds: ['oversize'] } })
    expect(s).toMatchObject({ rate: 'max', shutdownGraceMs: 0, oversizeBytes: 4096, maxStreams: 3, malformedKinds: ['oversize'] })
  })

  it('refuses bad options with one CONFIG_INVALID that lists every problem by its option name', () => {
    const bad = { rate: 0, pongTimeoutMs: -5, oversizeFrameBytes: Number.NaN, serverShutdownGraceMs: -1, faults: { omit: 2 } } satisfies ReplayExchangeOptions
    let caught: unknown
    try {
      replaySettings(bad)
    } catch (err) {
      caught = err
    }
    expect(isWorkbenchError(caught, 'CONFIG_INVALID')).toBe(true)
    const lines = (caught as Error).message.split('\n')
    expect(lines[0]).toBe('replay exchange options are invalid:')
    expect(lines.slice(1).map((l) => l.replace(/^ {2}- /, '').split('=')[0])).toEqual(['rate', 'pongTimeoutMs', 'oversizeFrameBytes', 'serverShutdownGraceMs', 'faults.omit'])
  })
})
