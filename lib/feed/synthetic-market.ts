/**
 * A seeded synthetic spot market for the replay exchange: the same seed always gives the same
 * tape. Pure and deterministic: no IO, no clock, no Math.random.
 *
 * The model, per symbol (all in market time):
 * - Activity is heavy-tailed across symbols: a Zipf weight on the rank (exponent 1.2), so the top
 *   20 of 160 symbols carry about three quarters of all events, as on Binance.
 * - Arrivals are a self-exciting (Hawkes) process with an exponential kernel (branching ratio
 *   0.5, decay 2/s), modulated by two Markov regimes: a per-symbol burst regime and a
 *   market-wide stress regime, each raising the rate and the volatility. Sampled exactly by
 *   Ogata thinning.
 * - The book top (bid, ask and their sizes) is kept in integer ticks and lots. Each arrival is
 *   either a book move (a heavy-tailed random walk of the mid, scaled by √Δt, with a spread that
 *   widens in bursts) or a taker order that fills against the touch in one or more trades and
 *   then updates the book. A trade's price is always the bid (taker sold: buyer is maker) or the
 *   ask (taker bought) of the book the previous quote event showed.
 * - Trade ids are contiguous per symbol from a per-symbol base; book update ids strictly increase
 *   (with gaps, as Binance's do). Prices and sizes are formatted from integers, never floats.
 */
import { ErrorCode, WorkbenchError } from '../errors/index'
import { formatDecimal8 } from './binance-frames'
import type { Instrument, MarketEvent, MarketQuote, MarketResumePoint } from './market-events'
import type { ReplayMarket } from './replay-market'
import { createSeededRandom, type SeededRandom } from './seeded-random'
import { createTradeHistory, historicalTradesDefaultLimit } from './trade-history'

/** The seed and the shape of a synthetic market; everything else follows from the seed. */
export interface SyntheticMarketOptions {
  readonly seed: number
  /** How many symbols to list (default 160, at least 1). The first ~70 are real Binance pairs. */
  readonly symbols?: number
  /** Market time of the first event, ms since the epoch (default 2026-01-01T00:00:00Z). */
  readonly startTimeMs?: number
  /** Base rate of book actions across the market per second of market time, before excitation and regimes (default 600; about 2,000 events/s result). */
  readonly actionsPerSecond?: number
  /**
   * Share of actions that are taker orders (one or more trades, then a quote), the rest moving the
   * book (a quote only); default 0.45, about one trade to one quote. Binance's whole spot market
   * runs about one trade to ten quote updates: ~0.06.
   */
  readonly takerShare?: number
  /** Trades kept per symbol for `history` (default 10,000). */
  readonly historyPerSymbol?: number
  /** Beyond that, what each symbol traded in the last this many ms of wall time (default 60,000; 0: the count only). */
  readonly historyRetainMs?: number
  /**
   * Where an earlier run of the same market stopped, per symbol: trade ids and book update ids
   * continue after these, and the book reopens at the last price. Without it a restarted
   * exchange would replay ids a client already holds, and a client that deduplicates by id
   * (as the ingestor does) would drop every new trade. Symbols the market does not list are
   * ignored.
   */
  readonly resume?: MarketResumePoint
}

/** A synthetic market: a ReplayMarket whose tape never ends. */
export interface SyntheticMarket extends ReplayMarket {
  next(): MarketEvent
  /** Current market time, µs since the epoch (the time of the last event returned). */
  nowMicros(): number
}

/** Real Binance pairs in rough order of activity: base, quote, price, tick decimals, lot decimals. */
const listed: ReadonlyArray<readonly [string, string, number, number, number]> = [
  ['BTC', 'USDT', 67_000, 2, 5],
  ['ETH', 'USDT', 3_400, 2, 4],
  ['SOL', 'USDT', 150, 2, 3],
  ['BTC', 'FDUSD', 67_000, 2, 5],
  ['DOGE', 'USDT', 0.12, 5, 0],
  ['XRP', 'USDT', 0.52, 4, 1],
  ['PEPE', 'USDT', 0.0000098, 8, 0],
  ['BNB', 'USDT', 580, 2, 3],
  ['SUI', 'USDT', 1.1, 4, 1],
  ['ETH', 'FDUSD', 3_400, 2, 4],
  ['WIF', 'USDT', 2.2, 3, 2],
  ['ADA', 'USDT', 0.45, 4, 1],
  ['LINK', 'USDT', 14, 2, 2],
  ['AVAX', 'USDT', 28, 2, 2],
  ['TRX', 'USDT', 0.12, 4, 1],
  ['ENA', 'USDT', 0.4, 4, 1],
  ['SHIB', 'USDT', 0.0000175, 8, 0],
  ['LTC', 'USDT', 72, 2, 3],
  ['ETH', 'BTC', 0.0507, 5, 3],
  ['NEAR', 'USDT', 5.2, 3, 1],
  ['FET', 'USDT', 1.3, 4, 1],
  ['SOL', 'FDUSD', 150, 2, 3],
  ['BCH', 'USDT', 380, 1, 3],
  ['DOT', 'USDT', 6.5, 3, 2],
  ['UNI', 'USDT', 7.5, 3, 2],
  ['APT', 'USDT', 7.8, 3, 2],
  ['ARB', 'USDT', 0.75, 4, 1],
  ['OP', 'USDT', 1.7, 3, 2],
  ['TON', 'USDT', 5.5, 3, 2],
  ['BONK', 'USDT', 0.000021, 8, 0],
  ['FLOKI', 'USDT', 0.00013, 8, 0],
  ['WLD', 'USDT', 2.1, 3, 2],
  ['FIL', 'USDT', 4.1, 3, 2],
  ['ATOM', 'USDT', 6.8, 3, 2],
  ['ETC', 'USDT', 22, 2, 2],
  ['XLM', 'USDT', 0.095, 5, 0],
  ['ICP', 'USDT', 8.5, 3, 2],
  ['INJ', 'USDT', 21, 2, 2],
  ['RENDER', 'USDT', 6.5, 3, 2],
  ['TIA', 'USDT', 6, 3, 2],
  ['SEI', 'USDT', 0.35, 4, 1],
  ['AAVE', 'USDT', 140, 2, 3],
  ['BNB', 'FDUSD', 580, 2, 3],
  ['XRP', 'FDUSD', 0.52, 4, 1],
  ['DOGE', 'FDUSD', 0.12, 5, 0],
  ['SOL', 'BTC', 0.0022, 7, 1],
  ['BNB', 'BTC', 0.0087, 6, 2],
  ['MKR', 'USDT', 2_300, 1, 4],
  ['LDO', 'USDT', 1.6, 3, 2],
  ['HBAR', 'USDT', 0.07, 5, 0],
  ['JUP', 'USDT', 0.9, 4, 1],
  ['ORDI', 'USDT', 30, 2, 2],
  ['VET', 'USDT', 0.025, 5, 0],
  ['ALGO', 'USDT', 0.15, 4, 0],
  ['GRT', 'USDT', 0.17, 4, 0],
  ['IMX', 'USDT', 1.4, 4, 1],
  ['STX', 'USDT', 1.6, 4, 1],
  ['RUNE', 'USDT', 4.5, 3, 2],
  ['SAND', 'USDT', 0.3, 4, 0],
  ['MANA', 'USDT', 0.3, 4, 0],
  ['AXS', 'USDT', 5.5, 3, 2],
  ['GALA', 'USDT', 0.022, 5, 0],
  ['CRV', 'USDT', 0.3, 4, 1],
  ['DYDX', 'USDT', 1.3, 3, 2],
  ['EOS', 'USDT', 0.55, 4, 1],
  ['XRP', 'BTC', 0.0000078, 8, 0],
  ['LINK', 'BTC', 0.00021, 7, 1],
  ['ADA', 'BTC', 0.0000067, 8, 0],
  ['LTC', 'BTC', 0.00107, 6, 2],
  ['DOGE', 'BTC', 0.0000018, 8, 0],
]

const syllables = ['ZO', 'RA', 'KI', 'NEX', 'VO', 'LU', 'QUA', 'TOR', 'MI', 'SA', 'XI', 'PO', 'DRA', 'VEL', 'KA', 'RI', 'ON', 'FY', 'GLO', 'BIT', 'NO', 'ZEN', 'HY', 'LAR']
const btcUsd = 67_000

/** Builds `count` instruments: the listed pairs first, then plausible generated ones. */
function buildInstruments(count: number, rng: SeededRandom): Array<Instrument & { readonly price: number; readonly rank: number }> {
  const out: Array<Instrument & { readonly price: number; readonly rank: number }> = []
  const taken = new Set<string>()
  const bases = new Set(listed.map(([b]) => b))
  for (const [baseAsset, quoteAsset, price, priceDecimals, qtyDecimals] of listed) {
    if (out.length >= count) break
    const symbol = baseAsset + quoteAsset
    taken.add(symbol)
    out.push({ symbol, baseAsset, quoteAsset, priceDecimals, qtyDecimals, price, rank: out.length })
  }
  while (out.length < count) {
    const parts = 2 + (rng.float() < 0.25 ? 1 : 0)
    let baseAsset = ''
    for (let i = 0; i < parts; i++) baseAsset += syllables[rng.int(syllables.length)]!
    baseAsset = baseAsset.slice(0, 6)
    if (bases.has(baseAsset)) continue
    const r = rng.float()
    const quoteAsset = r < 0.88 ? 'USDT' : r < 0.95 ? 'BTC' : 'FDUSD'
    const symbol = baseAsset + quoteAsset
    if (taken.has(symbol)) continue
    taken.add(symbol)
    bases.add(baseAsset)
    // Log-uniform dollar price: $0.00001 … $200, or $0.1 … $200 against BTC (at least ~150 ticks).
    const usd = quoteAsset === 'BTC' ? 10 ** (-1 + rng.float() * 3.3) : 10 ** (-5 + rng.float() * 7.3)
    const price = quoteAsset === 'BTC' ? usd / btcUsd : usd
    const priceDecimals = clamp(4 - Math.floor(Math.log10(price)), 0, 8)
    const qtyDecimals = clamp(Math.floor(Math.log10(price)) + 1, 0, 8 - priceDecimals)
    out.push({ symbol, baseAsset, quoteAsset, priceDecimals, qtyDecimals, price, rank: out.length })
  }
  return out
}

interface SymbolState {
  readonly inst: Instrument
  readonly index: number
  /** Base rate of actions per second (before excitation and regimes). */
  readonly mu: number
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
  excitation: number
  excitationAt: number
  burst: boolean
  regimeEnd: number
  lastMoveAt: number
  lastEventTimeMicros: number
  opened: boolean
}

// Hawkes kernel: each action adds `jump` actions/s to the symbol's rate, decaying at `decay`/s.
const decay = 2
const jump = 1
// Regimes: mean durations (s) and what they multiply.
const calmToBurst = 1 / 600
const burstToCalm = 1 / 45
const burstRate = 4
const burstVol = 3
const calmToStress = 1 / 1800
const stressToCalm = 1 / 120
const stressRate = 2.5
const stressVol = 2
/** Zipf exponent of activity over rank. */
const zipf = 1.2

/** Creates a deterministic synthetic market (see the file comment for the model). */
export function createSyntheticMarket(options: SyntheticMarketOptions): SyntheticMarket {
  const rng = createSeededRandom(options.seed)
  const count = Math.floor(options.symbols ?? 160)
  const startMicros = Math.floor(options.startTimeMs ?? Date.UTC(2026, 0, 1)) * 1000
  const baseRate = options.actionsPerSecond ?? 600
  if (!(count >= 1 && count <= 2000)) throw new WorkbenchError(ErrorCode.ConfigInvalid, `synthetic market: symbols=${options.symbols} is not a whole number from 1 to 2000`)
  if (!(baseRate > 0 && Number.isFinite(baseRate))) throw new WorkbenchError(ErrorCode.ConfigInvalid, `synthetic market: actionsPerSecond=${baseRate} must be a positive number`)
  const takerShare = options.takerShare ?? 0.45
  if (!(takerShare > 0 && takerShare <= 1)) throw new WorkbenchError(ErrorCode.ConfigInvalid, `synthetic market: takerShare=${options.takerShare} must be in (0, 1]`)
  if (!Number.isSafeInteger(startMicros)) throw new WorkbenchError(ErrorCode.ConfigInvalid, `synthetic market: startTimeMs=${options.startTimeMs} is not a time in ms since the epoch`)
  const history = createTradeHistory({ capacityPerSymbol: options.historyPerSymbol ?? 10_000, ...(options.historyRetainMs === undefined ? {} : { retainMs: options.historyRetainMs }) })

  const specs = buildInstruments(count, rng)
  const instruments: Instrument[] = specs.map(({ symbol, baseAsset, quoteAsset, priceDecimals, qtyDecimals }) => ({ symbol, baseAsset, quoteAsset, priceDecimals, qtyDecimals }))
  let weightSum = 0
  for (let i = 0; i < count; i++) weightSum += (i + 1) ** -zipf

  const states: SymbolState[] = specs.map((spec, index) => {
    const tick = 10 ** -spec.priceDecimals
    const lot = 10 ** -spec.qtyDecimals
    const share = (index + 1) ** -zipf / weightSum
    const bid = Math.max(1, Math.round((spec.price * (0.9 + 0.2 * rng.float())) / tick))
    const state: SymbolState = {
      inst: instruments[index]!,
      index,
      mu: baseRate * share,
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
      regimeEnd: rng.exponential(calmToBurst),
      lastMoveAt: 0,
      lastEventTimeMicros: 0,
      opened: false,
    }
    state.bidSize = levelSize(state)
    state.askSize = levelSize(state)
    history.register(spec.symbol, spec.priceDecimals, spec.qtyDecimals)
    return state
  })
  const bySymbol = new Map(states.map((s) => [s.inst.symbol, s]))
  // Applied after the seeded set-up so a market without `resume` draws exactly the same numbers.
  for (const [symbol, point] of Object.entries(options.resume ?? {})) {
    const s = bySymbol.get(symbol)
    if (!s) continue
    if (point.lastTradeId !== undefined && Number.isSafeInteger(point.lastTradeId) && point.lastTradeId >= 0) s.nextTradeId = point.lastTradeId + 1
    if (point.lastUpdateId !== undefined && Number.isSafeInteger(point.lastUpdateId) && point.lastUpdateId >= 0) s.updateId = point.lastUpdateId
    const ticks = point.lastPrice === undefined ? NaN : Math.round(Number(point.lastPrice) / s.tick)
    if (Number.isSafeInteger(ticks) && ticks >= 1) {
      s.bid = ticks
      s.ask = ticks + 1
    }
  }

  function levelSize(s: SymbolState): number {
    const notional = s.medianNotional * 12 * Math.exp(rng.normal())
    return Math.max(1, Math.round(notional / (s.bid * s.tick) / s.lot))
  }

  let stress = false
  let stressEnd = rng.exponential(calmToStress)

  const rateOf = (s: SymbolState, t: number): number =>
    s.mu * (s.burst ? burstRate : 1) * (stress ? stressRate : 1) + s.excitation * Math.exp(-decay * (t - s.excitationAt))

  /** Next action time of `s` after t0, by Ogata thinning (the rate only decays between actions). */
  const sampleNext = (s: SymbolState, t0: number): number => {
    let t = t0
    for (;;) {
      const bound = rateOf(s, t)
      const candidate = t + rng.exponential(bound)
      if (candidate >= s.regimeEnd) {
        t = s.regimeEnd
        s.burst = !s.burst
        s.regimeEnd = t + rng.exponential(s.burst ? burstToCalm : calmToBurst)
        continue
      }
      t = candidate
      if (rng.float() * bound <= rateOf(s, t)) return t
    }
  }

  // A binary min-heap of symbols by next action time.
  const nextAt = new Float64Array(count)
  const heap = states.map((_, i) => i)
  const less = (i: number, j: number): boolean => nextAt[heap[i]!]! < nextAt[heap[j]!]!
  const swap = (i: number, j: number): void => {
    const x = heap[i]!
    heap[i] = heap[j]!
    heap[j] = x
  }
  const siftDown = (start: number): void => {
    let i = start
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < heap.length && less(l, m)) m = l
      if (r < heap.length && less(r, m)) m = r
      if (m === i) return
      swap(i, m)
      i = m
    }
  }
  const heapify = (): void => {
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(i)
  }
  for (const s of states) nextAt[s.index] = sampleNext(s, 0)
  heapify()

  const queue: MarketEvent[] = []
  let head = 0
  let nowMicros = startMicros

  const quote = (s: SymbolState, micros: number): MarketQuote => {
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

  const moveBook = (s: SymbolState, t: number, micros: number): void => {
    const dt = Math.max(t - s.lastMoveAt, 1e-3)
    s.lastMoveAt = t
    const vol = s.sigma * (s.burst ? burstVol : 1) * (stress ? stressVol : 1)
    let z = rng.normal()
    if (rng.float() < 0.03) z *= 4 // occasional jumps: fat tails
    const mid = (s.bid + s.ask) / 2
    const move = Math.round(z * mid * vol * Math.sqrt(dt))
    const wide = s.wideSpread * (s.burst || stress ? 2 : 1)
    const spread = 1 + (rng.float() < wide ? 1 + rng.int(3) : 0)
    const bid = Math.max(1, s.bid + move)
    if (bid !== s.bid) {
      s.bid = bid
      s.bidSize = levelSize(s)
    } else {
      s.bidSize = Math.max(1, Math.round(s.bidSize * (0.6 + 0.8 * rng.float())))
    }
    const ask = bid + spread
    if (ask !== s.ask) {
      s.ask = ask
      s.askSize = levelSize(s)
    } else {
      s.askSize = Math.max(1, Math.round(s.askSize * (0.6 + 0.8 * rng.float())))
    }
    queue.push(quote(s, micros))
  }

  const takerOrder = (s: SymbolState, micros: number): void => {
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
      queue.push({
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
        s.askSize = levelSize(s)
      }
    } else {
      s.bidSize -= filled
      if (s.bidSize === 0) {
        s.bid = Math.max(1, s.bid - 1 - (rng.float() < 0.3 ? 1 : 0))
        s.bidSize = levelSize(s)
      }
    }
    queue.push(quote(s, micros))
  }

  /** Runs the simulation until at least one event is queued. */
  const advance = (): void => {
    while (queue.length === head) {
      const i = heap[0]!
      const t = nextAt[i]!
      if (stressEnd <= t) {
        // Market-wide regime switch: every symbol's rate changes, so resample all from here.
        const at = stressEnd
        stress = !stress
        stressEnd = at + rng.exponential(stress ? stressToCalm : calmToStress)
        for (const s of states) nextAt[s.index] = sampleNext(s, at)
        heapify()
        continue
      }
      const s = states[i]!
      const micros = startMicros + Math.floor(t * 1e6)
      s.excitation = s.excitation * Math.exp(-decay * (t - s.excitationAt)) + jump
      s.excitationAt = t
      if (!s.opened) {
        // The book opens with a quote, so every trade follows a quote of its symbol.
        s.opened = true
        s.lastMoveAt = t
        queue.push(quote(s, micros))
      } else if (rng.float() < takerShare) takerOrder(s, micros)
      else moveBook(s, t, micros)
      nextAt[i] = sampleNext(s, t)
      siftDown(0)
    }
  }

  return {
    instruments,
    next(): MarketEvent {
      if (queue.length === head) {
        queue.length = 0
        head = 0
        advance()
      }
      const ev = queue[head++]!
      nowMicros = ev.timeMicros
      return ev
    },
    nowMicros: () => nowMicros,
    history(symbol, fromId, limit = historicalTradesDefaultLimit, unit = 'ms') {
      if (!bySymbol.has(symbol)) return undefined
      return history.query(symbol, fromId, limit, unit)
    },
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v))
}
