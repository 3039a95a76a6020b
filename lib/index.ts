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
