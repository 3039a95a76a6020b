import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../../lib/internal'
import type { BinanceWsSource, BinanceWsSourceEvents, BinanceWsSourceOptions } from '../../../lib/internal'
import { createGroupedWsSource } from '../../../lib/internal'

/** A stand-in single-connection source: records what it was asked to carry, and lets the test fire its events. */
function fakes(): { made: Array<{ options: BinanceWsSourceOptions; events: BinanceWsSourceEvents; started: boolean; closed: boolean }>; create: (o: BinanceWsSourceOptions, e: BinanceWsSourceEvents) => BinanceWsSource } {
  const made: Array<{ options: BinanceWsSourceOptions; events: BinanceWsSourceEvents; started: boolean; closed: boolean }> = []
  return {
    made,
    create: (options, events) => {
      const m = { options, events, started: false, closed: false }
      made.push(m)
      return {
        start: async () => void (m.started = true),
        close: async () => void (m.closed = true),
        pause: () => undefined,
        resume: () => undefined,
        stats: () => ({ connections: 1, open: 1, frames: options.streams.length }),
      }
    },
  }
}

const streams = Array.from({ length: 1500 }, (_, i) => [`s${i}usdt@trade`, `s${i}usdt@bookTicker`]).flat()
const base = { wsUrl: 'ws://127.0.0.1:1', timeUnit: 'us' as const, maxConnectionMs: 60_000 }

describe('a feed over several connections', () => {
  it('opens one connection per group of streams, every stream on exactly one', async () => {
    const f = fakes()
    const source = createGroupedWsSource({ ...base, streams }, { onFrame: () => undefined }, { logger: silentLogger }, f.create)
    expect(source.groups).toBe(f.made.length)
    expect(f.made.length).toBeGreaterThan(1)
    expect(f.made.flatMap((m) => m.options.streams)).toEqual(streams)
    await source.start()
    expect(f.made.every((m) => m.started)).toBe(true)
    expect(source.stats()).toEqual({ connections: f.made.length, open: f.made.length, frames: streams.length })
    await source.close()
    expect(f.made.every((m) => m.closed)).toBe(true)
  })

  it('says which connection group an event came from, and passes frames through', () => {
    const f = fakes()
    const seen: string[] = []
    createGroupedWsSource(
      { ...base, streams },
      { onFrame: (frame) => seen.push(`frame ${frame}`), onConnected: (g, reason) => seen.push(`up ${g} ${reason}`), onDisconnected: (g, cause) => seen.push(`down ${g} ${cause}`) },
      { logger: silentLogger },
      f.create,
    )
    f.made[1]!.events.onConnected!(7, 'start')
    f.made[2]!.events.onDisconnected!(3, 'error', 'ECONNRESET')
    f.made[0]!.events.onFrame('{}', 1n)
    expect(seen).toEqual(['up 1 start', 'down 2 error', 'frame {}'])
  })

  it('keeps a small feed on the one connection it always had', () => {
    const f = fakes()
    expect(createGroupedWsSource({ ...base, streams: streams.slice(0, 200) }, { onFrame: () => undefined }, { logger: silentLogger }, f.create).groups).toBe(1)
  })
})
