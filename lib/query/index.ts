export { createQueryEngine, engineTables, bindParameters } from './query-engine'
export type { QueryEngine, QueryEngineOptions, QueryEngineDeps, QueryOptions, QueryResult, QueryParam, TableRead, ReadBoundary, SnapshotInfo, EngineTable } from './query-engine'
export { createDataFileCache } from './file-cache'
export type { DataFileCache, DataFileCacheOptions } from './file-cache'
export { createKafkaTail } from './kafka-tail'
export type { KafkaTail, KafkaTailOptions, TailStream } from './kafka-tail'
export { exactValueConverter, rowsOf, arrowTableOf } from './query-result'
export type { QueryColumn, QueryRow } from './query-result'
export { trades, recentTrades, quotes, bars, latestTrades, latestQuotes, tradesWithQuotes, symbols, tradeIdGaps, parseInterval, checkSymbol, checkRange } from './market-analytics'
export type {
  Queryable,
  TimeTravel,
  TimeRange,
  TradeRow,
  QuoteRow,
  BarRow,
  LatestTradeRow,
  LatestQuoteRow,
  TradeQuoteRow,
  SymbolRow,
  GapRow,
  GapSummaryRow,
  TradesRequest,
  RecentTradesRequest,
  QuotesRequest,
  BarsRequest,
  LatestRequest,
  TradesWithQuotesRequest,
  SymbolsRequest,
  GapsRequest,
} from './market-analytics'
export { openQueryEngine } from './engine-from-config'
export type { OpenQueryEngineOptions } from './engine-from-config'
