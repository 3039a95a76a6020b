/**
 * The top of a synthetic symbol's book and what moves it: a heavy-tailed random walk of the mid,
 * or a taker order that fills against the touch in one or more trades. Prices and sizes stay
 * integer ticks and lots until they are formatted, so every decimal the market emits is exact.
 * Pure: the caller owns the state, the random source and the trade history.
 */
import { formatDecimal8 } from './binance-frames'
import type { Instrument, MarketEvent, MarketQuote, SymbolResumePoint } from './market-events'
import type { SeededRandom } from './seeded-random'
import { firstBurstAt, regimeVolatility, type ArrivalState } from './synthetic-arrivals'
import { btcUsd, type InstrumentSpec } from './synthetic-instruments'
import type { TradeHistory } from './trade-history'

/** One symbol of the synthetic market: its arrival state and its book, in ticks and lots. */
export interface SymbolState extends ArrivalState {
  readonly inst: Instrument
  readonly index: number
  /** Relative volatility per √second in the calm regime. */
  readonly sigma: number
  /** Median taker order size in the quote asset. */
  readonly medianNotional: number
  /** Chance that a book move leaves a spread wider than one tick. */
  readonly wideSpread: number
  readonly tick: number
  readonly lot: number
  bid: number
  ask: number
  bidSize: number
  askSize: number
  updateId: number
  nextTradeId: number
  lastMoveAt: number
  lastEventTimeMicros: number
  opened: boolean
}

/**
 * The state of the symbol ranked `index` of `count`, its book one tick wide near the listing's
 * price; `mu` is its base rate of actions per second. The top 20 are calmer and trade bigger.
 */
export function createSymbolState(spec: InstrumentSpec, inst: Instrument, index: number, count: number, mu: number, rng: SeededRandom): SymbolState {
  const tick = 10 ** -spec.priceDecimals
  const lot = 10 ** -spec.qtyDecimals
  const bid = Math.max(1, Math.round((spec.price * (0.9 + 0.2 * rng.float())) / tick))
  const state: SymbolState = {
    inst,
    index,
    mu,
    sigma: (index < 20 ? 1e-4 : 2e-4) * (0.7 + 0.6 * rng.float()),
    medianNotional: (spec.quoteAsset === 'BTC' ? 150 / btcUsd : 150) * (index < 20 ? 2 : 1) * (0.5 + rng.float()),
    wideSpread: Math.min(0.6, 0.05 + index / count / 2),
    tick,
    lot,
    bid,
    ask: bid + 1,
    bidSize: 0,
    askSize: 0,
    updateId: Math.floor(1e8 + rng.float() * 5e10),
    nextTradeId: Math.floor(1e6 + rng.float() * 4e9),
    excitation: 0,
    excitationAt: 0,
    burst: false,
    regimeEnd: firstBurstAt(rng),
    lastMoveAt: 0,
    lastEventTimeMicros: 0,
    opened: false,
  }
  state.bidSize = levelSize(state, rng)
  state.askSize = levelSize(state, rng)
  return state
}

/**
 * Continues a symbol from where an earlier run stopped: trade ids after the last one, update ids
 * from the last one, the book at the last price. Values that are not whole ids or a positive
 * price are ignored, so a damaged resume file costs the continuity, not the run.
 */
export function resumeSymbol(s: SymbolState, point: SymbolResumePoint): void {
  if (point.lastTradeId !== undefined && Number.isSafeInteger(point.lastTradeId) && point.lastTradeId >= 0) s.nextTradeId = point.lastTradeId + 1
  if (point.lastUpdateId !== undefined && Number.isSafeInteger(point.lastUpdateId) && point.lastUpdateId >= 0) s.updateId = point.lastUpdateId
  const ticks = point.lastPrice === undefined ? NaN : Math.round(Number(point.lastPrice) / s.tick)
  if (Number.isSafeInteger(ticks) && ticks >= 1) {
    s.bid = ticks
    s.ask = ticks + 1
  }
}

/** A fresh size for a price level, in lots: about twelve median orders, log-normally spread. */
export function levelSize(s: SymbolState, rng: SeededRandom): number {
  const notional = s.medianNotional * 12 * Math.exp(rng.normal())
  return Math.max(1, Math.round(notional / (s.bid * s.tick) / s.lot))
}

/** The book's opening quote: every later trade of the symbol then follows a quote of it. */
export function openBook(s: SymbolState, t: number, micros: number, rng: SeededRandom): MarketQuote {
  s.opened = true
  s.lastMoveAt = t
  return quote(s, micros, rng)
}

/** Moves the mid by a fat-tailed step scaled by √Δt, with a spread that widens in bursts and stress. */
export function moveBook(s: SymbolState, t: number, micros: number, stress: boolean, rng: SeededRandom): MarketQuote {
  const dt = Math.max(t - s.lastMoveAt, 1e-3)
  s.lastMoveAt = t
  const vol = regimeVolatility(s.sigma, s.burst, stress)
  let z = rng.normal()
  if (rng.float() < 0.03) z *= 4 // occasional jumps: fat tails
  const mid = (s.bid + s.ask) / 2
  const move = Math.round(z * mid * vol * Math.sqrt(dt))
  const wide = s.wideSpread * (s.burst || stress ? 2 : 1)
  const spread = 1 + (rng.float() < wide ? 1 + rng.int(3) : 0)
  const bid = Math.max(1, s.bid + move)
  if (bid !== s.bid) {
    s.bid = bid
    s.bidSize = levelSize(s, rng)
  } else {
    s.bidSize = Math.max(1, Math.round(s.bidSize * (0.6 + 0.8 * rng.float())))
  }
  const ask = bid + spread
  if (ask !== s.ask) {
    s.ask = ask
    s.askSize = levelSize(s, rng)
  } else {
    s.askSize = Math.max(1, Math.round(s.askSize * (0.6 + 0.8 * rng.float())))
  }
  return quote(s, micros, rng)
}

/**
 * A taker order against the touch: its trades (split over up to 8 makers, all at the touch, as
 * they come off one level) are recorded in `history` and appended to `out`, then the quote the
 * fill leaves. A level it empties is replaced one or two ticks further out.
 */
export function takeLiquidity(s: SymbolState, micros: number, rng: SeededRandom, history: Pick<TradeHistory, 'add'>, out: MarketEvent[]): void {
  const buy = rng.float() < 0.5
  const priceTicks = buy ? s.ask : s.bid
  const level = buy ? s.askSize : s.bidSize
  const notional = s.medianNotional * Math.exp(1.4 * rng.normal())
  const wanted = Math.max(1, Math.round(notional / (priceTicks * s.tick) / s.lot))
  const filled = Math.min(wanted, level)
  let makers = 1
  while (makers < 8 && makers < filled && rng.float() < 0.45) makers++
  const price = formatDecimal8(priceTicks, s.inst.priceDecimals)
  let remaining = filled
  for (let k = makers; k >= 1; k--) {
    const part = k === 1 ? remaining : 1 + rng.int(Math.max(1, Math.floor((remaining - k) / k) * 2))
    const qty = Math.min(part, remaining - (k - 1))
    remaining -= qty
    const id = s.nextTradeId++
    history.add(s.inst.symbol, id, priceTicks, qty, micros, !buy)
    s.lastEventTimeMicros = Math.max(s.lastEventTimeMicros, micros + 100 + rng.int(1900))
    out.push({
      kind: 'trade',
      symbol: s.inst.symbol,
      tradeId: id,
      price,
      quantity: formatDecimal8(qty, s.inst.qtyDecimals),
      buyerIsMaker: !buy,
      timeMicros: micros,
      eventTimeMicros: s.lastEventTimeMicros,
    })
  }
  if (buy) {
    s.askSize -= filled
    if (s.askSize === 0) {
      s.ask += 1 + (rng.float() < 0.3 ? 1 : 0)
      s.askSize = levelSize(s, rng)
    }
  } else {
    s.bidSize -= filled
    if (s.bidSize === 0) {
      s.bid = Math.max(1, s.bid - 1 - (rng.float() < 0.3 ? 1 : 0))
      s.bidSize = levelSize(s, rng)
    }
  }
  out.push(quote(s, micros, rng))
}

/** The book top as a quote event; each change takes a fresh update id, 1 to 4 above the last (Binance's have gaps). */
function quote(s: SymbolState, micros: number, rng: SeededRandom): MarketQuote {
  s.updateId += 1 + rng.int(4)
  return {
    kind: 'quote',
    symbol: s.inst.symbol,
    updateId: s.updateId,
    bidPrice: formatDecimal8(s.bid, s.inst.priceDecimals),
    bidSize: formatDecimal8(s.bidSize, s.inst.qtyDecimals),
    askPrice: formatDecimal8(s.ask, s.inst.priceDecimals),
    askSize: formatDecimal8(s.askSize, s.inst.qtyDecimals),
    timeMicros: micros,
  }
}
