export type { Instrument, MarketTrade, MarketQuote, MarketEvent, MarketResumePoint, SymbolResumePoint } from './market-events'
export { createSeededRandom } from './seeded-random'
export type { SeededRandom } from './seeded-random'
export {
  streamName,
  parseStreamName,
  formatDecimal8,
  formatBigDecimal8,
  parseDecimalUnits,
  significantDecimals,
  unitString,
  tradeEventJson,
  bookTickerEventJson,
  serverShutdownEventJson,
  serverShutdownStream,
  combinedFrameJson,
  historicalTradeJson,
  historicalTradesJson,
  exchangeInfoJson,
  binanceErrorJson,
  BinanceErrorCode,
  toTradeEvent,
  toBookTickerEvent,
  toExchangeInfo,
  captureLine,
  parseFrame,
  asTradeEvent,
  asBookTickerEvent,
  malformedKinds,
  malformedRejectReason,
  malformedFrameJson,
  unknownSymbol,
} from './binance-frames'
export type {
  BinanceTradeEvent,
  BinanceBookTickerEvent,
  BinanceServerShutdownEvent,
  BinanceCombinedFrame,
  BinanceHistoricalTrade,
  BinanceSymbolFilter,
  BinanceSymbolInfo,
  BinanceExchangeInfo,
  BinanceErrorBody,
  BinanceStreamKind,
  BinanceTimeUnit,
  ParsedFrame,
  MalformedKind,
} from './binance-frames'
export type { ReplayMarket } from './replay-market'
export { createSyntheticMarket } from './synthetic-market'
export type { SyntheticMarket, SyntheticMarketOptions } from './synthetic-market'
export { createTradeHistory, historicalTradesDefaultLimit, historicalTradesMaxLimit } from './trade-history'
export type { TradeHistory, TradeHistoryOptions } from './trade-history'
export { createCaptureMarket } from './capture-market'
export type { CaptureMarket, CaptureMarketOptions } from './capture-market'
export { createReplayExchange } from './replay-exchange-server'
export { resumeFilePath, readResumeFile, writeResumeFile } from './resume-file'
export type { ReplayExchange, ReplayExchangeDeps } from './replay-exchange-server'
export type { ReplayExchangeOptions } from './replay-exchange-options'
export type { ReplayExchangeStats } from './replay-stats'
export type { ReplayFaults, FrameFault, ConnectionFault } from './replay-faults'
export { createBinanceWsSource, nowMicros } from './source-binance-ws'
export { createGroupedWsSource } from './source-connections'
export type { GroupedSource, GroupedSourceEvents } from './source-connections'
export { planConnections, binanceMaxStreamsPerConnection } from './connection-plan'
export type { ConnectionPlanLimits } from './connection-plan'
export type { BinanceWsSource, BinanceWsSourceOptions, BinanceWsSourceEvents, DisconnectCause } from './source-binance-ws'
export { createBinanceRest, historyRowToTradeEvent } from './history-binance-rest'
export type { BinanceRest, BinanceRestOptions, HistoricalTrade, ListedSymbol } from './history-binance-rest'
