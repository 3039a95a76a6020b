/**
 * The replay exchange's side of Binance's WebSocket protocol, as pure functions: reading a
 * handshake's path, checking stream names, answering live requests, and rendering the frames a
 * connection gets. The exchange's connections carry out what these decide.
 *
 * Binance's rules, as web-socket-streams.md documents them (sources in binance-frames.ts):
 * combined streams at `/stream?streams=<a>/<b>`, raw ones at `/ws/<a>/<b>`; `timeUnit=MICROSECOND`
 * (either case) for µs times; live requests "Live Subscribing/Unsubscribing to streams" with
 * their error bodies `{"code":…,"msg":…}`.
 */
import {
  BinanceErrorCode,
  bookTickerEventJson,
  combinedFrameJson,
  parseStreamName,
  serverShutdownEventJson,
  serverShutdownStream,
  toBookTickerEvent,
  toTradeEvent,
  tradeEventJson,
  type BinanceErrorBody,
  type BinanceTimeUnit,
} from './binance-frames'
import type { MarketEvent } from './market-events'

/** How a stream handshake is answered: the connection it opens, or the HTTP refusal. */
export type StreamHandshake =
  | { readonly accepted: true; readonly combined: boolean; readonly names: string[]; readonly unit: BinanceTimeUnit }
  | { readonly accepted: false; readonly status: number; readonly statusText: string; readonly error: BinanceErrorBody }

/** A live request's id as Binance accepts it: null, a number, or up to 36 letters and digits. */
export type LiveRequestId = null | number | string

/** What a live request is answered with, serialised as it stands (key order included). */
export type LiveReply =
  | { readonly result: null | boolean | readonly string[]; readonly id: LiveRequestId }
  | { readonly code: number; readonly msg: string; readonly id?: LiveRequestId }

/** What a live request changes on its connection. */
export type LiveChange = { readonly subscribe: readonly string[] } | { readonly unsubscribe: readonly string[] } | { readonly combined: boolean }

/** A connection's side of a live request: what it holds now. */
export interface LiveSession {
  readonly streams: ReadonlySet<string>
  readonly combined: boolean
}

const timeUnits: Record<string, BinanceTimeUnit> = {
  MILLISECOND: 'MILLISECOND',
  millisecond: 'MILLISECOND',
  MICROSECOND: 'MICROSECOND',
  microsecond: 'MICROSECOND',
}

/**
 * A request's target as a URL, or undefined when none can be made of it (`//`, say): the caller
 * answers it as a bad request. `new URL` throws there, and a throw in the server's request
 * handler would end the process.
 */
export function requestTarget(raw: string | undefined): URL | undefined {
  return URL.canParse(raw ?? '/', 'http://replay') ? new URL(raw ?? '/', 'http://replay') : undefined
}

/** Reads a handshake's request path: combined or raw, the streams named, the time unit. Stream names are checked apart (see checkStreamNames). */
export function parseStreamHandshake(requestUrl: string | undefined): StreamHandshake {
  const url = requestTarget(requestUrl)
  if (!url) return { accepted: false, status: 400, statusText: 'Bad Request', error: { code: BinanceErrorCode.IllegalChars, msg: `malformed request target ${JSON.stringify(requestUrl)}` } }
  let names: string[]
  let combined: boolean
  if (url.pathname === '/stream' || url.pathname === '/stream/') {
    combined = true
    names = (url.searchParams.get('streams') ?? '').split('/').filter(Boolean)
  } else if (url.pathname === '/ws' || url.pathname.startsWith('/ws/')) {
    combined = false
    names = url.pathname.slice(3).split('/').filter(Boolean)
  } else {
    return { accepted: false, status: 404, statusText: 'Not Found', error: { code: BinanceErrorCode.IllegalChars, msg: `no WebSocket endpoint at ${url.pathname}: use /stream?streams=<a>/<b> or /ws/<stream>` } }
  }
  const unitParam = url.searchParams.get('timeUnit')
  const unit = unitParam === null ? 'MILLISECOND' : timeUnits[unitParam]
  if (!unit) return { accepted: false, status: 400, statusText: 'Bad Request', error: { code: BinanceErrorCode.IllegalChars, msg: `Invalid timeUnit ${JSON.stringify(unitParam)}: use MILLISECOND or MICROSECOND` } }
  return { accepted: true, combined, names, unit }
}

/**
 * Checks the streams a connection would hold: at most `maxStreams`, each `<symbol>@trade` or
 * `<symbol>@bookTicker`. `problem` names the first fault; `unlisted` the valid names whose symbol
 * `isListed` (given the upper-case symbol) does not know, which Binance accepts and keeps silent.
 */
export function checkStreamNames(names: readonly string[], maxStreams: number, isListed: (symbol: string) => boolean): { readonly problem?: string; readonly unlisted: readonly string[] } {
  if (names.length > maxStreams) return { problem: `${names.length} streams requested; a connection may hold at most ${maxStreams}`, unlisted: [] }
  const unlisted: string[] = []
  for (const n of names) {
    const parsed = parseStreamName(n)
    if (!parsed) return { problem: `invalid stream name ${JSON.stringify(n)}: the replay exchange serves <symbol>@trade and <symbol>@bookTicker with a lower-case symbol`, unlisted: [] }
    if (!isListed(parsed.symbol.toUpperCase())) unlisted.push(n)
  }
  return { unlisted }
}

const invalidJson: LiveReply = { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' }
const notAList = 'params must be a list of stream names'

/**
 * Answers a live request (`text` undefined for a binary message) as Binance does, and says what it
 * changes. SUBSCRIBE checks the streams the connection would then hold through `checkStreams`.
 */
export function answerLiveRequest(text: string | undefined, session: LiveSession, checkStreams: (names: readonly string[]) => string | undefined): { readonly reply: LiveReply; readonly change?: LiveChange } {
  let req: unknown
  try {
    if (text === undefined) throw new Error('binary')
    req = JSON.parse(text)
  } catch {
    return { reply: invalidJson }
  }
  if (typeof req !== 'object' || req === null || Array.isArray(req)) return { reply: invalidJson }
  const { method, params, id } = req as { method?: unknown; params?: unknown; id?: unknown }
  if (!(id === null || typeof id === 'number' || (typeof id === 'string' && /^[A-Za-z0-9]{1,36}$/.test(id)))) {
    return { reply: { code: 2, msg: 'Invalid request: request ID must be an unsigned integer' } }
  }
  // Named after the check: tslab's compiler (not strict) does not narrow `unknown` through it.
  const requestId = id as LiveRequestId
  const streams = Array.isArray(params) && params.every((p) => typeof p === 'string') ? (params as string[]) : undefined
  switch (method) {
    case 'SUBSCRIBE': {
      const problem = streams ? checkStreams([...session.streams, ...streams.filter((s) => !session.streams.has(s))]) : notAList
      if (problem) return { reply: { code: 2, msg: `Invalid request: ${problem}`, id: requestId } }
      return { reply: { result: null, id: requestId }, change: { subscribe: streams! } }
    }
    case 'UNSUBSCRIBE':
      if (!streams) return { reply: { code: 2, msg: `Invalid request: ${notAList}`, id: requestId } }
      return { reply: { result: null, id: requestId }, change: { unsubscribe: streams } }
    case 'LIST_SUBSCRIPTIONS':
      return { reply: { result: [...session.streams], id: requestId } }
    case 'SET_PROPERTY':
      if (!Array.isArray(params) || params[0] !== 'combined') return { reply: { code: 0, msg: 'Unknown property', id: requestId } }
      if (typeof params[1] !== 'boolean') return { reply: { code: 1, msg: 'Invalid value type: expected Boolean' } }
      return { reply: { result: null, id: requestId }, change: { combined: params[1] } }
    case 'GET_PROPERTY':
      if (!Array.isArray(params) || params[0] !== 'combined') return { reply: { code: 0, msg: 'Unknown property', id: requestId } }
      return { reply: { result: session.combined, id: requestId } }
    default:
      return {
        reply: {
          code: 2,
          msg: `Invalid request: unknown variant ${JSON.stringify(method)}, expected one of \`SUBSCRIBE\`, \`UNSUBSCRIBE\`, \`LIST_SUBSCRIPTIONS\`, \`SET_PROPERTY\`, \`GET_PROPERTY\``,
        },
      }
  }
}

/**
 * The frame of one event for a connection of a given time unit and framing. Up to four renderings
 * (raw/combined × ms/µs), each built on first use and shared by every connection that wants it:
 * one event goes to many connections. Book tickers carry no time, so they have one unit.
 */
export function eventFrames(ev: MarketEvent, stream: string): (unit: BinanceTimeUnit, combined: boolean) => string {
  let rawMs: string | undefined
  let rawUs: string | undefined
  let combinedMs: string | undefined
  let combinedUs: string | undefined
  return (unit, combined) => {
    if (unit === 'MICROSECOND' && ev.kind === 'trade') {
      rawUs ??= tradeEventJson(toTradeEvent(ev, 'MICROSECOND'))
      return combined ? (combinedUs ??= combinedFrameJson(stream, rawUs)) : rawUs
    }
    rawMs ??= ev.kind === 'trade' ? tradeEventJson(toTradeEvent(ev, 'MILLISECOND')) : bookTickerEventJson(toBookTickerEvent(ev))
    return combined ? (combinedMs ??= combinedFrameJson(stream, rawMs)) : rawMs
  }
}

/** The `serverShutdown` event at market time `micros`, in the connection's unit and framing. */
export function serverShutdownFrame(micros: number, unit: BinanceTimeUnit, combined: boolean): string {
  const data = serverShutdownEventJson({ e: 'serverShutdown', E: unit === 'MICROSECOND' ? micros : Math.floor(micros / 1000) })
  return combined ? combinedFrameJson(serverShutdownStream, data) : data
}
