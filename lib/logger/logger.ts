/** Severity, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }

export type LogFields = Record<string, unknown>

/**
 * The logger every lib component takes as a dependency: lib never writes to the console itself.
 * `child(namespace)` scopes lines to a component (`ingest`, `sink.commit`).
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
  child(namespace: string): Logger
}

/** One emitted line, before formatting. */
export interface LogRecord {
  readonly time: Date
  readonly level: Exclude<LogLevel, 'silent'>
  readonly namespace: string
  readonly message: string
  readonly fields: LogFields
}

export interface LoggerOptions {
  readonly level?: LogLevel
  /** `json`: one JSON object a line (for workers); `pretty`: a human line (for terminals). */
  readonly format?: 'json' | 'pretty'
  /** Where formatted lines go; the entry point passes e.g. `(l) => process.stderr.write(l)`. */
  readonly write: (line: string) => void
  readonly namespace?: string
}

/** A logger that formats records and hands each line to `write`. */
export function createLogger(options: LoggerOptions): Logger {
  const threshold = rank[options.level ?? 'info']
  const format = options.format === 'json' ? formatJson : formatPretty
  const make = (namespace: string): Logger => {
    const emit = (level: LogRecord['level'], message: string, fields: LogFields = {}): void => {
      if (rank[level] < threshold) return
      options.write(format({ time: new Date(), level, namespace, message, fields }) + '\n')
    }
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (ns) => make(namespace ? `${namespace}.${ns}` : ns),
    }
  }
  return make(options.namespace ?? '')
}

/** A logger that drops everything: the default for library calls from tests and notebooks. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
}

function formatJson(r: LogRecord): string {
  return JSON.stringify({ time: r.time.toISOString(), level: r.level, ns: r.namespace || undefined, msg: r.message, ...r.fields }, jsonSafe)
}

function formatPretty(r: LogRecord): string {
  const fields = Object.entries(r.fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v, jsonSafe)}`)
    .join(' ')
  const ns = r.namespace ? ` [${r.namespace}]` : ''
  return `${r.time.toISOString().slice(11, 23)} ${r.level.toUpperCase().padEnd(5)}${ns} ${r.message}${fields ? ' ' + fields : ''}`
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Error) return { message: value.message, code: (value as { code?: unknown }).code }
  return value
}
