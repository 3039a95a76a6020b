import { dayOnly, symbolThenTime, tableProperties, type TableDesign } from '../iceberg/table-design'

/**
 * One-minute bars kept as partial aggregates that merge exactly (docs/decisions.md, D72).
 *
 * A rollup writer turns each batch of trades it commits into one row per (symbol, minute) the
 * batch touched: open and close as the prices of the batch's lowest and highest trade id in that
 * minute, high, low, the exact sums of quantity and of price × quantity, the trade count and the
 * first and last trade id. A minute whose trades arrive in several batches (a commit every 30 s
 * splits most minutes in two) has several such rows. Because every trade is in exactly one batch,
 * merging the rows of a minute, or of any interval made of whole minutes, gives the bar of its
 * trades field for field: open is the open of the row with the lowest first trade id, close the
 * close of the row with the highest last one, the rest are max, min and sums. Rows of the Kafka
 * tail, aggregated the same way at query time, merge in the same way, so the current minute is
 * exact too. Compaction may merge a minute's rows into one; it never changes a merged bar.
 *
 * Everything here is SQL text over named relations and DuckDB parameters; no IO.
 */

/** A partial bar as the rollup table stores it (decimals as exact strings). */
export interface PartialBarRow {
  readonly symbol: string
  /** Start of the minute, µs since the epoch, UTC. */
  readonly minuteMicros: bigint
  readonly open: string
  readonly high: string
  readonly low: string
  readonly close: string
  readonly volume: string
  /** Sum of price × quantity, exact (16 decimals). */
  readonly notional: string
  readonly trades: bigint
  readonly firstTradeId: bigint
  readonly lastTradeId: bigint
}

/** µs in a minute: the rollup's grain. */
export const minuteMicros = 60_000_000n

/**
 * `market.trades_bars_1m`. Partitioned by the day of the minute only (a day of every symbol's
 * partial bars is a few MB: a bucket per symbol, as the trades have, made a 24 h query read 36
 * small files instead of 2–4), sorted by symbol then minute; (symbol, minute, first_trade_id)
 * identifies a row.
 */
export const minuteBarsTable: TableDesign<PartialBarRow> = {
  name: 'trades_bars_1m',
  schema: {
    type: 'struct',
    'schema-id': 0,
    'identifier-field-ids': [1, 2, 10],
    fields: [
      { id: 1, name: 'symbol', required: true, type: 'string', doc: 'Upper-case exchange symbol, e.g. BTCUSDT.' },
      { id: 2, name: 'minute', required: true, type: 'timestamptz', doc: 'Start of the minute, UTC.' },
      { id: 3, name: 'open', required: true, type: 'decimal(18, 8)', doc: 'Price of the lowest trade id of this part of the minute.' },
      { id: 4, name: 'high', required: true, type: 'decimal(18, 8)', doc: 'Highest price.' },
      { id: 5, name: 'low', required: true, type: 'decimal(18, 8)', doc: 'Lowest price.' },
      { id: 6, name: 'close', required: true, type: 'decimal(18, 8)', doc: 'Price of the highest trade id of this part of the minute.' },
      { id: 7, name: 'volume', required: true, type: 'decimal(38, 8)', doc: 'Sum of quantities, exact.' },
      { id: 8, name: 'notional', required: true, type: 'decimal(38, 16)', doc: 'Sum of price × quantity, exact.' },
      { id: 9, name: 'trades', required: true, type: 'long', doc: 'Number of trades.' },
      { id: 10, name: 'first_trade_id', required: true, type: 'long', doc: 'Lowest trade id.' },
      { id: 11, name: 'last_trade_id', required: true, type: 'long', doc: 'Highest trade id.' },
    ],
  },
  spec: dayOnly(2, 'minute_day'),
  sortOrder: symbolThenTime(1, 2),
  properties: tableProperties,
  row: (b) => [b.symbol, b.minuteMicros, b.open, b.high, b.low, b.close, b.volume, b.notional, b.trades, b.firstTradeId, b.lastTradeId],
}

/** The rollup table's columns in schema order (what `partialBarsSql` selects). */
export const partialBarColumns = minuteBarsTable.schema.fields.map((f) => f.name)

/**
 * Partial bars of the trades in `relation` (columns symbol, trade_id, event_time, price,
 * quantity), one row per (symbol, minute), in the rollup table's column order. `keys`, columns of
 * `relation`, split them further and lead each row (the Kafka tail folds per partition).
 */
export function partialBarsSql(relation: string, keys: readonly string[] = []): string {
  const lead = keys.map((k) => `${k}, `).join('')
  return `SELECT ${lead}symbol, make_timestamptz((epoch_us(event_time) // ${minuteMicros}) * ${minuteMicros}) AS minute,
          arg_min(price, trade_id) AS open, max(price) AS high, min(price) AS low, arg_max(price, trade_id) AS close,
          sum(quantity) AS volume, sum(price * quantity) AS notional,
          count(*) AS trades, min(trade_id) AS first_trade_id, max(trade_id) AS last_trade_id
     FROM ${relation}
    GROUP BY ${lead}symbol, minute`
}

/**
 * The bars' last step, shared by bars from trades and bars from partials: from a relation `b`
 * with symbol, bucket (µs), open, high, low, close, volume, notional_exact, trades, first_id and
 * last_id, the exact notional and VWAP rounded half up to 8 decimals, computed in integers of
 * 10⁻¹⁶ and 10⁻⁸ units once per bar (DuckDB divides decimals as doubles). Takes `$limit`.
 */
export const finishBarsSql = `u AS (
       SELECT *, CAST(replace(CAST(notional_exact AS VARCHAR), '.', '') AS HUGEINT) AS notional_units16,
                 CAST(replace(CAST(volume AS VARCHAR), '.', '') AS HUGEINT) AS volume_units8
         FROM b
     )
     SELECT symbol, make_timestamptz(bucket) AS start, open, high, low, close, volume,
            CAST(CAST((notional_units16 + 50000000) // 100000000 AS DECIMAL(38, 0)) * CAST(0.00000001 AS DECIMAL(9, 8)) AS DECIMAL(38, 8)) AS notional,
            CAST(CAST((2 * notional_units16 + volume_units8) // (2 * volume_units8) AS DECIMAL(38, 0)) * CAST(0.00000001 AS DECIMAL(9, 8)) AS DECIMAL(18, 8)) AS vwap,
            trades, first_id AS "firstTradeId", last_id AS "lastTradeId"
       FROM u ORDER BY symbol, bucket
      LIMIT $limit`

/**
 * Bars of `$step` µs (a whole number of minutes) merged from the partial bars in `relation`,
 * with the same columns, types and values as bars computed from the trades themselves. `where`
 * filters the partials (on symbol and minute). Takes `$step` and `$limit`.
 */
export function mergedBarsSql(relation: string, where: readonly string[] = []): string {
  return `WITH b AS (
       SELECT symbol, (epoch_us(minute) // $step) * $step AS bucket,
              arg_min(open, first_trade_id) AS open, max(high) AS high, min(low) AS low, arg_max(close, last_trade_id) AS close,
              sum(volume) AS volume, sum(notional) AS notional_exact,
              CAST(sum(trades) AS BIGINT) AS trades, min(first_trade_id) AS first_id, max(last_trade_id) AS last_id
         FROM ${relation}
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        GROUP BY symbol, bucket
     ), ${finishBarsSql}`
}

/** The whole minutes [from, to) inside a range, in ms; undefined when it holds none. */
export interface InnerMinutes {
  readonly fromMs: number
  readonly toMs: number
}

/**
 * Whether bars of `stepMicros` over [fromMs, toMs) can come from the one-minute rollup, and over
 * which whole minutes: the interval must be whole minutes, and the range must hold at least one
 * whole minute. The parts of the range outside those minutes (a range cut inside a minute) are
 * read from the trades and folded into partial bars at query time (`rollupBarsSql`).
 */
export function rollupAnswers(stepMicros: bigint, fromMs: number, toMs: number): InnerMinutes | undefined {
  if (stepMicros % minuteMicros !== 0n) return undefined
  const inner = { fromMs: Math.ceil(fromMs / 60_000) * 60_000, toMs: Math.floor(toMs / 60_000) * 60_000 }
  return inner.fromMs < inner.toMs ? inner : undefined
}

/**
 * Bars over views `bars_1m` (partial bars: the rollup and its tail) and, when the range cuts a
 * minute, `trades`: partials of the whole minutes [$inner_from, $inner_to) from the rollup, and
 * the trades in [$from, $inner_from) (`startEdge`) and [$inner_to, $to) (`endEdge`), merged as
 * `mergedBarsSql` merges. Each edge trade enters the merge as a partial bar of its own (open,
 * high, low and close its price, one trade, first and last id its id): a bar of one trade merges
 * like any other, so the edges need no aggregation of their own. DuckDB plans every run afresh
 * (D88); folding the edges into per-minute partials first cost a second aggregation to plan and
 * run, ~0.6 ms of the 1-hour bars over 24 h (measured 2026-12-06). Each edge is its own simple
 * range, so DuckDB pushes it into the Parquet scan (an OR of the two read whole files).
 * `symbols` adds `list_contains($symbols, symbol)`. Takes `$from`, `$to`, `$inner_from`,
 * `$inner_to`, `$step`, `$limit` (and `$symbols`).
 */
export function rollupBarsSql(options: { readonly symbols: boolean; readonly startEdge: boolean; readonly endEdge: boolean }): string {
  const bySymbol = options.symbols ? ' AND list_contains($symbols, symbol)' : ''
  // A trade as a partial bar, in the rollup's column order (`minute` is its own time: the merge
  // buckets it by `$step`, a whole number of minutes, as it would its minute).
  const edge = (lo: string, hi: string): string =>
    `SELECT symbol, event_time AS minute, price AS open, price AS high, price AS low, price AS close, quantity AS volume, price * quantity AS notional,
            1 AS trades, trade_id AS first_trade_id, trade_id AS last_trade_id
       FROM trades WHERE event_time >= ${lo} AND event_time < ${hi}${bySymbol}`
  const parts = [
    `SELECT ${partialBarColumns.join(', ')} FROM bars_1m WHERE minute >= $inner_from AND minute < $inner_to${bySymbol}`,
    ...(options.startEdge ? [edge('$from', '$inner_from')] : []),
    ...(options.endEdge ? [edge('$inner_to', '$to')] : []),
  ]
  return mergedBarsSql(`(${parts.join(' UNION ALL ')}) AS parts`)
}

/** The minute-bar rollup as its writer keeps it: the table and a batch's partial bars. */
export const minuteBarsRollup = { table: minuteBarsTable, partialSql: partialBarsSql } as const

/** The column whose lower bound places a file in an hour for compaction, for tables whose time is not `event_time`. */
export const compactionTimeColumns: Readonly<Record<string, string>> = { [minuteBarsTable.name]: 'minute' }
