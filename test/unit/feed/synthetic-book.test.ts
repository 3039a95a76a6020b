import { describe, expect, it } from 'vitest'
import type { MarketEvent, MarketQuote, MarketTrade } from '../../../lib/internal'
import { createSeededRandom, type SeededRandom } from '../../../lib/internal'
import { createSymbolState, moveBook, openBook, resumeSymbol, takeLiquidity, type SymbolState } from '../../../lib/internal'
import { buildInstruments } from '../../../lib/internal'
import { createTradeHistory } from '../../../lib/internal'

/** Units of 10^-8 in a decimal string with 8 fractional digits (exact). */
const units = (text: string): bigint => BigInt(text.replace('.', ''))

/** The symbol ranked `index` of the default listing (0: BTCUSDT), with a history that knows it. */
function symbol(index: number, rng: SeededRandom = createSeededRandom(1)) {
  const specs = buildInstruments(index + 1, rng)
  const spec = specs[index]!
  const state = createSymbolState(spec, spec, index, 160, 1, rng)
  const history = createTradeHistory({ capacityPerSymbol: 100_000, retainMs: 0 })
  history.register(spec.symbol, spec.priceDecimals, spec.qtyDecimals)
  return { state, history, rng }
}

const bidAsk = (s: SymbolState): [number, number] => [s.bid, s.ask]

describe('synthetic book', () => {
  it('opens one tick wide near the listing price, with sizes on both sides', () => {
    const { state, rng } = symbol(0)
    expect(state.ask - state.bid).toBe(1)
    expect(state.bid * state.tick).toBeGreaterThan(67_000 * 0.9 - 1)
    expect(state.bid * state.tick).toBeLessThan(67_000 * 1.1 + 1)
    const q = openBook(state, 0, 1_000, rng)
    expect(state.opened).toBe(true)
    expect(q).toMatchObject({ kind: 'quote', symbol: 'BTCUSDT', timeMicros: 1_000 })
    expect(units(q.askPrice) - units(q.bidPrice)).toBe(BigInt(Math.round(state.tick * 1e8)))
    expect(units(q.bidSize) > 0n && units(q.askSize) > 0n).toBe(true)
  })

  it('never crosses the book and keeps update ids rising, however the mid moves', () => {
    const { state, rng } = symbol(5)
    let lastUpdate = openBook(state, 0, 0, rng).updateId
    const mids = new Set<number>()
    for (let i = 1; i <= 5_000; i++) {
      const q = moveBook(state, i * 0.1, i * 100_000, i % 7 === 0, rng)
      expect(units(q.bidPrice) < units(q.askPrice), `${q.bidPrice} / ${q.askPrice}`).toBe(true)
      expect(q.updateId).toBeGreaterThan(lastUpdate)
      lastUpdate = q.updateId
      mids.add(state.bid + state.ask)
    }
    expect(mids.size).toBeGreaterThan(20) // it does move
  })

  it('fills a taker order at the touch: a buy at the ask, a sell (buyer is maker) at the bid, ids contiguous, then the new quote', () => {
    const { state, history, rng } = symbol(0)
    openBook(state, 0, 0, rng)
    let nextId = state.nextTradeId
    for (let n = 0; n < 500; n++) {
      const [bid, ask] = bidAsk(state)
      const out: MarketEvent[] = []
      takeLiquidity(state, n * 1_000, rng, history, out)
      const trades = out.filter((e): e is MarketTrade => e.kind === 'trade')
      const last = out[out.length - 1] as MarketQuote
      expect(trades.length).toBeGreaterThanOrEqual(1)
      expect(trades.length).toBeLessThanOrEqual(8)
      expect(last.kind).toBe('quote')
      for (const t of trades) {
        expect(Number(t.price) / state.tick).toBeCloseTo(t.buyerIsMaker ? bid : ask, 6)
        expect(t.tradeId).toBe(nextId++)
        expect(t.eventTimeMicros).toBeGreaterThanOrEqual(t.timeMicros)
      }
      expect(new Set(trades.map((t) => t.buyerIsMaker)).size).toBe(1) // one order: one side
    }
  })

  it('records every trade it emits in the history, as REST will serve it', () => {
    const { state, history, rng } = symbol(0)
    openBook(state, 0, 0, rng)
    const out: MarketEvent[] = []
    for (let n = 0; n < 50; n++) takeLiquidity(state, n * 1_000, rng, history, out)
    const trades = out.filter((e): e is MarketTrade => e.kind === 'trade')
    const rows = history.query('BTCUSDT', trades[0]!.tradeId, 1000)!
    expect(rows.map((r) => [r.id, r.price, r.qty, r.isBuyerMaker])).toEqual(trades.map((t) => [t.tradeId, t.price, t.quantity, t.buyerIsMaker]))
  })

  it('replaces a level a taker empties one or two ticks further out', () => {
    const { state, history, rng } = symbol(0)
    openBook(state, 0, 0, rng)
    let emptied = 0
    for (let n = 0; n < 5_000 && emptied < 20; n++) {
      const [bid, ask] = bidAsk(state)
      const out: MarketEvent[] = []
      takeLiquidity(state, n * 1_000, rng, history, out)
      const buy = !(out[0] as MarketTrade).buyerIsMaker
      const moved = buy ? state.ask - ask : bid - state.bid
      if (moved === 0) continue
      emptied++
      expect([1, 2]).toContain(moved)
      expect(buy ? state.askSize : state.bidSize).toBeGreaterThan(0)
    }
    expect(emptied).toBeGreaterThan(0)
  })

  it('continues from a resume point: trade ids after the last, update ids from the last, the book at the last price', () => {
    const { state } = symbol(0)
    resumeSymbol(state, { lastTradeId: 500, lastUpdateId: 9_000, lastPrice: '50000.12000000' })
    expect(state.nextTradeId).toBe(501)
    expect(state.updateId).toBe(9_000)
    expect([state.bid, state.ask]).toEqual([5_000_012, 5_000_013])
  })

  it.each([
    ['a negative trade id', { lastTradeId: -3 }],
    ['a fractional update id', { lastUpdateId: 1.5 }],
    ['a price that is not a number', { lastPrice: 'abc' }],
    ['a zero price', { lastPrice: '0' }],
  ])('ignores %s in a resume point', (_, point) => {
    const { state } = symbol(0)
    const before = { ...state }
    resumeSymbol(state, point)
    expect(state).toEqual(before)
  })
})
