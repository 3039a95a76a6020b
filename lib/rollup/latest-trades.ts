import { dayOnly, symbolThenTime, tableProperties, type TableDesign } from '../iceberg/table-design'

/**
 * The latest trade per symbol, kept as partials the way the minute bars are (docs/decisions.md,
 * D74): each batch the rollup folds in adds, per symbol it touched, its trade with the highest
 * trade id. The latest trade of a symbol overall is the row with the highest trade id among the
 * partials and the Kafka tail (trade ids increase with time per symbol), so `latestTrades` reads a
 * few rows per symbol and commit instead of every trade of its look-back.
 *
 * Everything here is SQL text over named relations; no IO.
 */

/** A batch's last trade of one symbol, as the table stores it (decimals as exact strings). */
export interface LatestTradePartialRow {
  readonly symbol: string
  readonly tradeId: bigint
  readonly eventTimeMicros: bigint
  readonly price: string
  readonly quantity: string
  readonly side: string
}

/** `market.trades_latest`: partitioned by day (a look-back prunes to its days), sorted by symbol then time. */
export const latestTradesTable: TableDesign<LatestTradePartialRow> = {
  name: 'trades_latest',
  schema: {
    type: 'struct',
    'schema-id': 0,
    'identifier-field-ids': [1, 2],
    fields: [
      { id: 1, name: 'symbol', required: true, type: 'string', doc: 'Upper-case exchange symbol, e.g. BTCUSDT.' },
      { id: 2, name: 'trade_id', required: true, type: 'long', doc: "The batch's highest trade id of the symbol." },
      { id: 3, name: 'event_time', required: true, type: 'timestamptz', doc: 'Exchange time of that trade, µs, UTC.' },
      { id: 4, name: 'price', required: true, type: 'decimal(18, 8)', doc: 'Its price, exact.' },
      { id: 5, name: 'quantity', required: true, type: 'decimal(38, 8)', doc: 'Its quantity, exact.' },
      { id: 6, name: 'side', required: true, type: 'string', doc: 'Taker side: BUY or SELL.' },
    ],
  },
  spec: dayOnly(3, 'event_day'),
  sortOrder: symbolThenTime(1, 3),
  properties: tableProperties,
  row: (t) => [t.symbol, t.tradeId, t.eventTimeMicros, t.price, t.quantity, t.side],
}

/** Per symbol in `relation` (trades), its trade with the highest id, in the table's column order; `keys` as partialBarsSql takes them. */
export function partialLatestSql(relation: string, keys: readonly string[] = []): string {
  const lead = keys.map((k) => `${k}, `).join('')
  return `SELECT ${lead}symbol, max(trade_id) AS trade_id, arg_max(event_time, trade_id) AS event_time, arg_max(price, trade_id) AS price,
          arg_max(quantity, trade_id) AS quantity, arg_max(side, trade_id) AS side
     FROM ${relation}
    GROUP BY ${lead}symbol`
}

/** The latest-trade rollup as its writer keeps it. */
export const latestTradesRollup = { table: latestTradesTable, partialSql: partialLatestSql } as const
