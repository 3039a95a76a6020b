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
export { createSchemaRegistryClient } from './avro/index'
export type { SchemaRegistryClient, SchemaRegistryOptions, RegisteredSchema, Compatibility } from './avro/index'
export { createRestCatalogClient, encodeNamespace, createS3Store, createS3Client, ensureBucket } from './iceberg/index'
export type { RestCatalogClient, RestCatalogOptions, LoadedTable, TableMetadata, IcebergSchema, CreateTableRequest, ObjectStore, S3StoreOptions } from './iceberg/index'
export type { Trade, Quote, TradeSide, RejectReason } from './market/index'
export { createSequenceTracker } from './ingest/index'
export type { SequenceTracker, SequenceTrackerOptions, SequenceCounters, TradeGap } from './ingest/index'
