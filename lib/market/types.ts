/**
 * The workbench's market records, as normalised from exchange frames and before Avro encoding.
 * Prices and quantities are exact decimal strings (never floating point on the write path);
 * identifiers and timestamps that can exceed 2^53 are bigint.
 */

/** Which side took liquidity. Binance: buyer-is-maker `m=true` means the taker sold (SELL). */
export type TradeSide = 'BUY' | 'SELL'

/** One executed trade (Avro: trade v2). */
export interface Trade {
  /** Deterministic id, `${exchange}:${symbol}:${tradeId}`: the same trade always has the same id. */
  readonly messageId: string
  /** The exchange's trade id, strictly increasing per symbol (Binance `t`). */
  readonly tradeId: bigint
  /** Upper-case exchange symbol, e.g. `BTCUSDT`. */
  readonly symbol: string
  /** Upper-case venue, e.g. `BINANCE`. */
  readonly exchange: string
  readonly assetClass: 'crypto'
  /** Exchange trade time in microseconds since the epoch, UTC (Binance `T`). */
  readonly timestampMicros: bigint
  /** Exact decimal, canonical form with 8 fractional digits: `"67012.50000000"`. */
  readonly price: string
  readonly quantity: string
  /** Quote currency of the symbol, e.g. `USDT`. */
  readonly currency: string
  readonly side: TradeSide
  readonly tradeConditions: readonly string[]
  /** The source's own sequence for this record (for Binance trades: the trade id). */
  readonly sourceSequence: bigint
  /** When the workbench received the frame, microseconds since the epoch. */
  readonly ingestionTimestampMicros: bigint
  /** The ingestor's own strictly increasing sequence across all records it produced. */
  readonly platformSequence: bigint
  /** Fields of the source frame the schema does not model (stringified). */
  readonly vendorData: Readonly<Record<string, string>>
}

/** Best bid and offer for a symbol (Avro: quote v2; Binance `bookTicker`). */
export interface Quote {
  readonly messageId: string
  /** Order book update id (Binance `u`), increasing per symbol. */
  readonly updateId: bigint
  readonly symbol: string
  readonly exchange: string
  readonly assetClass: 'crypto'
  /** Exchange event time in µs when the source gives one, else the ingestion time. */
  readonly timestampMicros: bigint
  readonly bidPrice: string
  readonly bidSize: string
  readonly askPrice: string
  readonly askSize: string
  readonly currency: string
  readonly ingestionTimestampMicros: bigint
  readonly platformSequence: bigint
  readonly vendorData: Readonly<Record<string, string>>
}

/** Why a frame could not become a record: the dead-letter reasons, a bounded set of labels. */
export const rejectReasons = [
  'malformed_json',
  'oversize_frame',
  'unknown_event_type',
  'missing_field',
  'wrong_type',
  'non_numeric',
  'non_positive',
  'out_of_range',
  'unknown_symbol',
  'crossed_book',
] as const

export type RejectReason = (typeof rejectReasons)[number]
