/**
 * The K2 workbench library: the one public surface that notebooks, pipelines and tests import.
 * Folders follow the data flow; each names its exports in its own index.ts.
 */
export { parseConfig, loadConfig, configKeys, requireSecret, projectRoot, parseEnvFile, credentialsFileName } from './config/index'
export type { WorkbenchConfig, ConfigKey } from './config/index'
export { ErrorCode, WorkbenchError, isWorkbenchError, errorMessage, retry, backoffDelay, sleep, defaultRetryPolicy } from './errors/index'
export type { RetryPolicy } from './errors/index'
export { createLogger, silentLogger } from './logger/index'
export type { Logger, LogLevel, LogFields, LogRecord, LoggerOptions } from './logger/index'
export { requestJson, parseJson, stringifyJson, HttpError } from './http/index'
export type { HttpRequest } from './http/index'
export {
  createSchemaRegistryClient,
  createRecordSerde,
  valueSubject,
  encodeTrade,
  decodeTrade,
  createTradeReader,
  encodeQuote,
  decodeQuote,
  createQuoteReader,
  createAvroType,
  tradeSchema,
  tradeSchemaV1,
  quoteSchema,
  tradeType,
  quoteType,
  encodeDecimal,
  decodeDecimal,
  canonicalDecimal,
  DecimalType,
  frame,
  unframe,
  wireHeaderBytes,
} from './avro/index'
export type {
  SchemaRegistryClient,
  SchemaRegistryOptions,
  RegisteredSchema,
  Compatibility,
  RecordSerde,
  RecordSerdeOptions,
  RecordTopics,
  RecordSchemaIds,
  AvroSchema,
  RecordReader,
  FramedRecord,
} from './avro/index'
export { createRestCatalogClient, encodeNamespace, createS3Store, createS3Client, ensureBucket, createWarehouseStore } from './iceberg/index'
export type { RestCatalogClient, RestCatalogOptions, LoadedTable, TableMetadata, IcebergSchema, CreateTableRequest, ObjectStore, S3StoreOptions } from './iceberg/index'
export { rejectReasons } from './market/index'
export type { Trade, Quote, TradeSide, RejectReason } from './market/index'
export { createSequenceTracker, normaliseBinanceFrame, canonicalPositiveDecimal, priceDecimal, quantityDecimal, createBatchingProducer, createKafkaSender, createThreadedKafkaSender, cachedDefaultPartitioner, ensureTopics, runIngestor } from './ingest/index'
export type {
  SequenceTracker,
  SequenceTrackerOptions,
  SequenceCounters,
  TradeGap,
  Normalised,
  NormaliseContext,
  SymbolInfo,
  BatchingProducer,
  BatchingProducerOptions,
  OutgoingRecord,
  BatchSender,
  TopicSpec,
  IngestorOptions,
  IngestorDeps,
  IngestReport,
  RecordEncoder,
} from './ingest/index'
export { metricDefinitions, createMetrics, startMetricsServer } from './metrics/index'
export type { MetricKey, Metrics, MetricsServer, MetricsServerOptions } from './metrics/index'
export {
  createReplayExchange,
  createSyntheticMarket,
  createCaptureMarket,
  createTradeHistory,
  createSeededRandom,
  createBinanceWsSource,
  createBinanceRest,
  historyRowToTradeEvent,
  nowMicros,
  streamName,
  parseStreamName,
  parseFrame,
  asTradeEvent,
  asBookTickerEvent,
  toTradeEvent,
  toBookTickerEvent,
  toExchangeInfo,
  captureLine,
  formatDecimal8,
  formatBigDecimal8,
  parseDecimalUnits,
  malformedKinds,
  malformedRejectReason,
  malformedFrameJson,
  BinanceErrorCode,
  historicalTradesDefaultLimit,
  historicalTradesMaxLimit,
} from './feed/index'
export type {
  ReplayExchange,
  ReplayExchangeOptions,
  ReplayExchangeStats,
  ReplayFaults,
  FrameFault,
  ConnectionFault,
  ReplayMarket,
  SyntheticMarket,
  MarketEvent,
  MarketTrade,
  MarketQuote,
  Instrument,
  CaptureMarket,
  TradeHistory,
  BinanceTradeEvent,
  BinanceBookTickerEvent,
  BinanceHistoricalTrade,
  BinanceExchangeInfo,
  BinanceTimeUnit,
  MalformedKind,
  BinanceWsSource,
  BinanceWsSourceOptions,
  BinanceWsSourceEvents,
  DisconnectCause,
  BinanceRest,
  BinanceRestOptions,
  HistoricalTrade,
  ListedSymbol,
} from './feed/index'
