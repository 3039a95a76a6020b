import type { Quote, Trade } from '../market/types'
import type { PartitionSpec, Schema, SortOrder } from './spec-types'

/**
 * How a market record becomes an Iceberg row: the table's schema, partitioning and sort order,
 * and the values of one record in schema field order. The writer stages these values in
 * DuckDB by Iceberg type (strings, longs, µs timestamps as bigint, decimals as exact strings,
 * lists of strings) and converts them there.
 *
 * Why these layouts: docs/decisions.md ("Table layout of market.trades and market.quotes").
 */
export interface TableDesign<R> {
  /** Table name in the `market` namespace by default (`trades`, `quotes`). */
  readonly name: string
  readonly schema: Schema
  readonly spec: PartitionSpec
  readonly sortOrder: SortOrder
  /** Table properties set at creation. */
  readonly properties: Readonly<Record<string, string>>
  /** Values of one record, one per top-level schema field, in field order. */
  row(record: R): unknown[]
}

/**
 * Quantities are decimal(38, 8) in the lake although Avro allows 28 digits: Parquet must store a
 * decimal in the fewest bytes its precision needs, and DuckDB writes every decimal wider than 18
 * digits in 16 bytes, which is that minimum for precision 38 only (docs/decisions.md).
 */
const quantityType = 'decimal(38, 8)'

/**
 * Rows per Parquet row group of every data file the workbench writes (sink, compaction, rollups):
 * a compacted day file is sorted by symbol and time, so a group this size spans well under an
 * hour of one symbol, and a short span of time decodes little (D85). The sink's default for
 * K2_SINK_ROW_GROUP_SIZE.
 */
export const defaultRowGroupRows = 16_384

/** Number of symbol buckets: enough to prune a one-symbol query to a small share of files, few enough to keep files per commit low. */
export const symbolBuckets = 16

/** Properties every table of ours is created with. */
export const tableProperties = {
  'write.format.default': 'parquet',
  'write.parquet.compression-codec': 'zstd',
  'format-version': '2',
  'write.metadata.delete-after-commit.enabled': 'true',
  'write.metadata.previous-versions-max': '50',
} as const

/** Sorted by symbol, then time: a symbol's rows sit together in each file. */
export const symbolThenTime = (symbolId: number, timeId: number): SortOrder => ({
  'order-id': 1,
  fields: [
    { transform: 'identity', 'source-id': symbolId, direction: 'asc', 'null-order': 'nulls-first' },
    { transform: 'identity', 'source-id': timeId, direction: 'asc', 'null-order': 'nulls-first' },
  ],
})

/** Partitioned by the day of the time column and a bucket of the symbol. */
export const dayAndSymbolBucket = (timeId: number, symbolId: number, dayName = 'event_day'): PartitionSpec => ({
  'spec-id': 0,
  fields: [
    { 'source-id': timeId, 'field-id': 1000, name: dayName, transform: 'day' },
    { 'source-id': symbolId, 'field-id': 1001, name: 'symbol_bucket', transform: `bucket[${symbolBuckets}]` },
  ],
})

/**
 * Partitioned by the day of the time column alone: for tables a thousand times smaller than the
 * trades (the rollups), where a bucket per symbol would only multiply small files.
 */
export const dayOnly = (timeId: number, dayName: string): PartitionSpec => ({
  'spec-id': 0,
  fields: [{ 'source-id': timeId, 'field-id': 1000, name: dayName, transform: 'day' }],
})

/** `market.trades`: one row per executed trade; (exchange, symbol, trade_id) identifies it. */
export const tradesTable: TableDesign<Trade> = {
  name: 'trades',
  schema: {
    type: 'struct',
    'schema-id': 0,
    'identifier-field-ids': [1, 2, 3],
    fields: [
      { id: 1, name: 'exchange', required: true, type: 'string', doc: 'Upper-case venue, e.g. BINANCE.' },
      { id: 2, name: 'symbol', required: true, type: 'string', doc: 'Upper-case exchange symbol, e.g. BTCUSDT.' },
      { id: 3, name: 'trade_id', required: true, type: 'long', doc: "The exchange's trade id, strictly increasing per symbol." },
      { id: 4, name: 'event_time', required: true, type: 'timestamptz', doc: 'Exchange trade time, µs, UTC.' },
      { id: 5, name: 'price', required: true, type: 'decimal(18, 8)', doc: 'Trade price in the quote currency, exact.' },
      { id: 6, name: 'quantity', required: true, type: quantityType, doc: 'Traded quantity in the base asset, exact.' },
      { id: 7, name: 'currency', required: true, type: 'string', doc: 'Quote currency, e.g. USDT.' },
      { id: 8, name: 'side', required: true, type: 'string', doc: 'Taker side: BUY or SELL.' },
      { id: 9, name: 'asset_class', required: true, type: 'string', doc: 'crypto.' },
      { id: 10, name: 'trade_conditions', required: true, type: { type: 'list', 'element-id': 14, element: 'string', 'element-required': true }, doc: 'Venue condition codes; empty for Binance spot.' },
      { id: 11, name: 'source_sequence', required: true, type: 'long', doc: "The source's own sequence (Binance: the trade id)." },
      { id: 12, name: 'ingestion_time', required: true, type: 'timestamptz', doc: 'When the workbench received the frame, µs, UTC.' },
      { id: 13, name: 'platform_sequence', required: true, type: 'long', doc: "The ingestor's strictly increasing sequence." },
    ],
  },
  spec: dayAndSymbolBucket(4, 2),
  sortOrder: symbolThenTime(2, 4),
  properties: tableProperties,
  row: (t) => [
    t.exchange,
    t.symbol,
    t.tradeId,
    t.timestampMicros,
    t.price,
    t.quantity,
    t.currency,
    t.side,
    t.assetClass,
    t.tradeConditions,
    t.sourceSequence,
    t.ingestionTimestampMicros,
    t.platformSequence,
  ],
}

/** `market.quotes`: one row per change of the best bid and offer; (exchange, symbol, update_id) identifies it. */
export const quotesTable: TableDesign<Quote> = {
  name: 'quotes',
  schema: {
    type: 'struct',
    'schema-id': 0,
    'identifier-field-ids': [1, 2, 3],
    fields: [
      { id: 1, name: 'exchange', required: true, type: 'string', doc: 'Upper-case venue, e.g. BINANCE.' },
      { id: 2, name: 'symbol', required: true, type: 'string', doc: 'Upper-case exchange symbol, e.g. BTCUSDT.' },
      { id: 3, name: 'update_id', required: true, type: 'long', doc: 'Order book update id, increasing per symbol.' },
      { id: 4, name: 'event_time', required: true, type: 'timestamptz', doc: 'Exchange event time (else ingestion time), µs, UTC.' },
      { id: 5, name: 'bid_price', required: true, type: 'decimal(18, 8)', doc: 'Best bid price, exact.' },
      { id: 6, name: 'bid_size', required: true, type: quantityType, doc: 'Quantity at the best bid, exact.' },
      { id: 7, name: 'ask_price', required: true, type: 'decimal(18, 8)', doc: 'Best ask price, exact.' },
      { id: 8, name: 'ask_size', required: true, type: quantityType, doc: 'Quantity at the best ask, exact.' },
      { id: 9, name: 'currency', required: true, type: 'string', doc: 'Quote currency, e.g. USDT.' },
      { id: 10, name: 'asset_class', required: true, type: 'string', doc: 'crypto.' },
      { id: 11, name: 'ingestion_time', required: true, type: 'timestamptz', doc: 'When the workbench received the frame, µs, UTC.' },
      { id: 12, name: 'platform_sequence', required: true, type: 'long', doc: "The ingestor's strictly increasing sequence." },
    ],
  },
  spec: dayAndSymbolBucket(4, 2),
  sortOrder: symbolThenTime(2, 4),
  properties: tableProperties,
  row: (q) => [q.exchange, q.symbol, q.updateId, q.timestampMicros, q.bidPrice, q.bidSize, q.askPrice, q.askSize, q.currency, q.assetClass, q.ingestionTimestampMicros, q.platformSequence],
}
