export { createLogger, silentLogger } from './logger'
export type { Logger, LogLevel, LogFields, LogRecord, LoggerOptions } from './logger'
