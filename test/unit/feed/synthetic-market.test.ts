import { describe, expect, it } from 'vitest'
import { isWorkbenchError } from '../../../lib/internal'
// lib/index.ts does not re-export feed/ yet; switch to '../../../lib' once it does.
import { createSyntheticMarket, type MarketEvent, type MarketQuote, type MarketTrade } from '../../../lib/internal'

const decimal8 = /^\d+\.\d{8}$/
/** A decimal string with 8 fractional digits as an integer count of 10^-8 (exact). */
const units = (text: string): bigint => BigInt(text.replace('.', ''))

function take(seed: number, n: number, options: { historyPerSymbol?: number } = {}): MarketEvent[] {
  const market = createSyntheticMarket({ seed, ...options })
  return Array.from({ length: n }, () => market.next())
}

describe('synthetic market', () => {
  // One long tape shared by the statistical checks (~0.3 s to generate).
  const tape = take(42, 200_000)
  const trades = tape.filter((e): e is MarketTrade => e.kind === 'trade')

  it('is deterministic: the same seed gives the same tape, another seed another', () => {
    expect(take(7, 20_000)).toEqual(take(7, 20_000))
    expect(take(8, 2_000)).not.toEqual(take(7, 2_000))
  })

  it('lists at least 150 plausible symbols, mostly quoted in USDT, some in BTC and FDUSD', () => {
    const { instruments } = createSyntheticMarket({ seed: 42 })
    expect(instruments.length).toBeGreaterThanOrEqual(150)
    expect(new Set(instruments.map((i) => i.symbol)).size).toBe(instruments.length)
    expect(instruments.slice(0, 3).map((i) => i.symbol)).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT'])
    for (const i of instruments) {
      expect(i.symbol).toMatch(/^[A-Z0-9]{5,14}$/)
      expect(i.symbol).toBe(i.baseAsset + i.quoteAsset)
      expect(i.priceDecimals + i.qtyDecimals).toBeLessThanOrEqual(8)
    }
    const quotes = instruments.map((i) => i.quoteAsset)
    expect(quotes.filter((q) => q === 'USDT').length / quotes.length).toBeGreaterThan(0.7)
    expect(quotes).toContain('BTC')
    expect(quotes).toContain('FDUSD')
  })

  it('plays the whole spot exchange: 1,500 symbols with Zipf activity, at Binance\'s mix of about one trade to ten quote updates', () => {
    const market = createSyntheticMarket({ seed: 5, symbols: 1500, takerShare: 0.06 })
    expect(new Set(market.instruments.map((i) => i.symbol)).size).toBe(1500)
    const events = Array.from({ length: 200_000 }, () => market.next())
    const n = events.filter((e) => e.kind === 'trade').length
    const ratio = (events.length - n) / n
    expect(ratio).toBeGreaterThan(7)
    expect(ratio).toBeLessThan(14)
    // The default mix stays about one to one (and the default tape as it was).
    const defaults = take(42, 20_000)
    const m = defaults.filter((e) => e.kind === 'trade').length
    expect((defaults.length - m) / m).toBeLessThan(1.5)
  })

  it('without its stress regime plays the same tape until the first stress, and fewer events after it', () => {
    const horizonMicros = 4 * 3600 * 1e6
    const tapeOf = (stress: boolean): MarketEvent[] => {
      const market = createSyntheticMarket({ seed: 3, symbols: 10, actionsPerSecond: 5, startTimeMs: 0, stress })
      const events: MarketEvent[] = []
      for (let e = market.next(); e.timeMicros < horizonMicros; e = market.next()) events.push(e)
      return events
    }
    const stressed = tapeOf(true)
    const calm = tapeOf(false)
    let same = 0
    while (same < calm.length && JSON.stringify(calm[same]) === JSON.stringify(stressed[same])) same++
    // Four hours of market time hold several stress spells (one every ~1,800 s, ~120 s at 2.5× the rate).
    expect(same).toBeGreaterThan(1000)
    expect(same).toBeLessThan(calm.length)
    expect(stressed.length / calm.length).toBeGreaterThan(1.03)
  })

  it('concentrates activity: the top 20 symbols carry most trades, yet every symbol trades', () => {
    const perSymbol = new Map<string, number>()
    for (const t of trades) perSymbol.set(t.symbol, (perSymbol.get(t.symbol) ?? 0) + 1)
    const counts = [...perSymbol.values()].sort((a, b) => b - a)
    const top20 = counts.slice(0, 20).reduce((a, b) => a + b, 0) / trades.length
    expect(top20).toBeGreaterThan(0.65)
    expect(perSymbol.size).toBeGreaterThanOrEqual(150)
    expect(counts[0]! / counts[counts.length - 1]!).toBeGreaterThan(100)
  })

  it('arrives in bursts: trade counts per 100 ms are over-dispersed against a Poisson process', () => {
    const btc = trades.filter((t) => t.symbol === 'BTCUSDT')
    const start = btc[0]!.timeMicros
    const buckets = new Map<number, number>()
    for (const t of btc) {
      const b = Math.floor((t.timeMicros - start) / 100_000)
      buckets.set(b, (buckets.get(b) ?? 0) + 1)
    }
    const n = Math.floor((btc[btc.length - 1]!.timeMicros - start) / 100_000) + 1
    const counts = Array.from({ length: n }, (_, i) => buckets.get(i) ?? 0)
    const mean = counts.reduce((a, b) => a + b, 0) / n
    const variance = counts.reduce((a, c) => a + (c - mean) ** 2, 0) / n
    // Poisson: variance/mean = 1. Self-excitation, multi-fill orders and regimes push it well above.
    expect(variance / mean).toBeGreaterThan(2)
  })

  // The per-event checks collect offenders and assert once: expect() per event is slow.
  it('emits events in time order, with event times at or after trade times', () => {
    const bad: string[] = []
    const lastE = new Map<string, number>()
    for (let i = 1; i < tape.length; i++) if (tape[i]!.timeMicros < tape[i - 1]!.timeMicros) bad.push(`event ${i} goes back in time`)
    for (const t of trades) {
      if (t.eventTimeMicros < t.timeMicros) bad.push(`${t.symbol} ${t.tradeId}: E before T`)
      if (t.eventTimeMicros < (lastE.get(t.symbol) ?? 0)) bad.push(`${t.symbol} ${t.tradeId}: E goes back`)
      lastE.set(t.symbol, t.eventTimeMicros)
    }
    expect(bad).toEqual([])
  })

  it('numbers trades contiguously per symbol and book updates strictly increasing', () => {
    const bad: string[] = []
    const lastTrade = new Map<string, number>()
    const lastUpdate = new Map<string, number>()
    for (const e of tape) {
      if (e.kind === 'trade') {
        const prev = lastTrade.get(e.symbol)
        if (prev !== undefined && e.tradeId !== prev + 1) bad.push(`${e.symbol}: trade ${e.tradeId} after ${prev}`)
        lastTrade.set(e.symbol, e.tradeId)
      } else {
        if (e.updateId <= (lastUpdate.get(e.symbol) ?? 0)) bad.push(`${e.symbol}: update ${e.updateId} not above ${lastUpdate.get(e.symbol)}`)
        lastUpdate.set(e.symbol, e.updateId)
      }
    }
    expect(bad).toEqual([])
    // Each symbol starts from its own base.
    expect(new Set(lastTrade.values()).size).toBe(lastTrade.size)
  })

  it('trades at the prevailing quote: a taker buy at the ask, a taker sell (buyer is maker) at the bid', () => {
    const bad: string[] = []
    const book = new Map<string, MarketQuote>()
    for (const e of tape) {
      if (e.kind === 'quote') {
        if (units(e.bidPrice) >= units(e.askPrice)) bad.push(`${e.symbol} ${e.updateId}: crossed ${e.bidPrice} / ${e.askPrice}`)
        book.set(e.symbol, e)
        continue
      }
      const q = book.get(e.symbol)
      const expected = q && (e.buyerIsMaker ? q.bidPrice : q.askPrice)
      if (e.price !== expected) bad.push(`${e.symbol} ${e.tradeId} at ${e.price}, buyer maker ${e.buyerIsMaker}, book ${q?.bidPrice} / ${q?.askPrice}`)
    }
    expect(bad).toEqual([])
    expect(trades.some((t) => t.buyerIsMaker) && trades.some((t) => !t.buyerIsMaker)).toBe(true)
  })

  it('writes prices and sizes as positive decimals with 8 fractional digits, at realistic levels', () => {
    const bad: string[] = []
    for (const e of tape) {
      const fields = e.kind === 'trade' ? [e.price, e.quantity] : [e.bidPrice, e.bidSize, e.askPrice, e.askSize]
      for (const f of fields) if (!decimal8.test(f) || units(f) <= 0n) bad.push(`${e.symbol}: ${f}`)
    }
    expect(bad).toEqual([])
    const lastPrice = new Map(trades.map((t) => [t.symbol, Number(t.price)]))
    expect(lastPrice.get('BTCUSDT')).toBeGreaterThan(30_000)
    expect(lastPrice.get('BTCUSDT')).toBeLessThan(150_000)
    expect(lastPrice.get('PEPEUSDT')).toBeLessThan(0.001)
    expect(lastPrice.get('ETHBTC')).toBeLessThan(1)
  })

  it('answers history from a bounded ring per symbol, rows matching the trades it emitted', () => {
    const market = createSyntheticMarket({ seed: 3, historyPerSymbol: 100, historyRetainMs: 0 })
    const emitted = new Map<number, MarketTrade>()
    for (let i = 0; i < 30_000; i++) {
      const e = market.next()
      if (e.kind === 'trade' && e.symbol === 'BTCUSDT') emitted.set(e.tradeId, e)
    }
    const ids = [...emitted.keys()]
    expect(ids.length).toBeGreaterThan(300)
    const last = ids[ids.length - 1]!

    const recent = market.history('BTCUSDT', undefined, 1000)!
    expect(recent).toHaveLength(100) // bounded: only the last 100 kept
    expect(recent.map((r) => r.id)).toEqual(Array.from({ length: 100 }, (_, i) => last - 99 + i))
    for (const r of recent) {
      const t = emitted.get(r.id)!
      expect(r).toEqual({ id: t.tradeId, price: t.price, qty: t.quantity, quoteQty: r.quoteQty, time: Math.floor(t.timeMicros / 1000), isBuyerMaker: t.buyerIsMaker, isBestMatch: true })
      // quoteQty = price × qty exactly (tick and lot decimals add up to at most 8).
      expect(units(r.quoteQty)).toBe((units(r.price) * units(r.qty)) / 100_000_000n)
    }
    expect(market.history('BTCUSDT', last - 10, 3)!.map((r) => r.id)).toEqual([last - 10, last - 9, last - 8])
    expect(market.history('BTCUSDT', ids[0], 2)!.map((r) => r.id)).toEqual([last - 99, last - 98]) // forgotten: from the oldest kept
    expect(market.history('BTCUSDT', last + 1, 10)).toEqual([])
    expect(market.history('NOPEUSDT')).toBeUndefined()
  })

  it('refuses impossible options with CONFIG_INVALID', () => {
    expect(() => createSyntheticMarket({ seed: 1, symbols: 0 })).toThrow(/symbols=0/)
    try {
      createSyntheticMarket({ seed: 1, actionsPerSecond: -1 })
      expect.unreachable()
    } catch (err) {
      expect(isWorkbenchError(err, 'CONFIG_INVALID')).toBe(true)
    }
  })

  it('resumes from a resume point: ids continue after the last ones played, the book reopens at the last price', () => {
    const first = take(42, 30_000)
    const lastOf = new Map<string, { lastTradeId?: number; lastUpdateId?: number; lastPrice?: string }>()
    for (const e of first) {
      const p = lastOf.get(e.symbol) ?? {}
      if (e.kind === 'trade') Object.assign(p, { lastTradeId: e.tradeId, lastPrice: e.price })
      else p.lastUpdateId = e.updateId
      lastOf.set(e.symbol, p)
    }
    const resumed = createSyntheticMarket({ seed: 42, resume: Object.fromEntries(lastOf) })
    const next = Array.from({ length: 30_000 }, () => resumed.next())
    const firstTrade = new Map<string, MarketTrade>()
    const firstQuote = new Map<string, MarketQuote>()
    for (const e of next) {
      if (e.kind === 'trade' && !firstTrade.has(e.symbol)) firstTrade.set(e.symbol, e)
      if (e.kind === 'quote' && !firstQuote.has(e.symbol)) firstQuote.set(e.symbol, e)
    }
    const btc = lastOf.get('BTCUSDT')!
    expect(firstTrade.get('BTCUSDT')!.tradeId).toBe(btc.lastTradeId! + 1)
    expect(firstQuote.get('BTCUSDT')!.updateId).toBeGreaterThan(btc.lastUpdateId!)
    // The opening quote sits at the last trade price, one tick wide.
    expect(firstQuote.get('BTCUSDT')!.bidPrice).toBe(btc.lastPrice)
    for (const [symbol, t] of firstTrade) {
      const p = lastOf.get(symbol)
      if (p?.lastTradeId !== undefined) expect(t.tradeId, symbol).toBe(p.lastTradeId + 1)
    }
    // Without a resume point the market is the seeded one, number for number.
    expect(take(42, 5_000)).toEqual(first.slice(0, 5_000))
  })

  it('ignores resume entries for symbols it does not list, and malformed values', () => {
    const plain = take(5, 3_000)
    const market = createSyntheticMarket({ seed: 5, resume: { NOPEUSDT: { lastTradeId: 7 }, BTCUSDT: { lastTradeId: -3, lastPrice: 'abc' } } })
    expect(Array.from({ length: 3_000 }, () => market.next())).toEqual(plain)
  })
})
