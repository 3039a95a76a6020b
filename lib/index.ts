/**
 * The K2 workbench library: the one public surface that notebooks, pipelines and tests import.
 * Folders follow the data flow; each names its exports in its own index.ts.
 */
export { parseConfig, loadConfig, configKeys, requireSecret, projectRoot, parseEnvFile, credentialsFileName } from './config'
export type { WorkbenchConfig, ConfigKey } from './config'
export { ErrorCode, WorkbenchError, isWorkbenchError, errorMessage, retry, backoffDelay, sleep, defaultRetryPolicy } from './errors'
export type { RetryPolicy } from './errors'
export { createLogger, silentLogger } from './logger'
export type { Logger, LogLevel, LogFields, LogRecord, LoggerOptions } from './logger'
export { requestJson, parseJson, stringifyJson, HttpError } from './http'
export type { HttpRequest } from './http'
export { createSchemaRegistryClient } from './avro'
export type { SchemaRegistryClient, SchemaRegistryOptions, RegisteredSchema, Compatibility } from './avro'
export { createRestCatalogClient, encodeNamespace, createS3Store, createS3Client, ensureBucket } from './iceberg'
export type { RestCatalogClient, RestCatalogOptions, LoadedTable, TableMetadata, IcebergSchema, CreateTableRequest, ObjectStore, S3StoreOptions } from './iceberg'
