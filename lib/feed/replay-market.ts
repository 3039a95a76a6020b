/**
 * The contract between a market (synthetic, or a capture) and the replay exchange that plays it.
 * Apart from market-events.ts because its REST rows are Binance wire shapes, and those encoders
 * in turn take market events: one file holding both would import binance-frames.ts and be
 * imported by it.
 */
import type { BinanceHistoricalTrade } from './binance-frames'
import type { Instrument, MarketEvent } from './market-events'

/** What the replay exchange plays: a tape of events in time order, and recent trades for REST. */
export interface ReplayMarket {
  readonly instruments: readonly Instrument[]
  /** The next event in time order; undefined when the tape has ended (captures end, synthetic markets do not). */
  next(): MarketEvent | undefined
  /** `historicalTrades` rows already played (see TradeHistory.query); undefined for an unknown symbol. */
  history(symbol: string, fromId?: number, limit?: number, unit?: 'ms' | 'us'): BinanceHistoricalTrade[] | undefined
}
