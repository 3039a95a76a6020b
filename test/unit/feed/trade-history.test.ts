import { describe, expect, it } from 'vitest'
import { createTradeHistory } from '../../../lib/internal'

/** A history with a hand-driven clock and one symbol, BTCUSDT (2 price and 5 quantity decimals). */
function history(options: { capacityPerSymbol: number; retainMs?: number; maxPerSymbol?: number }) {
  let now = 0
  const h = createTradeHistory({ ...options, now: () => now })
  h.register('BTCUSDT', 2, 5)
  let id = 0
  const add = (n: number): void => {
    for (let i = 0; i < n; i++) h.add('BTCUSDT', ++id, 6_500_000, 100, id * 1000, i % 2 === 0)
  }
  return { h, add, advance: (ms: number) => (now += ms) }
}

describe('trade history', () => {
  it('keeps only the newest trades per symbol when told to keep a count', () => {
    const { h, add } = history({ capacityPerSymbol: 4, retainMs: 0 })
    add(10)
    expect(h.range('BTCUSDT')).toEqual({ first: 7, last: 10 })
    expect(h.query('BTCUSDT', 1, 1000)!.map((r) => r.id)).toEqual([7, 8, 9, 10])
  })

  it('keeps every trade of the retention window beyond the count, so a client reconnecting after a backoff can repair a busy symbol', () => {
    const { h, add, advance } = history({ capacityPerSymbol: 4, retainMs: 1000 })
    add(10) // all within one second: none may go
    expect(h.range('BTCUSDT')).toEqual({ first: 1, last: 10 })
    advance(2000)
    add(6) // fills the grown ring (16)
    expect(h.range('BTCUSDT')).toEqual({ first: 1, last: 16 })
    add(1) // the oldest is now 2 s old: it makes room
    expect(h.range('BTCUSDT')).toEqual({ first: 2, last: 17 })
    expect(h.query('BTCUSDT', 5, 3)!.map((r) => r.id)).toEqual([5, 6, 7])
  })

  it('stops growing at the ceiling however recent the trades are', () => {
    const { h, add } = history({ capacityPerSymbol: 2, retainMs: 60_000, maxPerSymbol: 8 })
    add(20)
    expect(h.range('BTCUSDT')).toEqual({ first: 13, last: 20 })
    expect(h.size()).toBe(8)
  })
})
