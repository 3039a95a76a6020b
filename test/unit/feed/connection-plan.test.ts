import { describe, expect, it } from 'vitest'
import { binanceMaxStreamsPerConnection, planConnections } from '../../../lib/internal'

const streamsOf = (n: number): string[] => Array.from({ length: n }, (_, i) => [`sym${i}usdt@trade`, `sym${i}usdt@bookTicker`]).flat()

describe('spreading streams over WebSocket connections', () => {
  it('keeps a small feed on one connection', () => {
    expect(planConnections(streamsOf(80))).toEqual([streamsOf(80)])
  })

  it('splits the whole spot exchange (1,500 symbols × 2 streams) so no connection passes 1,024 streams or the URL limit, losing none', () => {
    const all = streamsOf(1500)
    const groups = planConnections(all)
    expect(groups.length).toBeGreaterThan(2)
    for (const g of groups) {
      expect(g.length).toBeLessThanOrEqual(binanceMaxStreamsPerConnection)
      expect(g.join('/').length).toBeLessThanOrEqual(8_000)
    }
    expect(groups.flat()).toEqual(all)
  })

  it('keeps a symbol\'s trade and quote streams on the same connection', () => {
    for (const g of planConnections(streamsOf(1500), { maxStreams: 7 })) {
      expect(g.length % 2).toBe(0)
      for (let i = 0; i < g.length; i += 2) expect(g[i]!.split('@')[0]).toBe(g[i + 1]!.split('@')[0])
    }
  })

  it('fills each connection up to the stream limit when names are short', () => {
    const groups = planConnections(streamsOf(1500), { maxUrlChars: 1_000_000 })
    expect(groups.map((g) => g.length)).toEqual([1024, 1024, 952])
  })

  it('refuses a symbol whose streams no connection can carry', () => {
    expect(() => planConnections(['a@trade', 'a@bookTicker', 'a@depth'], { maxStreams: 2 })).toThrow(/a: 3 streams/)
  })
})
