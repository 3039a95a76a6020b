/**
 * The replay exchange's REST endpoints, answered as Binance answers them (rest-api.md, sources in
 * binance-frames.ts): `ping`, `time`, `exchangeInfo` and `historicalTrades` under `/api/v3`, with
 * Binance's error bodies, plus the exchange's own counters at `/k2/stats`. Pure: the request comes
 * in as its method, URL and time-unit header, and the answer goes out as a status and a body.
 */
import { BinanceErrorCode, binanceErrorJson, exchangeInfoJson, historicalTradesJson, toExchangeInfo } from './binance-frames'
import type { ReplayMarket } from './replay-market'
import { historicalTradesDefaultLimit, historicalTradesMaxLimit } from './trade-history'
import { requestTarget } from './replay-protocol'

/** What a REST answer reads from the exchange. */
export interface ReplayRestContext {
  readonly market: ReplayMarket
  /** The exchange's clock, ms (see marketClockMs). */
  clockMs(): number
  /** The exchange's counters, for `/k2/stats`. */
  stats(): unknown
  /** Wall clock, ms (exchangeInfo's serverTime). */
  nowMs(): number
}

/** The parts of an HTTP request the endpoints read. */
export interface ReplayRestRequest {
  readonly method: string | undefined
  readonly url: string | undefined
  /** The `X-MBX-TIME-UNIT` header, as Node gives it. */
  readonly timeUnit: string | string[] | undefined
}

/** An answer: HTTP status and JSON body. */
export interface ReplayRestAnswer {
  readonly status: number
  readonly body: string
}

const routes = ['/api/v3/ping', '/api/v3/time', '/api/v3/exchangeInfo', '/api/v3/historicalTrades', '/k2/stats']

const fail = (code: number, msg: string, status = 400): ReplayRestAnswer => ({ status, body: binanceErrorJson({ code, msg }) })

/** Answers one request. Errors are Binance's `{"code":…,"msg":…}`; a path it does not serve is a 404. */
export function answerRestRequest(req: ReplayRestRequest, ctx: ReplayRestContext): ReplayRestAnswer {
  const url = requestTarget(req.url)
  if (!url) return fail(-1100, `malformed request target ${JSON.stringify(req.url)}`)
  if (!routes.includes(url.pathname)) return fail(-1000, `no endpoint at ${url.pathname}; the replay exchange serves ${routes.join(', ')}`, 404)
  if (req.method !== 'GET') return fail(-1000, `${req.method ?? ''} is not supported; use GET`, 405)
  switch (url.pathname) {
    case '/api/v3/ping':
      return { status: 200, body: '{}' }
    case '/api/v3/time':
      return { status: 200, body: `{"serverTime":${Math.floor(ctx.clockMs())}}` }
    case '/k2/stats':
      // Not Binance's: the exchange's own counters, for benchmarks and status lines.
      return { status: 200, body: JSON.stringify(ctx.stats()) }
    case '/api/v3/exchangeInfo':
      return exchangeInfo(url.searchParams, ctx)
    default:
      return historicalTrades(url.searchParams, req.timeUnit, ctx.market)
  }
}

/** `GET /api/v3/exchangeInfo`: every instrument, or those named by `symbol` or `symbols` (a JSON list). */
function exchangeInfo(params: URLSearchParams, ctx: ReplayRestContext): ReplayRestAnswer {
  const one = params.get('symbol')
  const many = params.get('symbols')
  let wanted: string[] | undefined
  if (one !== null) wanted = [one]
  else if (many !== null) {
    try {
      const parsed: unknown = JSON.parse(many)
      if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === 'string')) throw new Error('not a list')
      wanted = parsed as string[]
    } catch {
      return fail(BinanceErrorCode.IllegalChars, "Illegal characters found in parameter 'symbols'; legal range is '^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'.")
    }
  }
  const only = wanted === undefined ? undefined : new Set(wanted)
  const instruments = only ? ctx.market.instruments.filter((i) => only.has(i.symbol)) : ctx.market.instruments
  if (only && instruments.length !== only.size) return fail(BinanceErrorCode.BadSymbol, 'Invalid symbol.')
  return { status: 200, body: exchangeInfoJson(toExchangeInfo(instruments, ctx.nowMs())) }
}

/** `GET /api/v3/historicalTrades`: a symbol's trades from `fromId`, or its latest; `limit` capped as Binance caps it. */
function historicalTrades(params: URLSearchParams, timeUnit: string | string[] | undefined, market: ReplayMarket): ReplayRestAnswer {
  const symbol = params.get('symbol')
  if (!symbol) return fail(BinanceErrorCode.MandatoryParamEmptyOrMalformed, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
  const limitText = params.get('limit')
  const fromIdText = params.get('fromId')
  if (limitText !== null && !/^[0-9]{1,20}$/.test(limitText)) return fail(BinanceErrorCode.IllegalChars, "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'.")
  if (fromIdText !== null && !/^[0-9]{1,20}$/.test(fromIdText)) return fail(BinanceErrorCode.IllegalChars, "Illegal characters found in parameter 'fromId'; legal range is '^[0-9]{1,20}$'.")
  const limit = limitText === null ? historicalTradesDefaultLimit : Math.min(historicalTradesMaxLimit, Math.max(1, Number(limitText)))
  // Binance's REST time unit header (MICROSECOND or MILLISECOND, either case; ms when absent).
  const unitText = typeof timeUnit === 'string' ? timeUnit.toUpperCase() : 'MILLISECOND'
  if (unitText !== 'MILLISECOND' && unitText !== 'MICROSECOND') return fail(BinanceErrorCode.IllegalChars, `Invalid X-MBX-TIME-UNIT ${JSON.stringify(String(timeUnit).slice(0, 40))}: use MILLISECOND or MICROSECOND`)
  const rows = market.history(symbol, fromIdText === null ? undefined : Number(fromIdText), limit, unitText === 'MICROSECOND' ? 'us' : 'ms')
  if (!rows) return fail(BinanceErrorCode.BadSymbol, 'Invalid symbol.')
  return { status: 200, body: historicalTradesJson(rows) }
}
