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
import type { Instrument, MarketEvent, MarketResumePoint } from './market-events'
import type { ReplayMarket } from './replay-market'
import { createSeededRandom } from './seeded-random'
import { activityShares, excite, sampleNextArrival, startRegime, switchStress } from './synthetic-arrivals'
import { createSymbolState, moveBook, openBook, resumeSymbol, takeLiquidity } from './synthetic-book'
import { buildInstruments } from './synthetic-instruments'
import { createActionSchedule } from './synthetic-schedule'
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
  /**
   * Whether the market-wide stress regime comes (default true): about every 1,800 s of market
   * time for about 120 s, every symbol at 2.5× its rate. Without it the market stays calm, and a
   * replay rate is the load it names (a benchmark at a stated load sets it: D78).
   */
  readonly stress?: boolean
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

/** The options checked, with their defaults. */
interface SyntheticMarketSettings {
  readonly count: number
  readonly startMicros: number
  readonly baseRate: number
  readonly takerShare: number
}

function syntheticMarketSettings(options: SyntheticMarketOptions): SyntheticMarketSettings {
  const count = Math.floor(options.symbols ?? 160)
  const startMicros = Math.floor(options.startTimeMs ?? Date.UTC(2026, 0, 1)) * 1000
  const baseRate = options.actionsPerSecond ?? 600
  if (!(count >= 1 && count <= 2000)) throw new WorkbenchError(ErrorCode.ConfigInvalid, `synthetic market: symbols=${options.symbols} is not a whole number from 1 to 2000`)
  if (!(baseRate > 0 && Number.isFinite(baseRate))) throw new WorkbenchError(ErrorCode.ConfigInvalid, `synthetic market: actionsPerSecond=${baseRate} must be a positive number`)
  const takerShare = options.takerShare ?? 0.45
  if (!(takerShare > 0 && takerShare <= 1)) throw new WorkbenchError(ErrorCode.ConfigInvalid, `synthetic market: takerShare=${options.takerShare} must be in (0, 1]`)
  if (!Number.isSafeInteger(startMicros)) throw new WorkbenchError(ErrorCode.ConfigInvalid, `synthetic market: startTimeMs=${options.startTimeMs} is not a time in ms since the epoch`)
  return { count, startMicros, baseRate, takerShare }
}

/**
 * Creates a deterministic synthetic market (see the file comment for the model). Every number is
 * drawn from one seeded source in a fixed order, so the listing, the books and the schedule are
 * set up in that order, and a resume point is applied only after all of them.
 */
export function createSyntheticMarket(options: SyntheticMarketOptions): SyntheticMarket {
  const rng = createSeededRandom(options.seed)
  const { count, startMicros, baseRate, takerShare } = syntheticMarketSettings(options)
  const history = createTradeHistory({ capacityPerSymbol: options.historyPerSymbol ?? 10_000, ...(options.historyRetainMs === undefined ? {} : { retainMs: options.historyRetainMs }) })

  const specs = buildInstruments(count, rng)
  const instruments: Instrument[] = specs.map(({ symbol, baseAsset, quoteAsset, priceDecimals, qtyDecimals }) => ({ symbol, baseAsset, quoteAsset, priceDecimals, qtyDecimals }))
  const shares = activityShares(count)
  const states = specs.map((spec, index) => createSymbolState(spec, instruments[index]!, index, count, baseRate * shares[index]!, rng))
  for (const spec of specs) history.register(spec.symbol, spec.priceDecimals, spec.qtyDecimals)
  const bySymbol = new Map(states.map((s) => [s.inst.symbol, s]))
  // Applied after the seeded set-up so a market without `resume` draws exactly the same numbers.
  for (const [symbol, point] of Object.entries(options.resume ?? {})) {
    const s = bySymbol.get(symbol)
    if (s) resumeSymbol(s, point)
  }
  const regime = startRegime(rng, options.stress ?? true)
  const schedule = createActionSchedule(count, (i) => sampleNextArrival(states[i]!, 0, regime.stress, rng))

  const queue: MarketEvent[] = []
  let head = 0
  let nowMicros = startMicros

  /** Runs the simulation until at least one event is queued. */
  const advance = (): void => {
    while (queue.length === head) {
      const i = schedule.first()
      const t = schedule.at(i)
      if (regime.stressEnd <= t) {
        // Market-wide regime switch: every symbol's rate changes, so resample all from here.
        const at = switchStress(regime, rng)
        schedule.rescheduleAll((j) => sampleNextArrival(states[j]!, at, regime.stress, rng))
        continue
      }
      const s = states[i]!
      const micros = startMicros + Math.floor(t * 1e6)
      excite(s, t)
      // The book opens with a quote, so every trade follows a quote of its symbol.
      if (!s.opened) queue.push(openBook(s, t, micros, rng))
      else if (rng.float() < takerShare) takeLiquidity(s, micros, rng, history, queue)
      else queue.push(moveBook(s, t, micros, regime.stress, rng))
      schedule.rescheduleFirst(sampleNextArrival(s, t, regime.stress, rng))
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
