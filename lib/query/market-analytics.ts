import { ErrorCode, WorkbenchError, isWorkbenchError } from '../errors/index'
import { allOf, anyOf, eq, gte, isIn, lt, type ScanFilter } from '../iceberg/scan-filter'
import { finishBarsSql, rollupAnswers, rollupBarsSql } from '../rollup/minute-bars'
import type { EngineTable, QueryEngine, QueryOptions, QueryResult } from './query-engine'
import type { QueryRow } from './query-result'

/**
 * Market analytics over the engine: typed, parameterised functions the notebooks and the HTTP
 * API call (no SQL pasted into cells). Every value reaches DuckDB as a named parameter; symbols,
 * ranges and limits are validated first. Times are [from, to) in UTC. Prices, quantities,
 * volumes, notionals and VWAPs are exact decimal strings: the sums are exact DECIMAL(38, 16)
 * and (38, 8), and VWAP is their quotient in integers of 10⁻¹⁶ and 10⁻⁸ units (DuckDB divides
 * decimals as doubles), rounded half up to 8 decimals; the integer step runs once per bar.
 *
 * Each function also prunes the scan with the same symbol and time filter, so only the files
 * that can hold the rows are read.
 */

/**
 * What the analytics need from the engine (the engine itself, or a test's DuckDB over the same
 * views). Without `readable`, the rollups are never read.
 */
export type Queryable = Pick<QueryEngine, 'query'> & Partial<Pick<QueryEngine, 'readable' | 'latestRows'>>

/**
 * Runs `fromRollup` when the engine says the rollup `table` is exact now, else, or when the
 * rollup turns out to lag too far once the query pins it (CONFLICT), `fromSource`.
 */
async function viaRollup<T extends QueryRow>(engine: Queryable, table: EngineTable, usable: boolean, fromRollup: () => Promise<QueryResult<T>>, fromSource: () => Promise<QueryResult<T>>): Promise<QueryResult<T>> {
  if (usable && engine.readable?.(table)) {
    try {
      return await fromRollup()
    } catch (err) {
      if (!isWorkbenchError(err, ErrorCode.Conflict)) throw err
    }
  }
  return fromSource()
}

/** Reading the lake as it was (no Kafka tail). */
export interface TimeTravel {
  readonly snapshotId?: bigint
  readonly asOfTimestampMs?: number
}

export interface TimeRange {
  readonly from: Date
  readonly to: Date
}

export interface TradeRow {
  readonly symbol: string
  readonly tradeId: bigint
  readonly eventTime: Date
  readonly price: string
  readonly quantity: string
  readonly side: 'BUY' | 'SELL'
  /** `lake` (committed to Iceberg) or `kafka` (the tail, not committed yet). */
  readonly source: 'lake' | 'kafka'
}

export interface QuoteRow {
  readonly symbol: string
  readonly updateId: bigint
  readonly eventTime: Date
  readonly bidPrice: string
  readonly bidSize: string
  readonly askPrice: string
  readonly askSize: string
  readonly source: 'lake' | 'kafka'
}

export interface BarRow {
  readonly symbol: string
  /** Start of the bar, UTC, aligned to the interval since the epoch. */
  readonly start: Date
  readonly open: string
  readonly high: string
  readonly low: string
  readonly close: string
  /** Sum of quantities, exact. */
  readonly volume: string
  /** Sum of price × quantity, rounded half up to 8 decimals. */
  readonly notional: string
  /** notional / volume, rounded half up to 8 decimals. */
  readonly vwap: string
  readonly trades: bigint
  readonly firstTradeId: bigint
  readonly lastTradeId: bigint
}

export interface LatestTradeRow {
  readonly symbol: string
  readonly tradeId: bigint
  readonly eventTime: Date
  readonly price: string
  readonly quantity: string
  readonly side: 'BUY' | 'SELL'
}

export interface LatestQuoteRow {
  readonly symbol: string
  readonly updateId: bigint
  readonly eventTime: Date
  readonly bidPrice: string
  readonly askPrice: string
  readonly bidSize: string
  readonly askSize: string
}

/** A trade with the quote prevailing when it happened (the latest quote at or before it). */
export interface TradeQuoteRow {
  readonly tradeId: bigint
  readonly eventTime: Date
  readonly price: string
  readonly quantity: string
  readonly side: 'BUY' | 'SELL'
  /** null when no quote preceded the trade within the look-back. */
  readonly quoteTime: Date | null
  readonly bidPrice: string | null
  readonly askPrice: string | null
  /** (bid + ask) / 2, exact. */
  readonly mid: string | null
  /** ask − bid, exact. */
  readonly spread: string | null
  /** spread / mid in basis points. */
  readonly spreadBps: number | null
  /** 2 × |price − mid|, exact: what the taker paid over the mid, both ways. */
  readonly effectiveSpread: string | null
  readonly effectiveSpreadBps: number | null
  /** Trade time − quote time, ms. */
  readonly quoteAgeMs: number | null
}

export interface SymbolRow {
  readonly symbol: string
  readonly trades: bigint
  readonly firstTime: Date
  readonly lastTime: Date
  readonly lastPrice: string
}

export interface GapRow {
  readonly symbol: string
  /** The trade ids either side of the gap. */
  readonly afterTradeId: bigint
  readonly beforeTradeId: bigint
  readonly missing: bigint
}

export interface GapSummaryRow {
  readonly symbol: string
  readonly trades: bigint
  readonly firstTradeId: bigint
  readonly lastTradeId: bigint
  /** Ids between the first and last that no trade has. */
  readonly missing: bigint
  /** Trades whose id appears more than once (0 when exactly once holds). */
  readonly duplicates: bigint
}

/** Bar intervals by name; any whole number of seconds is also accepted as `Ns`, `Nm`, `Nh`, `Nd`. */
export function parseInterval(interval: string | number): bigint {
  if (typeof interval === 'number') {
    if (!Number.isInteger(interval) || interval < 1000 || interval > 7 * 86_400_000) throw new WorkbenchError(ErrorCode.QueryInvalid, `a bar interval in ms must be a whole number from 1000 (1 s) to 604800000 (7 d), not ${interval}`)
    if (interval % 1000 !== 0) throw new WorkbenchError(ErrorCode.QueryInvalid, `a bar interval must be whole seconds, not ${interval} ms`)
    return BigInt(interval) * 1000n
  }
  const m = /^(\d{1,6})(s|m|h|d)$/.exec(interval)
  if (!m) throw new WorkbenchError(ErrorCode.QueryInvalid, `bar interval ${JSON.stringify(interval)} is not a number with a unit s, m, h or d (e.g. 1m, 5m, 1h)`)
  const unit = { s: 1n, m: 60n, h: 3600n, d: 86_400n }[m[2] as 's' | 'm' | 'h' | 'd']
  const seconds = BigInt(m[1]!) * unit
  if (seconds < 1n || seconds > 7n * 86_400n) throw new WorkbenchError(ErrorCode.QueryInvalid, `bar interval ${interval} is outside 1s to 7d`)
  return seconds * 1_000_000n
}

/** An upper-case exchange symbol: letters and digits, 1 to 20 of them. */
export function checkSymbol(symbol: unknown): string {
  if (typeof symbol !== 'string' || !/^[A-Za-z0-9]{1,20}$/.test(symbol)) throw new WorkbenchError(ErrorCode.QueryInvalid, `symbol ${JSON.stringify(symbol)} is not 1 to 20 letters or digits (e.g. BTCUSDT)`)
  return symbol.toUpperCase()
}

/** A valid [from, to) range. */
export function checkRange(range: TimeRange): TimeRange {
  const { from, to } = range
  if (!(from instanceof Date) || Number.isNaN(from.getTime())) throw new WorkbenchError(ErrorCode.QueryInvalid, `from is not a valid time: ${String(from)}`)
  if (!(to instanceof Date) || Number.isNaN(to.getTime())) throw new WorkbenchError(ErrorCode.QueryInvalid, `to is not a valid time: ${String(to)}`)
  if (from.getTime() >= to.getTime()) throw new WorkbenchError(ErrorCode.QueryInvalid, `from (${from.toISOString()}) must be before to (${to.toISOString()})`)
  return range
}

function checkLimit(limit: number | undefined, fallback: number): number {
  const n = limit ?? fallback
  if (!Number.isInteger(n) || n < 1 || n > 10_000_000) throw new WorkbenchError(ErrorCode.QueryInvalid, `limit must be a whole number from 1 to 10000000, not ${String(limit)}`)
  return n
}

const inRange = (column: string, r: TimeRange): ScanFilter[] => [gte(column, r.from), lt(column, r.to)]

function symbolsFilter(symbols: readonly string[] | undefined): ScanFilter[] {
  if (!symbols || symbols.length === 0) return []
  return [symbols.length === 1 ? eq('symbol', symbols[0]!) : isIn('symbol', symbols)]
}

function tableRead(filter: ScanFilter, travel: TimeTravel | undefined): { filter: ScanFilter; snapshotId?: bigint; asOfTimestampMs?: number } {
  return { filter, ...(travel?.snapshotId !== undefined ? { snapshotId: travel.snapshotId } : {}), ...(travel?.asOfTimestampMs !== undefined ? { asOfTimestampMs: travel.asOfTimestampMs } : {}) }
}

function symbolList(symbols: readonly string[] | undefined): string[] | undefined {
  if (symbols === undefined) return undefined
  if (symbols.length > 1000) throw new WorkbenchError(ErrorCode.QueryInvalid, `at most 1000 symbols per query, not ${symbols.length}`)
  return symbols.map(checkSymbol)
}

export interface TradesRequest extends TimeRange, TimeTravel {
  readonly symbol: string
  /** Default 1000. */
  readonly limit?: number
  /** `asc` (oldest first, default) or `desc` (newest first). */
  readonly order?: 'asc' | 'desc'
  readonly timeoutMs?: number
}

/** Trades of one symbol in a time range, in trade-id order. */
export async function trades(engine: Queryable, request: TradesRequest): Promise<QueryResult<TradeRow & Record<string, unknown>>> {
  const symbol = checkSymbol(request.symbol)
  const range = checkRange(request)
  const limit = checkLimit(request.limit, 1000)
  const order = request.order === 'desc' ? 'DESC' : 'ASC'
  return engine.query(
    `SELECT symbol, trade_id AS "tradeId", event_time AS "eventTime", price, quantity, side, _source AS source
       FROM trades
      WHERE symbol = $symbol AND event_time >= $from AND event_time < $to
      ORDER BY trade_id ${order}
      LIMIT $limit`,
    {
      kind: 'trades',
      params: { symbol, from: range.from, to: range.to, limit },
      tables: { trades: tableRead(allOf(eq('symbol', symbol), ...inRange('event_time', range)), request) },
      timeoutMs: request.timeoutMs,
    },
  )
}

export interface RecentTradesRequest {
  readonly symbol: string
  /** Look back this far from now (default 5 minutes). */
  readonly minutes?: number
  readonly limit?: number
  readonly timeoutMs?: number
}

/** The newest trades of a symbol, newest first: a hybrid read of the lake and the Kafka tail. */
export async function recentTrades(engine: Queryable, request: RecentTradesRequest): Promise<QueryResult<TradeRow & Record<string, unknown>>> {
  const minutes = request.minutes ?? 5
  if (!(minutes > 0 && minutes <= 24 * 60)) throw new WorkbenchError(ErrorCode.QueryInvalid, `minutes must be above 0 and at most 1440, not ${minutes}`)
  const now = Date.now()
  // `to` a minute ahead: an exchange clock slightly ahead of ours must not hide the newest trades.
  return trades(engine, { symbol: request.symbol, from: new Date(now - minutes * 60_000), to: new Date(now + 60_000), limit: request.limit, order: 'desc', timeoutMs: request.timeoutMs })
}

export interface QuotesRequest extends TimeRange, TimeTravel {
  readonly symbol: string
  readonly limit?: number
  readonly order?: 'asc' | 'desc'
  readonly timeoutMs?: number
}

/** Quotes (best bid and offer) of one symbol in a time range, in update-id order. */
export async function quotes(engine: Queryable, request: QuotesRequest): Promise<QueryResult<QuoteRow & Record<string, unknown>>> {
  const symbol = checkSymbol(request.symbol)
  const range = checkRange(request)
  const limit = checkLimit(request.limit, 1000)
  const order = request.order === 'desc' ? 'DESC' : 'ASC'
  return engine.query(
    `SELECT symbol, update_id AS "updateId", event_time AS "eventTime", bid_price AS "bidPrice", bid_size AS "bidSize", ask_price AS "askPrice", ask_size AS "askSize", _source AS source
       FROM quotes
      WHERE symbol = $symbol AND event_time >= $from AND event_time < $to
      ORDER BY update_id ${order}
      LIMIT $limit`,
    {
      kind: 'quotes',
      params: { symbol, from: range.from, to: range.to, limit },
      tables: { quotes: tableRead(allOf(eq('symbol', symbol), ...inRange('event_time', range)), request) },
      timeoutMs: request.timeoutMs,
    },
  )
}

export interface BarsRequest extends TimeRange, TimeTravel {
  /** One symbol, or several; neither: every symbol. */
  readonly symbol?: string
  readonly symbols?: readonly string[]
  /** `1m`, `5m`, `1h`, … or ms (default 1m). */
  readonly interval?: string | number
  /** Bars returned at most (default 100,000). */
  readonly limit?: number
  readonly timeoutMs?: number
}

/**
 * OHLCV bars with VWAP. Open and close are the prices of the lowest and highest trade id in the
 * bar (trade ids increase with time per symbol; ties in time stay ordered).
 */
export async function bars(engine: Queryable, request: BarsRequest): Promise<QueryResult<BarRow & Record<string, unknown>>> {
  const range = checkRange(request)
  const step = parseInterval(request.interval ?? '1m')
  const symbols = request.symbol !== undefined ? [checkSymbol(request.symbol)] : symbolList(request.symbols)
  const limit = checkLimit(request.limit, 100_000)
  const where = ['event_time >= $from', 'event_time < $to']
  if (symbols && symbols.length > 0) where.push('list_contains($symbols, symbol)')
  const params = { from: range.from, to: range.to, step, limit, ...(symbols && symbols.length > 0 ? { symbols } : {}) }
  const travelling = request.snapshotId !== undefined || request.asOfTimestampMs !== undefined
  // Intervals of whole minutes: merged from the one-minute rollup, with the trades of the minutes
  // the range cuts at its ends folded at query time (D72, D74).
  const inner = rollupAnswers(step, range.from.getTime(), range.to.getTime())
  const fromRollup = () => {
    const innerRange = { from: new Date(inner!.fromMs), to: new Date(inner!.toMs) }
    const startEdge = inner!.fromMs > range.from.getTime()
    const endEdge = inner!.toMs < range.to.getTime()
    const edges = startEdge || endEdge
    const edgeRanges: TimeRange[] = [...(startEdge ? [{ from: range.from, to: innerRange.from }] : []), ...(endEdge ? [{ from: innerRange.to, to: range.to }] : [])]
    const edgeFilter = anyOf(...edgeRanges.map((r) => allOf(...inRange('event_time', r))))
    return engine.query<BarRow & Record<string, unknown>>(rollupBarsSql({ symbols: where.length > 2, startEdge, endEdge }), {
      kind: 'bars',
      params: { ...params, inner_from: innerRange.from, inner_to: innerRange.to },
      tables: {
        bars_1m: { filter: allOf(...symbolsFilter(symbols), ...inRange('minute', innerRange)) },
        ...(edges ? { trades: { filter: allOf(...symbolsFilter(symbols), edgeFilter) } } : {}),
      },
      timeoutMs: request.timeoutMs,
    })
  }
  return viaRollup(engine, 'bars_1m', !travelling && inner !== undefined, fromRollup, () => engine.query(
    `WITH b AS (
       SELECT symbol, (epoch_us(event_time) // $step) * $step AS bucket,
              arg_min(price, trade_id) AS open, max(price) AS high, min(price) AS low, arg_max(price, trade_id) AS close,
              sum(quantity) AS volume, sum(price * quantity) AS notional_exact,
              count(*) AS trades, min(trade_id) AS first_id, max(trade_id) AS last_id
         FROM trades
        WHERE ${where.join(' AND ')}
        GROUP BY symbol, bucket
     ), ${finishBarsSql}`,
    {
      kind: 'bars',
      params,
      tables: { trades: tableRead(allOf(...symbolsFilter(symbols), ...inRange('event_time', range)), request) },
      timeoutMs: request.timeoutMs,
    },
  ))
}

export interface LatestRequest {
  readonly symbols?: readonly string[]
  /** How far back to look (default 24 h): bounds the scan to recent partitions. */
  readonly lookbackMs?: number
  readonly timeoutMs?: number
}

function lookback(request: LatestRequest): TimeRange {
  const ms = request.lookbackMs ?? 86_400_000
  if (!(Number.isInteger(ms) && ms > 0 && ms <= 366 * 86_400_000)) throw new WorkbenchError(ErrorCode.QueryInvalid, `lookbackMs must be a whole number of ms up to a year, not ${ms}`)
  const now = Date.now()
  return { from: new Date(now - ms), to: new Date(now + 60_000) }
}

/** The latest trade of each symbol (within the look-back), lake and tail. */
export async function latestTrades(engine: Queryable, request: LatestRequest = {}): Promise<QueryResult<LatestTradeRow & Record<string, unknown>>> {
  const symbols = symbolList(request.symbols)
  const range = lookback(request)
  const bySymbol = symbols && symbols.length > 0 ? ' AND list_contains($symbols, symbol)' : ''
  // The engine's in-memory index of trades_latest where it can answer exactly (D91).
  const indexed = await engine.latestRows?.<LatestTradeRow & Record<string, unknown>>({
    table: 'trades_latest',
    from: range.from,
    to: range.to,
    ...(bySymbol ? { keys: symbols } : {}),
    names: { trade_id: 'tradeId', event_time: 'eventTime' },
    timeoutMs: request.timeoutMs,
    kind: 'latest_trades',
  })
  if (indexed) return indexed
  // The same SQL over the trades, or over each batch's last trade per symbol (trades_latest, D74):
  // the trade with the highest id of a symbol is the last of its batch.
  const latest = (table: 'trades' | 'trades_latest') =>
    engine.query<LatestTradeRow & Record<string, unknown>>(
      `SELECT symbol, max(trade_id) AS "tradeId", arg_max(event_time, trade_id) AS "eventTime", arg_max(price, trade_id) AS price,
              arg_max(quantity, trade_id) AS quantity, arg_max(side, trade_id) AS side
         FROM ${table}
        WHERE event_time >= $from AND event_time < $to${bySymbol}
        GROUP BY symbol ORDER BY symbol`,
      {
        kind: 'latest_trades',
        params: { from: range.from, to: range.to, ...(bySymbol ? { symbols } : {}) },
        tables: { [table]: { filter: allOf(...symbolsFilter(symbols), ...inRange('event_time', range)) } },
        timeoutMs: request.timeoutMs,
      },
    )
  return viaRollup(engine, 'trades_latest', true, () => latest('trades_latest'), () => latest('trades'))
}

/** The latest quote of each symbol (within the look-back), lake and tail. */
export async function latestQuotes(engine: Queryable, request: LatestRequest = {}): Promise<QueryResult<LatestQuoteRow & Record<string, unknown>>> {
  const symbols = symbolList(request.symbols)
  const range = lookback(request)
  const bySymbol = symbols && symbols.length > 0 ? ' AND list_contains($symbols, symbol)' : ''
  return engine.query(
    `SELECT symbol, max(update_id) AS "updateId", arg_max(event_time, update_id) AS "eventTime", arg_max(bid_price, update_id) AS "bidPrice",
            arg_max(ask_price, update_id) AS "askPrice", arg_max(bid_size, update_id) AS "bidSize", arg_max(ask_size, update_id) AS "askSize"
       FROM quotes
      WHERE event_time >= $from AND event_time < $to${bySymbol}
      GROUP BY symbol ORDER BY symbol`,
    {
      kind: 'latest_quotes',
      params: { from: range.from, to: range.to, ...(bySymbol ? { symbols } : {}) },
      tables: { quotes: { filter: allOf(...symbolsFilter(symbols), ...inRange('event_time', range)) } },
      timeoutMs: request.timeoutMs,
    },
  )
}

export interface TradesWithQuotesRequest extends TimeRange, TimeTravel {
  readonly symbol: string
  /** How far before a trade a quote may be and still prevail (default 60 s). */
  readonly quoteLookbackMs?: number
  readonly limit?: number
  readonly timeoutMs?: number
}

/**
 * Each trade joined as of its time to the prevailing quote (the latest quote of the symbol at
 * or before the trade): mid, quoted spread and effective spread, exact, and in basis points.
 */
export async function tradesWithQuotes(engine: Queryable, request: TradesWithQuotesRequest): Promise<QueryResult<TradeQuoteRow & Record<string, unknown>>> {
  const symbol = checkSymbol(request.symbol)
  const range = checkRange(request)
  const limit = checkLimit(request.limit, 10_000)
  const lookbackMs = request.quoteLookbackMs ?? 60_000
  if (!(Number.isInteger(lookbackMs) && lookbackMs >= 0 && lookbackMs <= 86_400_000)) throw new WorkbenchError(ErrorCode.QueryInvalid, `quoteLookbackMs must be whole ms from 0 to 86400000, not ${lookbackMs}`)
  const quoteRange = { from: new Date(range.from.getTime() - lookbackMs), to: range.to }
  return engine.query(
    `WITH t AS (
       SELECT symbol, trade_id, event_time, price, quantity, side FROM trades
        WHERE symbol = $symbol AND event_time >= $from AND event_time < $to
     ), q AS (
       SELECT symbol, event_time, bid_price, ask_price FROM quotes
        WHERE symbol = $symbol AND event_time >= $quote_from AND event_time < $to
     ), j AS (
       SELECT t.*, q.event_time AS quote_time, q.bid_price, q.ask_price, (q.bid_price + q.ask_price) * 0.5 AS mid
         FROM t ASOF LEFT JOIN q ON t.symbol = q.symbol AND t.event_time >= q.event_time
     )
     SELECT trade_id AS "tradeId", event_time AS "eventTime", price, quantity, side,
            CASE WHEN epoch_us(event_time) - epoch_us(quote_time) <= $lookback_us THEN quote_time END AS "quoteTime",
            CASE WHEN epoch_us(event_time) - epoch_us(quote_time) <= $lookback_us THEN bid_price END AS "bidPrice",
            CASE WHEN epoch_us(event_time) - epoch_us(quote_time) <= $lookback_us THEN ask_price END AS "askPrice",
            CASE WHEN epoch_us(event_time) - epoch_us(quote_time) <= $lookback_us THEN mid END AS mid,
            CASE WHEN epoch_us(event_time) - epoch_us(quote_time) <= $lookback_us THEN ask_price - bid_price END AS spread,
            CASE WHEN epoch_us(event_time) - epoch_us(quote_time) <= $lookback_us AND mid > 0 THEN CAST(ask_price - bid_price AS DOUBLE) / CAST(mid AS DOUBLE) * 10000 END AS "spreadBps",
            CASE WHEN epoch_us(event_time) - epoch_us(quote_time) <= $lookback_us THEN 2 * abs(price - mid) END AS "effectiveSpread",
            CASE WHEN epoch_us(event_time) - epoch_us(quote_time) <= $lookback_us AND mid > 0 THEN 2 * abs(CAST(price AS DOUBLE) - CAST(mid AS DOUBLE)) / CAST(mid AS DOUBLE) * 10000 END AS "effectiveSpreadBps",
            CASE WHEN epoch_us(event_time) - epoch_us(quote_time) <= $lookback_us THEN (epoch_us(event_time) - epoch_us(quote_time)) / 1000.0 END AS "quoteAgeMs"
       FROM j ORDER BY trade_id
      LIMIT $limit`,
    {
      kind: 'trades_with_quotes',
      params: { symbol, from: range.from, to: range.to, quote_from: quoteRange.from, lookback_us: BigInt(lookbackMs) * 1000n, limit },
      tables: {
        trades: tableRead(allOf(eq('symbol', symbol), ...inRange('event_time', range)), request),
        quotes: tableRead(allOf(eq('symbol', symbol), ...inRange('event_time', quoteRange)), request),
      },
      timeoutMs: request.timeoutMs,
    },
  )
}

export interface SymbolsRequest {
  /** Default: the last 24 hours. */
  readonly from?: Date
  readonly to?: Date
  readonly timeoutMs?: number
}

/** Symbols that traded in a range, with their trade counts, first and last times and last price. */
export async function symbols(engine: Queryable, request: SymbolsRequest = {}): Promise<QueryResult<SymbolRow & Record<string, unknown>>> {
  const now = Date.now()
  const range = checkRange({ from: request.from ?? new Date(now - 86_400_000), to: request.to ?? new Date(now + 60_000) })
  return engine.query(
    `SELECT symbol, count(*) AS trades, min(event_time) AS "firstTime", max(event_time) AS "lastTime", arg_max(price, trade_id) AS "lastPrice"
       FROM trades WHERE event_time >= $from AND event_time < $to
      GROUP BY symbol ORDER BY symbol`,
    { kind: 'symbols', params: { from: range.from, to: range.to }, tables: { trades: { filter: allOf(...inRange('event_time', range)) } }, timeoutMs: request.timeoutMs },
  )
}

export interface GapsRequest extends TimeRange, TimeTravel {
  readonly symbols?: readonly string[]
  /** Gaps listed at most (the summary counts all; default 1000). */
  readonly limit?: number
  readonly timeoutMs?: number
}

/**
 * Trade-id continuity per symbol: for Binance, ids are consecutive per symbol, so a gap is a
 * trade the workbench never received, and a repeated id is a duplicate.
 */
export async function tradeIdGaps(engine: Queryable, request: GapsRequest): Promise<{ summary: GapSummaryRow[]; gaps: GapRow[]; truncated: boolean }> {
  const range = checkRange(request)
  const symbols = symbolList(request.symbols)
  const limit = checkLimit(request.limit, 1000)
  const bySymbol = symbols && symbols.length > 0 ? ' AND list_contains($symbols, symbol)' : ''
  const params = { from: range.from, to: range.to, ...(bySymbol ? { symbols } : {}) }
  const tables: QueryOptions['tables'] = { trades: tableRead(allOf(...symbolsFilter(symbols), ...inRange('event_time', range)), request) }
  const summary = await engine.query<GapSummaryRow & Record<string, unknown>>(
    `SELECT symbol, count(*) AS trades, min(trade_id) AS "firstTradeId", max(trade_id) AS "lastTradeId",
            (max(trade_id) - min(trade_id) + 1) - count(DISTINCT trade_id) AS missing,
            count(*) - count(DISTINCT trade_id) AS duplicates
       FROM trades WHERE event_time >= $from AND event_time < $to${bySymbol}
      GROUP BY symbol ORDER BY symbol`,
    { kind: 'gaps', params, tables, timeoutMs: request.timeoutMs },
  )
  const gaps = await engine.query<GapRow & Record<string, unknown>>(
    `SELECT symbol, prev AS "afterTradeId", trade_id AS "beforeTradeId", trade_id - prev - 1 AS missing
       FROM (SELECT symbol, trade_id, lag(trade_id) OVER (PARTITION BY symbol ORDER BY trade_id) AS prev
               FROM (SELECT DISTINCT symbol, trade_id FROM trades WHERE event_time >= $from AND event_time < $to${bySymbol}))
      WHERE trade_id - prev > 1
      ORDER BY symbol, trade_id`,
    { kind: 'gaps', params, tables, timeoutMs: request.timeoutMs, maxRows: limit },
  )
  return { summary: summary.rows, gaps: gaps.rows, truncated: gaps.truncated }
}
