import type * as http from 'node:http'
import type { Registry } from 'prom-client'
import { ErrorCode, WorkbenchError, errorMessage, isWorkbenchError } from '../errors/index'
import { stringifyJson } from '../http/index'
import type { Logger } from '../logger/index'
import { startMetricsServer, type Metrics } from '../metrics/index'
import type { QueryEngine, QueryResult } from '../query/query-engine'
import * as analytics from '../query/market-analytics'
import {
  barsParams,
  barsRequest,
  quotesParams,
  quotesRequest,
  recentParams,
  recentRequest,
  snapshotsParams,
  snapshotsRequest,
  symbolsParams,
  symbolsRequest,
  tradesParams,
  tradesRequest,
  type ApiLimits,
  type ApiRoute,
} from './api-requests'
import { openApiDocument } from './openapi'

/**
 * The HTTP API: read-only market data over the query engine. Every route validates its query
 * string first (400 with a message naming the parameter), runs one typed analytics function
 * (values as parameters, never in SQL text), and answers `{ data, meta }` JSON: decimals as exact
 * strings, snapshot ids as strings, other integers as numbers (see jsonSafe), times in ISO 8601 UTC with six fractional digits (µs). Limits: rows per
 * response, width of ranges, bars per response, a timeout (504), and requests in flight (503).
 */
export interface ApiServer {
  readonly url: string
  close(): Promise<void>
}

/** One dependency /health reports: ok with a detail, or the error. */
export interface HealthCheck {
  readonly name: string
  check(): Promise<string>
}

export interface ApiServerOptions extends ApiLimits {
  readonly host: string
  /** 0 picks a free port. */
  readonly port: number
  readonly timeoutMs: number
  /** Requests in flight at most; more are answered 503 at once (default 64). */
  readonly maxInFlight?: number
  /** Prometheus file_sd folder to announce the API's /metrics in. */
  readonly targetsDir?: string
}

export interface ApiServerDeps {
  readonly engine: QueryEngine
  readonly health: readonly HealthCheck[]
  readonly logger: Logger
  readonly metrics: Metrics & { readonly registry: Registry }
}


const str = { type: 'string' } as const
const dec = { type: 'string', description: 'exact decimal', example: '67012.50000000' } as const
const int = { type: 'integer', format: 'int64' } as const
const time = { type: 'string', format: 'date-time' } as const
const snapshotIdSchema = { type: 'string', pattern: '^-?[0-9]+$', description: 'Iceberg snapshot id (64-bit, as a string)' } as const
const source = { type: 'string', enum: ['lake', 'kafka'], description: 'lake: committed to Iceberg; kafka: the tail not committed yet' } as const

function envelope<T extends Record<string, unknown>>(result: QueryResult<T>): unknown {
  // File locations stay in the engine's result: a count is enough for an API client.
  const boundaries = Object.fromEntries(Object.entries(result.boundaries).map(([k, b]) => [k, { ...b, files: undefined }]))
  return { data: result.rows, meta: { rows: result.rows.length, truncated: result.truncated, boundaries, timings: roundTimings(result.timings) } }
}

function roundTimings(t: QueryResult['timings']): Record<string, number> {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(v * 10) / 10]))
}

/** The API's routes over an engine (also what the OpenAPI document describes). */
export function apiRoutes(engine: QueryEngine, options: ApiServerOptions, health: () => Promise<{ status: number; body: unknown }>): ApiRoute[] {
  const timeoutMs = options.timeoutMs
  return [
    {
      path: '/v1/trades',
      summary: 'Trades of a symbol in a time range',
      description: 'Lake and Kafka tail for the present; with snapshot_id or as_of, the lake as it was.',
      params: tradesParams,
      item: { symbol: str, tradeId: int, eventTime: time, price: dec, quantity: dec, side: { type: 'string', enum: ['BUY', 'SELL'] }, source },
      handle: async (q) => envelope(await analytics.trades(engine, { ...tradesRequest(q, options), timeoutMs })),
    },
    {
      path: '/v1/trades/recent',
      summary: 'The newest trades of a symbol (hybrid: lake + Kafka tail)',
      description: 'Newest first, from the last `minutes`; trades not yet committed to the lake are included (source: kafka).',
      params: recentParams,
      item: { symbol: str, tradeId: int, eventTime: time, price: dec, quantity: dec, side: str, source },
      handle: async (q) => envelope(await analytics.recentTrades(engine, { ...recentRequest(q, options), timeoutMs })),
    },
    {
      path: '/v1/quotes',
      summary: 'Best bid and offer of a symbol in a time range',
      description: 'Quotes in update-id order.',
      params: quotesParams,
      item: { symbol: str, updateId: int, eventTime: time, bidPrice: dec, bidSize: dec, askPrice: dec, askSize: dec, source },
      handle: async (q) => envelope(await analytics.quotes(engine, { ...quotesRequest(q, options), timeoutMs })),
    },
    {
      path: '/v1/symbols',
      summary: 'Symbols that traded in a range (default: the last 24 hours)',
      description: 'With trade counts, first and last trade times and last price.',
      params: symbolsParams,
      item: { symbol: str, trades: int, firstTime: time, lastTime: time, lastPrice: dec },
      handle: async (q) => envelope(await analytics.symbols(engine, { ...symbolsRequest(q, options), timeoutMs })),
    },
    {
      path: '/v1/bars',
      summary: 'OHLCV bars with VWAP',
      description: 'Bars aligned to the interval since the epoch (UTC); VWAP and notional exact to 8 decimals, rounded half up.',
      params: barsParams,
      item: { symbol: str, start: time, open: dec, high: dec, low: dec, close: dec, volume: dec, notional: dec, vwap: dec, trades: int, firstTradeId: int, lastTradeId: int },
      handle: async (q) => envelope(await analytics.bars(engine, { ...barsRequest(q, options), timeoutMs })),
    },
    {
      path: '/v1/snapshots',
      summary: 'Snapshots of a table, newest first, with the Kafka offsets each holds',
      description: 'Use a snapshot id with snapshot_id= on /v1/trades, /v1/quotes or /v1/bars to read the lake as it was.',
      params: snapshotsParams,
      item: { snapshotId: snapshotIdSchema, parentId: snapshotIdSchema, timestampMs: int, operation: str, addedRecords: int, totalRecords: int, addedFiles: int, totalFiles: int, current: { type: 'boolean' }, offsets: { type: 'object', additionalProperties: int } },
      handle: async (q) => {
        const r = snapshotsRequest(q, options)
        const all = await engine.snapshots(r.table)
        const data = all.slice(-r.limit).reverse()
        return { data, meta: { rows: data.length, truncated: all.length > data.length } }
      },
    },
    {
      path: '/health',
      summary: 'Every dependency, with its latency',
      description: '200 when all are up, 503 otherwise; each check says what it saw.',
      params: [],
      item: { name: str, ok: { type: 'boolean' }, latencyMs: { type: 'number' }, detail: str },
      handle: async () => health(),
    },
  ]
}

/**
 * Values as JSON clients read them: snapshot ids (random 63-bit) are strings, always; other
 * 64-bit integers are numbers while exact in a double (trade ids are), strings beyond 2^53, so
 * `JSON.parse` never silently rounds an id.
 */
export function jsonSafe(value: unknown, key = ''): unknown {
  if (typeof value === 'bigint') return safeBigint(key, value)
  if (value === null || typeof value !== 'object' || value instanceof Date) return value
  if (Array.isArray(value)) return value.map((v) => jsonSafe(v))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = jsonSafe(v, k)
  return out
}

const MAX_EXACT = 2n ** 53n
const safeBigint = (key: string, value: bigint): number | string =>
  key === 'snapshotId' || key === 'parentId' ? String(value) : value >= -MAX_EXACT && value <= MAX_EXACT ? Number(value) : String(value)

/**
 * A response body as JSON text, with jsonSafe's rules applied by the native serialiser as it
 * goes: no copy of the rows, and no lossless-json pass (once this took a tenth of the API's CPU
 * under the soak's query mix).
 */
export function jsonText(body: unknown): string {
  return JSON.stringify(body, (key, value: unknown) => (typeof value === 'bigint' ? safeBigint(key, value) : value)) ?? 'null'
}

const statusOf = (err: unknown): number => {
  if (!isWorkbenchError(err)) return 500
  switch (err.code) {
    case ErrorCode.QueryInvalid:
    case ErrorCode.ConfigInvalid:
      return 400
    case ErrorCode.NotFound:
      return 404
    case ErrorCode.Timeout:
      return 504
    default:
      return err.retryable || err.code === ErrorCode.ServiceUnavailable ? 503 : 500
  }
}

/** Starts the API (and its /metrics) on one port. */
export async function startApiServer(options: ApiServerOptions, deps: ApiServerDeps): Promise<ApiServer> {
  const log = deps.logger.child('api')
  const m = deps.metrics
  const maxInFlight = options.maxInFlight ?? 64
  let inFlight = 0

  const health = async (): Promise<{ status: number; body: unknown }> => {
    const checks = await Promise.all(
      deps.health.map(async (h) => {
        const start = performance.now()
        try {
          const detail = await Promise.race([h.check(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 3 s')), 3000).unref())])
          return { name: h.name, ok: true, latencyMs: Math.round((performance.now() - start) * 10) / 10, detail }
        } catch (err) {
          return { name: h.name, ok: false, latencyMs: Math.round((performance.now() - start) * 10) / 10, detail: errorMessage(err) }
        }
      }),
    )
    const ok = checks.every((c) => c.ok)
    return { status: ok ? 200 : 503, body: { status: ok ? 'ok' : 'degraded', checks } }
  }

  const routes = apiRoutes(deps.engine, options, health)
  const byPath = new Map(routes.map((r) => [r.path, r]))
  let openapi: string | undefined

  const send = (res: http.ServerResponse, status: number, body: unknown): void => {
    const text = jsonText(body)
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
    res.end(text)
  }

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const started = performance.now()
    let route = 'unknown'
    let status = 500
    try {
      let url: URL
      try {
        url = new URL(req.url ?? '/', 'http://api.invalid')
      } catch {
        throw new WorkbenchError(ErrorCode.QueryInvalid, 'the request target is not a valid URL')
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        status = 405
        res.setHeader('allow', 'GET')
        return send(res, status, { error: { code: 'METHOD_NOT_ALLOWED', message: `${req.method} is not allowed: the API is read-only (GET)` } })
      }
      if (url.pathname === '/openapi.json') {
        route = '/openapi.json'
        openapi ??= stringifyJson(openApiDocument(routes))
        status = 200
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
        res.end(openapi)
        return
      }
      const r = byPath.get(url.pathname)
      if (!r) {
        status = 404
        return send(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${url.pathname.slice(0, 200)}: see /openapi.json (routes: ${routes.map((x) => x.path).join(', ')}, /metrics)` } })
      }
      route = r.path
      if (inFlight >= maxInFlight) {
        status = 503
        res.setHeader('retry-after', '1')
        return send(res, 503, { error: { code: 'BUSY', message: `${inFlight} requests are in flight (the limit is ${maxInFlight}): retry shortly`, retryable: true } })
      }
      inFlight++
      try {
        const body = await r.handle(url.searchParams)
        if (r.path === '/health') {
          const h = body as { status: number; body: unknown }
          status = h.status
          return send(res, status, h.body)
        }
        status = 200
        return send(res, 200, body)
      } finally {
        inFlight--
      }
    } catch (err) {
      status = statusOf(err)
      if (status >= 500) log.warn('request failed', { route, status, error: errorMessage(err) })
      if (status === 503 || status === 504) res.setHeader('retry-after', '1')
      const code = isWorkbenchError(err) ? err.code : 'INTERNAL'
      const message = status === 500 ? 'internal error (logged)' : errorMessage(err)
      if (status === 500) log.error('internal error', { route, error: errorMessage(err), stack: (err as Error)?.stack })
      return send(res, status, { error: { code, message, retryable: isWorkbenchError(err) ? err.retryable : false } })
    } finally {
      m.get('apiRequests').labels(route, String(status)).inc()
      m.get('apiLatency').labels(route).observe((performance.now() - started) / 1000)
    }
  }

  const server = await startMetricsServer(m.registry, {
    host: options.host,
    port: options.port,
    worker: 'api',
    targetsDir: options.targetsDir,
    other: (req, res) => {
      handle(req, res).catch((err: unknown) => {
        log.error('response failed', { error: errorMessage(err) })
        if (!res.headersSent) res.writeHead(500)
        res.end()
      })
    },
  })
  const url = `http://${options.host}:${server.port}`
  log.info('API served', { url, openapi: `${url}/openapi.json` })
  return { url, close: () => server.close() }
}
