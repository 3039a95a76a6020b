/**
 * What a market is made of, in the exchange's own terms: the instruments it lists, the trades and
 * book changes it emits, and where a run stopped. Types only, imported by every market and by the
 * Binance wire encoders, so they sit below both and neither depends on the other.
 */

/** A tradable pair: its assets and the scales of its prices (tick 10^-priceDecimals) and quantities. */
export interface Instrument {
  readonly symbol: string
  readonly baseAsset: string
  readonly quoteAsset: string
  readonly priceDecimals: number
  readonly qtyDecimals: number
}

/** One trade as the market produced it; strings are exact decimals with 8 fractional digits. */
export interface MarketTrade {
  readonly kind: 'trade'
  readonly symbol: string
  readonly tradeId: number
  readonly price: string
  readonly quantity: string
  /** True when the taker sold (the trade hit the bid). */
  readonly buyerIsMaker: boolean
  /** Trade time, µs since the epoch. */
  readonly timeMicros: number
  /** When the exchange published it (≥ timeMicros, non-decreasing per symbol), µs. */
  readonly eventTimeMicros: number
}

/** The best bid and offer after a change. */
export interface MarketQuote {
  readonly kind: 'quote'
  readonly symbol: string
  readonly updateId: number
  readonly bidPrice: string
  readonly bidSize: string
  readonly askPrice: string
  readonly askSize: string
  /** When the book changed, µs since the epoch (bookTicker frames carry no time; pacing uses it). */
  readonly timeMicros: number
}

/** What a market emits: a trade or a change of the best bid and offer. */
export type MarketEvent = MarketTrade | MarketQuote

/** The last trade id, book update id and trade price played per symbol (see SyntheticMarketOptions.resume). */
export type MarketResumePoint = Readonly<Record<string, SymbolResumePoint>>

export interface SymbolResumePoint {
  readonly lastTradeId?: number
  readonly lastUpdateId?: number
  /** Last trade price as a decimal string. */
  readonly lastPrice?: string
}
