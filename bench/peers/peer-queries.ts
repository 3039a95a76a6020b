/**
 * The eight questions of bench:peers, asked of every system: their parameters (from one anchor
 * time, so every system answers over the same windows), the canonical rows each system's answer
 * is turned into, the reference SQL (DuckDB over views `trades` and `quotes`: the floor, and our
 * engine where SQL is its idiom), and the comparison that checks a system's answer against ours
 * before its timings count. The Python peers (peers_bench.py) produce the same canonical rows.
 */

/**
 * How a canonical column compares: ids and counts, µs times, exact decimals (8 places), floats,
 * text, and VWAP: a float that our bars round half up to 8 decimals (equal within half a unit of
 * the 8th decimal and a double's error).
 */
export type ColumnKind = 'int' | 'us' | 'dec' | 'float' | 'str' | 'vwap'

export type PeerParams = Readonly<Record<string, string | number>>

export interface PeerQuery {
  readonly name: string
  readonly title: string
  readonly params: PeerParams
  /** The canonical row's columns. */
  readonly columns: readonly ColumnKind[]
}

/** A canonical answer row: strings for decimals and text, numbers for the rest, null for no value. */
export type CanonicalRow = ReadonlyArray<string | number | null>

const minuteUs = 60_000_000
const hourUs = 60 * minuteUs

/** The eight queries over windows ending at `anchorUs` (µs; the newest trade is just before it). */
export function peerQueries(anchorUs: number): PeerQuery[] {
  const trade = ['int', 'us', 'dec', 'dec'] as const
  const bar = ['str', 'us', 'dec', 'dec', 'dec', 'dec', 'dec', 'int', 'vwap'] as const
  const to = anchorUs + minuteUs
  return [
    { name: 'recent_trades', title: 'recent trades: one symbol, 5 min, newest 1,000', params: { symbol: 'BTCUSDT', from_us: anchorUs - 5 * minuteUs, to_us: to, limit: 1000 }, columns: trade },
    { name: 'symbol_time_filter', title: 'one symbol, a 1-hour window 6 h back (≤ 10,000 rows)', params: { symbol: 'ETHUSDT', from_us: anchorUs - 6 * hourUs, to_us: anchorUs - 5 * hourUs, limit: 10_000 }, columns: trade },
    { name: 'bars_1h_1m', title: '1-minute OHLCV + VWAP bars, one symbol, last hour', params: { symbol: 'BTCUSDT', from_us: anchorUs - hourUs, to_us: to, step_us: minuteUs }, columns: bar },
    { name: 'bars_24h_all', title: '1-hour bars, all symbols, last 24 h', params: { from_us: anchorUs - 24 * hourUs, to_us: to, step_us: hourUs }, columns: bar },
    { name: 'latest_per_symbol', title: 'latest trade per symbol (24 h look-back)', params: { from_us: anchorUs - 24 * hourUs, to_us: to }, columns: ['str', 'int', 'us', 'dec', 'dec'] },
    { name: 'asof_join', title: 'trades as-of joined to quotes, one symbol, last 5 min', params: { symbol: 'BTCUSDT', from_us: anchorUs - 5 * minuteUs, to_us: to, quote_from_us: anchorUs - 6 * minuteUs, limit: 10_000 }, columns: ['int', 'dec', 'dec', 'dec'] },
    { name: 'vwap_1s', title: '1-second VWAP series, one symbol, one hour', params: { symbol: 'BTCUSDT', from_us: anchorUs - hourUs, to_us: anchorUs, step_us: 1_000_000 }, columns: ['us', 'float', 'dec', 'int'] },
    { name: 'asof_all', title: 'as-of join of every symbol, 10 min, spread per symbol', params: { from_us: anchorUs - 10 * minuteUs, to_us: anchorUs, quote_from_us: anchorUs - 20 * minuteUs }, columns: ['str', 'int', 'int', 'float'] },
  ]
}

const inRange = 'event_time >= make_timestamptz($from_us) AND event_time < make_timestamptz($to_us)'
const bySymbol = 'symbol = $symbol AND '
/** How a query hands a decimal over: as text (the reference), or as the DECIMAL itself. */
type Decimals = (x: string) => string
const barsSql = (d8: Decimals, where: string): string => `SELECT symbol, (epoch_us(event_time) // $step_us) * $step_us AS bucket,
       ${d8('arg_min(price, trade_id)')}, ${d8('max(price)')}, ${d8('min(price)')}, ${d8('arg_max(price, trade_id)')},
       ${d8('sum(quantity)')}, count(*), CAST(sum(price * quantity) AS DOUBLE) / CAST(sum(quantity) AS DOUBLE)
  FROM trades WHERE ${where} GROUP BY symbol, bucket ORDER BY symbol, bucket`
const asofSql = (symbolFilter: string): string => `WITH t AS (SELECT symbol, trade_id, event_time, price FROM trades WHERE ${symbolFilter}${inRange}),
     q AS (SELECT symbol, event_time, bid_price, ask_price FROM quotes WHERE ${symbolFilter}event_time >= make_timestamptz($quote_from_us) AND event_time < make_timestamptz($to_us)),
     j AS (SELECT t.symbol, t.trade_id, t.price, q.bid_price, q.ask_price FROM t ASOF LEFT JOIN q ON t.symbol = q.symbol AND t.event_time >= q.event_time)`

/**
 * The reference SQL of each query over views `trades` and `quotes` (DuckDB), selecting the
 * canonical columns, decimals through `d8`. Parameters are `$name` (µs as BIGINT). Ties of quote
 * times: the bench data has none (quotes are evenly spaced in µs), so the as-of joins need no tie
 * rule.
 */
const sqlOf = (d8: Decimals): Readonly<Record<string, string>> => ({
  recent_trades: `SELECT trade_id, epoch_us(event_time), ${d8('price')}, ${d8('quantity')} FROM trades WHERE ${bySymbol}${inRange} ORDER BY trade_id DESC LIMIT $limit`,
  symbol_time_filter: `SELECT trade_id, epoch_us(event_time), ${d8('price')}, ${d8('quantity')} FROM trades WHERE ${bySymbol}${inRange} ORDER BY trade_id LIMIT $limit`,
  bars_1h_1m: barsSql(d8, bySymbol + inRange),
  bars_24h_all: barsSql(d8, inRange),
  latest_per_symbol: `SELECT symbol, max(trade_id), epoch_us(arg_max(event_time, trade_id)), ${d8('arg_max(price, trade_id)')}, ${d8('arg_max(quantity, trade_id)')} FROM trades WHERE ${inRange} GROUP BY symbol ORDER BY symbol`,
  asof_join: `${asofSql(bySymbol)} SELECT trade_id, ${d8('price')}, ${d8('bid_price')}, ${d8('ask_price')} FROM j ORDER BY trade_id LIMIT $limit`,
  vwap_1s: `SELECT (epoch_us(event_time) // $step_us) * $step_us AS bucket, CAST(sum(price * quantity) AS DOUBLE) / CAST(sum(quantity) AS DOUBLE), ${d8('sum(quantity)')}, count(*)
    FROM trades WHERE ${bySymbol}${inRange} GROUP BY bucket ORDER BY bucket`,
  asof_all: `${asofSql('')} SELECT symbol, count(*), count(bid_price), avg(CAST(ask_price - bid_price AS DOUBLE)) FROM j GROUP BY symbol ORDER BY symbol`,
})

/** The reference SQL (the floor's): decimals cast to text, as DuckDB prints them. */
export const referenceSql = sqlOf((x) => `CAST(${x} AS VARCHAR)`)

/**
 * The same SQL as the engine is asked it: decimals stay DECIMAL columns, which the engine hands
 * over as exact text itself (column-reader.ts), where a cast to VARCHAR made it decode a string
 * longer than 12 bytes per cell (10,000 rows × 3 columns of the as-of join: p99 ~3× its p50).
 */
export const engineSql = sqlOf((x) => x)


/** A decimal as exactly 8 fractional digits ("1.5" → "1.50000000"); null stays null. */
export function decimal8(value: unknown): string | null {
  if (value === null || value === undefined) return null
  const text = String(value)
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text)
  if (!m) throw new Error(`not a decimal: ${text}`)
  const frac = (m[3] ?? '').padEnd(8, '0')
  if (frac.length > 8 && /[1-9]/.test(frac.slice(8))) throw new Error(`more than 8 decimals: ${text}`)
  return `${m[1]}${m[2] || '0'}.${frac.slice(0, 8)}`
}

/** µs since the epoch of a time value: a µs Timestamp or Date, an ISO string with up to 9 fractional digits, or a number. */
export function micros(value: unknown): number | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'object' && 'micros' in value) return Number((value as { micros: bigint }).micros)
  if (value instanceof Date) return value.getTime() * 1000
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value)
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(String(value))
  if (!m) throw new Error(`not a time: ${String(value)}`)
  return Date.parse(`${m[1]}Z`) * 1000 + Number((m[2] ?? '').padEnd(6, '0').slice(0, 6))
}

/** A row of any system's values as canonical values of `columns`. */
export function canonicalRow(values: readonly unknown[], columns: readonly ColumnKind[]): CanonicalRow {
  return columns.map((kind, i) => {
    const v = values[i]
    if (v === null || v === undefined) return null
    if (kind === 'dec') return decimal8(v)
    if (kind === 'us') return micros(v)
    if (kind === 'str') return String(v)
    return Number(v)
  })
}

/**
 * The first difference between `expected` (ours) and `got`, or undefined when they agree:
 * decimals exactly when `exactDecimals` (the peer stores decimals), else within a relative 1e-9
 * (a peer with doubles, the documented rounding); floats within a relative 1e-9 either way.
 */
export function firstDifference(expected: readonly CanonicalRow[], got: readonly CanonicalRow[], columns: readonly ColumnKind[], exactDecimals: boolean): string | undefined {
  if (expected.length !== got.length) return `${got.length} rows, expected ${expected.length}`
  const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1e-8, Math.abs(a), Math.abs(b))
  for (let r = 0; r < expected.length; r++) {
    for (let c = 0; c < columns.length; c++) {
      const a = expected[r]![c]
      const b = got[r]![c]
      if (a === null || b === null) {
        if (a !== b) return `row ${r} column ${c}: ${String(b)}, expected ${String(a)}`
        continue
      }
      const kind = columns[c]!
      const same =
        kind === 'vwap'
          ? Math.abs(Number(a) - Number(b)) <= 0.5e-8 + 1e-12 * Math.abs(Number(a))
          : kind === 'float' || (kind === 'dec' && !exactDecimals)
            ? close(Number(a), Number(b))
            : a === b
      if (!same) return `row ${r} column ${c}: ${String(b)}, expected ${String(a)}`
    }
  }
  return undefined
}
