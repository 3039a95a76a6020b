/**
 * The recent trades of every symbol, kept so the replay exchange can answer
 * `GET /api/v3/historicalTrades` and a client can repair the gaps its stream left. Memory is
 * bounded: per symbol a ring of `capacityPerSymbol` trades in typed arrays (about 41 bytes a
 * trade), grown on demand so quiet symbols stay small, and beyond that as many as arrived in the
 * last `retainMs` (up to `maxPerSymbol`). No IO; the wall clock is injected.
 */
import { formatBigDecimal8, formatDecimal8, type BinanceHistoricalTrade } from './binance-frames'

/** How much a TradeHistory keeps. */
export interface TradeHistoryOptions {
  /** Trades kept per symbol; older ones are forgotten (REST then answers from the oldest kept). */
  readonly capacityPerSymbol: number
  /**
   * Beyond `capacityPerSymbol`, a symbol keeps what arrived within this many ms of wall time (up
   * to `maxPerSymbol`): a client that reconnects after a backoff of several seconds finds a busy
   * symbol's missed trades, however fast the replay runs. Default 60,000; 0 keeps the count only.
   */
  readonly retainMs?: number
  /** Hard ceiling per symbol for `retainMs` (default 1,000,000 trades, about 41 MB). */
  readonly maxPerSymbol?: number
  /** Wall clock, ms (default Date.now; tests pass their own). */
  readonly now?: () => number
}

/** Binance's default `limit` for historicalTrades (rest-api.md, "Old trade lookup"). */
export const historicalTradesDefaultLimit = 500
/** Binance's maximum `limit` for historicalTrades; larger values are capped to it. */
export const historicalTradesMaxLimit = 1000

/** Recent trades per symbol, answering historicalTrades queries. */
export interface TradeHistory {
  /**
   * Declares a symbol and the scales of its prices and quantities (a price is stored as a count of
   * 10^-priceDecimals). Must come before the symbol's first `add`.
   */
  register(symbol: string, priceDecimals: number, qtyDecimals: number): void
  /** Appends a trade; ids must increase per symbol (a smaller or equal id is ignored and false returned). */
  add(symbol: string, id: number, priceUnits: number, qtyUnits: number, timeMicros: number, buyerIsMaker: boolean): boolean
  /**
   * Rows as `historicalTrades` returns them: from `fromId` (inclusive) upwards, or the most recent
   * when `fromId` is undefined; at most `limit`. Undefined for a symbol never registered.
   */
  query(symbol: string, fromId: number | undefined, limit: number, unit?: 'ms' | 'us'): BinanceHistoricalTrade[] | undefined
  /** The oldest and newest id kept for a symbol (undefined before its first trade). */
  range(symbol: string): { readonly first: number; readonly last: number } | undefined
  /** Trades kept across all symbols. */
  size(): number
}

interface Ring {
  readonly priceDecimals: number
  readonly qtyDecimals: number
  ids: Float64Array
  prices: Float64Array
  qtys: Float64Array
  times: Float64Array
  /** Wall time each trade was added (ms), for `retainMs`. */
  added: Float64Array
  makers: Uint8Array
  /** Physical index of the oldest kept trade. */
  start: number
  count: number
}

/** Creates an empty history. */
export function createTradeHistory(options: TradeHistoryOptions): TradeHistory {
  const capacity = Math.max(1, Math.floor(options.capacityPerSymbol))
  const retainMs = options.retainMs ?? 60_000
  const ceiling = Math.max(capacity, Math.floor(options.maxPerSymbol ?? 1_000_000))
  const now = options.now ?? Date.now
  const rings = new Map<string, Ring>()
  let total = 0

  const allocate = (n: number): Pick<Ring, 'ids' | 'prices' | 'qtys' | 'times' | 'added' | 'makers'> => ({
    ids: new Float64Array(n),
    prices: new Float64Array(n),
    qtys: new Float64Array(n),
    times: new Float64Array(n),
    added: new Float64Array(n),
    makers: new Uint8Array(n),
  })

  const grow = (r: Ring, limit: number): void => {
    const n = Math.min(limit, r.ids.length * 2)
    const next = allocate(n)
    for (let i = 0; i < r.count; i++) {
      const p = (r.start + i) % r.ids.length
      next.ids[i] = r.ids[p]!
      next.prices[i] = r.prices[p]!
      next.qtys[i] = r.qtys[p]!
      next.times[i] = r.times[p]!
      next.added[i] = r.added[p]!
      next.makers[i] = r.makers[p]!
    }
    Object.assign(r, next)
    r.start = 0
  }

  const row = (r: Ring, logical: number, unit: 'ms' | 'us'): BinanceHistoricalTrade => {
    const p = (r.start + logical) % r.ids.length
    const price = r.prices[p]!
    const qty = r.qtys[p]!
    return {
      id: r.ids[p]!,
      price: formatDecimal8(price, r.priceDecimals),
      qty: formatDecimal8(qty, r.qtyDecimals),
      // Exact product; Binance writes quoteQty with 8 decimals too.
      quoteQty: formatBigDecimal8(BigInt(price) * BigInt(qty), r.priceDecimals + r.qtyDecimals),
      // ms, or µs when asked with X-MBX-TIME-UNIT: MICROSECOND (as the stream's timeUnit gives them).
      time: unit === 'us' ? r.times[p]! : Math.floor(r.times[p]! / 1000),
      isBuyerMaker: r.makers[p] === 1,
      isBestMatch: true,
    }
  }

  /** First logical index whose id is >= id (count when none). */
  const lowerBound = (r: Ring, id: number): number => {
    let lo = 0
    let hi = r.count
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (r.ids[(r.start + mid) % r.ids.length]! < id) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  return {
    register(symbol, priceDecimals, qtyDecimals) {
      if (rings.has(symbol)) return
      rings.set(symbol, { priceDecimals, qtyDecimals, ...allocate(Math.min(capacity, 256)), start: 0, count: 0 })
    },
    add(symbol, id, priceUnits, qtyUnits, timeMicros, buyerIsMaker) {
      const r = rings.get(symbol)
      if (!r) return false
      if (r.count > 0 && r.ids[(r.start + r.count - 1) % r.ids.length]! >= id) return false
      const at = now()
      if (r.count === r.ids.length) {
        if (r.ids.length < capacity) grow(r, capacity)
        // Full: the oldest goes only once it is older than retainMs.
        else if (r.ids.length < ceiling && at - r.added[r.start]! < retainMs) grow(r, ceiling)
      }
      let p: number
      if (r.count === r.ids.length) {
        // Full at capacity: overwrite the oldest.
        p = r.start
        r.start = (r.start + 1) % r.ids.length
      } else {
        p = (r.start + r.count) % r.ids.length
        r.count++
        total++
      }
      r.ids[p] = id
      r.prices[p] = priceUnits
      r.qtys[p] = qtyUnits
      r.times[p] = timeMicros
      r.added[p] = at
      r.makers[p] = buyerIsMaker ? 1 : 0
      return true
    },
    query(symbol, fromId, limit, unit = 'ms') {
      const r = rings.get(symbol)
      if (!r) return undefined
      const n = Math.max(1, Math.min(historicalTradesMaxLimit, Math.floor(limit)))
      const from = fromId === undefined ? Math.max(0, r.count - n) : lowerBound(r, fromId)
      const out: BinanceHistoricalTrade[] = []
      for (let i = from; i < r.count && out.length < n; i++) out.push(row(r, i, unit))
      return out
    },
    range(symbol) {
      const r = rings.get(symbol)
      if (!r || r.count === 0) return undefined
      return { first: r.ids[r.start]!, last: r.ids[(r.start + r.count - 1) % r.ids.length]! }
    },
    size: () => total,
  }
}
