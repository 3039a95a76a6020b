export { createQueryEngine, engineTables, bindParameters, trimTarget } from './query-engine'
export type { QueryEngine, QueryEngineOptions, QueryEngineDeps, QueryOptions, QueryResult, QueryParam, TableRead, ReadBoundary, TailRead, SnapshotInfo, EngineTable, EngineTopics, LatestIndexRequest } from './query-engine'
export { lakeFilesSql } from './lake-files'
export { createDataFileCache } from './file-cache'
export type { DataFileCache, DataFileCacheOptions } from './file-cache'
export { createKafkaTail } from './kafka-tail'
export type { KafkaTail, KafkaTailOptions } from './kafka-tail'
export type { TailStream } from './tail-topic'
export { tailColumns, joinStringList, TailChunk, StringDictionary } from './tail-columns'
export type { TailColumn, TailColumnKind } from './tail-columns'
export { compileColumnDecoder, tradeTailMapping, quoteTailMapping, wireSchemaId } from './tail-decoder'
export type { ColumnDecoder, TailRecordMapping } from './tail-decoder'
export { marketTailStream } from './tail-streams'
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
