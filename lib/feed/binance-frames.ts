/**
 * Binance spot market-data wire shapes, and builders that write them as the exact JSON text
 * Binance sends (key order, decimal strings with 8 fractional digits). Pure: no IO, no clients.
 *
 * Sources (checked 2025, spot API docs, github.com/binance/binance-spot-api-docs):
 * - web-socket-streams.md, "General WSS information": raw streams at `/ws/<streamName>`, combined
 *   streams at `/stream?streams=<a>/<b>`, combined payloads wrapped as
 *   `{"stream":"<streamName>","data":<rawPayload>}`, stream names lower-case, a ping frame every
 *   20 s and a disconnect when no pong comes within a minute, a 24 h connection limit, and
 *   `timeUnit=MICROSECOND` (or `microsecond`) turning every time field into microseconds.
 * - web-socket-streams.md, "Server Shutdown": `{"e":"serverShutdown","E":…}`, wrapped in a
 *   combined stream as `{"stream":"!serverShutdown","data":{…}}`, sent before a disconnect.
 * - web-socket-streams.md, "Trade Streams" (`<symbol>@trade`: e, E, s, t, p, q, T, m, M; the
 *   buyer/seller order ids b and a were removed from the payload in 2023) and "Individual Symbol
 *   Book Ticker Streams" (`<symbol>@bookTicker`: u, s, b, B, a, A; no event type, no time).
 * - rest-api.md, "Old trade lookup" `GET /api/v3/historicalTrades` (symbol, limit default 500
 *   max 1000, fromId; rows id, price, qty, quoteQty, time, isBuyerMaker, isBestMatch) and
 *   "Exchange information" `GET /api/v3/exchangeInfo`.
 * - errors.md: error bodies are `{"code":-1121,"msg":"Invalid symbol."}`.
 */
import type { RejectReason } from '../market/types'
import type { Instrument, MarketEvent, MarketQuote, MarketTrade } from './market-events'

/** `<symbol>@trade` payload. Times are ms since the epoch, or µs with `timeUnit=MICROSECOND`. */
export interface BinanceTradeEvent {
  readonly e: 'trade'
  /** Event time: when Binance published the event (≥ T). */
  readonly E: number
  /** Upper-case symbol, e.g. `BTCUSDT`. */
  readonly s: string
  /** Trade id, contiguous per symbol. */
  readonly t: number
  /** Price, decimal string with 8 fractional digits. */
  readonly p: string
  /** Quantity, decimal string with 8 fractional digits. */
  readonly q: string
  /** Trade time. */
  readonly T: number
  /** Is the buyer the maker? true: the taker sold (hit the bid). */
  readonly m: boolean
  /** "Ignore" in the docs; always true on the spot stream. */
  readonly M: boolean
}

/** `<symbol>@bookTicker` payload: best bid and offer after any change to either. */
export interface BinanceBookTickerEvent {
  /** Order book update id, increasing per symbol (not contiguous). */
  readonly u: number
  readonly s: string
  readonly b: string
  readonly B: string
  readonly a: string
  readonly A: string
}

/** Sent before the server disconnects; on a combined stream under the stream name `!serverShutdown`. */
export interface BinanceServerShutdownEvent {
  readonly e: 'serverShutdown'
  readonly E: number
}

/** The combined-stream wrapper. */
export interface BinanceCombinedFrame<T> {
  readonly stream: string
  readonly data: T
}

/** One row of `GET /api/v3/historicalTrades` (time always in ms on REST). */
export interface BinanceHistoricalTrade {
  readonly id: number
  readonly price: string
  readonly qty: string
  readonly quoteQty: string
  readonly time: number
  readonly isBuyerMaker: boolean
  readonly isBestMatch: boolean
}

/** The filters of `exchangeInfo` the replay exchange serves (PRICE_FILTER and LOT_SIZE). */
export type BinanceSymbolFilter =
  | { readonly filterType: 'PRICE_FILTER'; readonly minPrice: string; readonly maxPrice: string; readonly tickSize: string }
  | { readonly filterType: 'LOT_SIZE'; readonly minQty: string; readonly maxQty: string; readonly stepSize: string }

/** One entry of `exchangeInfo.symbols`: the subset of fields an ingestor reads. */
export interface BinanceSymbolInfo {
  readonly symbol: string
  readonly status: 'TRADING' | 'HALT' | 'BREAK'
  readonly baseAsset: string
  readonly baseAssetPrecision: number
  readonly quoteAsset: string
  readonly quotePrecision: number
  readonly quoteAssetPrecision: number
  readonly orderTypes: readonly string[]
  readonly isSpotTradingAllowed: boolean
  readonly isMarginTradingAllowed: boolean
  readonly filters: readonly BinanceSymbolFilter[]
  readonly permissions: readonly string[]
  readonly permissionSets: readonly (readonly string[])[]
}

/** `GET /api/v3/exchangeInfo` (subset). */
export interface BinanceExchangeInfo {
  readonly timezone: 'UTC'
  readonly serverTime: number
  readonly rateLimits: ReadonlyArray<{ readonly rateLimitType: string; readonly interval: string; readonly intervalNum: number; readonly limit: number }>
  readonly exchangeFilters: ReadonlyArray<Readonly<Record<string, unknown>>>
  readonly symbols: readonly BinanceSymbolInfo[]
}

/** Binance's REST error body. */
export interface BinanceErrorBody {
  readonly code: number
  readonly msg: string
}

/** Stream kinds the replay exchange serves. */
export type BinanceStreamKind = 'trade' | 'bookTicker'

/** Time unit of a WebSocket connection (`timeUnit` query parameter). */
export type BinanceTimeUnit = 'MILLISECOND' | 'MICROSECOND'

/** The stream name Binance uses for a symbol's stream: lower-case symbol, `@`, the kind. */
export function streamName(symbol: string, kind: BinanceStreamKind): string {
  return `${symbol.toLowerCase()}@${kind}`
}

/** Splits `btcusdt@trade` into its lower-case symbol and kind; undefined for any other shape. */
export function parseStreamName(name: string): { readonly symbol: string; readonly kind: BinanceStreamKind } | undefined {
  const m = /^([a-z0-9]{2,30})@(trade|bookTicker)$/.exec(name)
  return m ? { symbol: m[1]!, kind: m[2] as BinanceStreamKind } : undefined
}

const zeros = ['', '0', '00', '000', '0000', '00000', '000000', '0000000', '00000000']

/**
 * Writes the integer `units` (a count of 10^-decimals) as Binance writes decimals: 8 fractional
 * digits, e.g. (6701250, 2) → `"67012.50000000"`. `decimals` is 0–8; `units` a safe integer.
 */
export function formatDecimal8(units: number, decimals: number): string {
  if (units < 0) return '-' + formatDecimal8(-units, decimals)
  const digits = String(units)
  if (decimals === 0) return digits + '.00000000'
  const padded = digits.length > decimals ? digits : zeros[decimals - digits.length + 1]! + digits
  return padded.slice(0, padded.length - decimals) + '.' + padded.slice(padded.length - decimals) + zeros[8 - decimals]!
}

/** Same as formatDecimal8 for a bigint count of 10^-decimals (any size); more than 8 decimals are truncated. */
export function formatBigDecimal8(units: bigint, decimals: number): string {
  const negative = units < 0n
  let abs = negative ? -units : units
  let d = decimals
  if (d > 8) {
    abs /= 10n ** BigInt(d - 8)
    d = 8
  }
  const digits = abs.toString().padStart(d + 1, '0')
  const text = d === 0 ? digits + '.00000000' : digits.slice(0, digits.length - d) + '.' + digits.slice(digits.length - d) + zeros[8 - d]!
  return negative ? '-' + text : text
}

/**
 * Parses a non-negative decimal string into an integer count of 10^-decimals, exactly; undefined
 * when it is not a plain decimal, has non-zero digits beyond `decimals`, or exceeds 2^53.
 */
export function parseDecimalUnits(text: string, decimals: number): number | undefined {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text)
  if (!m) return undefined
  const frac = m[2] ?? ''
  if (/[1-9]/.test(frac.slice(decimals))) return undefined
  const units = Number(m[1]! + frac.slice(0, decimals).padEnd(decimals, '0'))
  return Number.isSafeInteger(units) ? units : undefined
}

/** Digits after the point once trailing zeros are dropped: `"0.01000000"` → 2. */
export function significantDecimals(text: string): number {
  const dot = text.indexOf('.')
  if (dot < 0) return 0
  return text.slice(dot + 1).replace(/0+$/, '').length
}

/** `10^-decimals` as a Binance decimal string: 2 → `"0.01000000"`. */
export function unitString(decimals: number): string {
  return formatDecimal8(1, decimals)
}

/** The trade event as Binance writes it, keys in the documented order. */
export function tradeEventJson(ev: BinanceTradeEvent): string {
  return `{"e":"trade","E":${ev.E},"s":${str(ev.s)},"t":${ev.t},"p":${str(ev.p)},"q":${str(ev.q)},"T":${ev.T},"m":${ev.m},"M":${ev.M}}`
}

/** The bookTicker event as Binance writes it. */
export function bookTickerEventJson(ev: BinanceBookTickerEvent): string {
  return `{"u":${ev.u},"s":${str(ev.s)},"b":${str(ev.b)},"B":${str(ev.B)},"a":${str(ev.a)},"A":${str(ev.A)}}`
}

/** The serverShutdown event. */
export function serverShutdownEventJson(ev: BinanceServerShutdownEvent): string {
  return `{"e":"serverShutdown","E":${ev.E}}`
}

/** Stream name Binance uses for the serverShutdown event on a combined stream. */
export const serverShutdownStream = '!serverShutdown'

/** Wraps a payload's JSON text for a combined stream: `{"stream":…,"data":…}`. */
export function combinedFrameJson(stream: string, dataJson: string): string {
  return `{"stream":${str(stream)},"data":${dataJson}}`
}

/** One `historicalTrades` row, keys in the documented order. */
export function historicalTradeJson(row: BinanceHistoricalTrade): string {
  return `{"id":${row.id},"price":${str(row.price)},"qty":${str(row.qty)},"quoteQty":${str(row.quoteQty)},"time":${row.time},"isBuyerMaker":${row.isBuyerMaker},"isBestMatch":${row.isBestMatch}}`
}

/** The `historicalTrades` response body: a JSON array of rows. */
export function historicalTradesJson(rows: readonly BinanceHistoricalTrade[]): string {
  return '[' + rows.map(historicalTradeJson).join(',') + ']'
}

/** The exchangeInfo response body. */
export function exchangeInfoJson(info: BinanceExchangeInfo): string {
  return JSON.stringify(info)
}

/** A Binance REST error body: `{"code":-1121,"msg":"Invalid symbol."}`. */
export function binanceErrorJson(body: BinanceErrorBody): string {
  return `{"code":${body.code},"msg":${JSON.stringify(body.msg)}}`
}

/** Binance REST error codes the replay exchange answers with (errors.md). */
export const BinanceErrorCode = {
  /** -1100 ILLEGAL_CHARS: "Illegal characters found in parameter '%s'; legal range is '%s'." */
  IllegalChars: -1100,
  /** -1102 MANDATORY_PARAM_EMPTY_OR_MALFORMED. */
  MandatoryParamEmptyOrMalformed: -1102,
  /** -1121 BAD_SYMBOL: "Invalid symbol." */
  BadSymbol: -1121,
  /** -1008 SERVER_BUSY: "Server is currently overloaded with other requests. Please try again in a few minutes." */
  ServerBusy: -1008,
} as const

/** A market trade as Binance's trade event, its times in the connection's unit. */
export function toTradeEvent(trade: MarketTrade, unit: BinanceTimeUnit): BinanceTradeEvent {
  const ms = unit === 'MILLISECOND'
  return {
    e: 'trade',
    E: ms ? Math.floor(trade.eventTimeMicros / 1000) : trade.eventTimeMicros,
    s: trade.symbol,
    t: trade.tradeId,
    p: trade.price,
    q: trade.quantity,
    T: ms ? Math.floor(trade.timeMicros / 1000) : trade.timeMicros,
    m: trade.buyerIsMaker,
    M: true,
  }
}

/** A market quote as Binance's bookTicker event. */
export function toBookTickerEvent(quote: MarketQuote): BinanceBookTickerEvent {
  return { u: quote.updateId, s: quote.symbol, b: quote.bidPrice, B: quote.bidSize, a: quote.askPrice, A: quote.askSize }
}

/** One line of a capture file: the event as a combined-stream frame, times in ms. */
export function captureLine(event: MarketEvent): string {
  return event.kind === 'trade'
    ? combinedFrameJson(streamName(event.symbol, 'trade'), tradeEventJson(toTradeEvent(event, 'MILLISECOND')))
    : combinedFrameJson(streamName(event.symbol, 'bookTicker'), bookTickerEventJson(toBookTickerEvent(event)))
}

/** exchangeInfo for the given instruments (all listed as TRADING, spot only). */
export function toExchangeInfo(instruments: readonly Instrument[], serverTimeMs: number): BinanceExchangeInfo {
  return {
    timezone: 'UTC',
    serverTime: serverTimeMs,
    rateLimits: [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
      { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
    ],
    exchangeFilters: [],
    symbols: instruments.map((i) => ({
      symbol: i.symbol,
      status: 'TRADING',
      baseAsset: i.baseAsset,
      baseAssetPrecision: 8,
      quoteAsset: i.quoteAsset,
      quotePrecision: 8,
      quoteAssetPrecision: 8,
      orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'],
      isSpotTradingAllowed: true,
      isMarginTradingAllowed: false,
      filters: [
        { filterType: 'PRICE_FILTER', minPrice: unitString(i.priceDecimals), maxPrice: '1000000.00000000', tickSize: unitString(i.priceDecimals) },
        { filterType: 'LOT_SIZE', minQty: unitString(i.qtyDecimals), maxQty: '9000000000.00000000', stepSize: unitString(i.qtyDecimals) },
      ],
      permissions: [],
      permissionSets: [['SPOT']],
    })),
  }
}

/** A frame parsed off the wire: the stream name (combined streams only) and the payload. */
export interface ParsedFrame {
  readonly stream: string | undefined
  readonly data: unknown
}

/** Parses one frame's text; a combined-stream wrapper is unwrapped. Throws on invalid JSON. */
export function parseFrame(text: string): ParsedFrame {
  const value: unknown = JSON.parse(text)
  if (isRecord(value) && typeof value.stream === 'string' && 'data' in value) return { stream: value.stream, data: value.data }
  return { stream: undefined, data: value }
}

/** The payload as a trade event when every documented field has its documented type, else undefined. */
export function asTradeEvent(data: unknown): BinanceTradeEvent | undefined {
  if (!isRecord(data) || data.e !== 'trade') return undefined
  const { E, s, t, p, q, T, m, M } = data
  if (!isInt(E) || typeof s !== 'string' || !isInt(t) || typeof p !== 'string' || typeof q !== 'string' || !isInt(T) || typeof m !== 'boolean') return undefined
  return { e: 'trade', E, s, t, p, q, T, m, M: typeof M === 'boolean' ? M : true }
}

/** The payload as a bookTicker event when every documented field has its documented type, else undefined. */
export function asBookTickerEvent(data: unknown): BinanceBookTickerEvent | undefined {
  if (!isRecord(data)) return undefined
  const { u, s, b, B, a, A } = data
  if (!isInt(u) || typeof s !== 'string' || typeof b !== 'string' || typeof B !== 'string' || typeof a !== 'string' || typeof A !== 'string') return undefined
  return { u, s, b, B, a, A }
}

/**
 * The kinds of malformed frame the replay exchange injects. Each is built from a real event so
 * it looks plausible; each maps to the dead-letter reason an ingestor should give it.
 */
export type MalformedKind =
  | 'truncatedJson'
  | 'wrongType'
  | 'missingField'
  | 'nanPrice'
  | 'negativePrice'
  | 'zeroPrice'
  | 'unknownEventType'
  | 'oversize'
  | 'unknownSymbol'
  | 'crossedBook'

/** Every malformed kind, in a fixed order. */
export const malformedKinds: readonly MalformedKind[] = [
  'truncatedJson',
  'wrongType',
  'missingField',
  'nanPrice',
  'negativePrice',
  'zeroPrice',
  'unknownEventType',
  'oversize',
  'unknownSymbol',
  'crossedBook',
]

/** The dead-letter reason (lib/market RejectReason) an ingestor should record for each kind. */
export const malformedRejectReason: Readonly<Record<MalformedKind, RejectReason>> = {
  truncatedJson: 'malformed_json',
  wrongType: 'wrong_type',
  missingField: 'missing_field',
  nanPrice: 'non_numeric',
  negativePrice: 'non_positive',
  zeroPrice: 'non_positive',
  unknownEventType: 'unknown_event_type',
  oversize: 'oversize_frame',
  unknownSymbol: 'unknown_symbol',
  crossedBook: 'crossed_book',
}

/** Symbol used by `unknownSymbol` frames: well-formed, but not listed in exchangeInfo. */
export const unknownSymbol = 'ZZZNOTLISTED'

/**
 * Builds one malformed frame from a real event. `trade` events carry their trade; `crossedBook`
 * always yields a bookTicker whose bid is above its ask. `stream` wraps the frame as a combined
 * stream does (undefined: raw). `oversizeBytes` is the frame size an `oversize` frame exceeds.
 */
export function malformedFrameJson(
  kind: MalformedKind,
  source: { readonly trade: BinanceTradeEvent } | { readonly quote: BinanceBookTickerEvent },
  stream: string | undefined,
  oversizeBytes: number,
): string {
  const wrap = (dataJson: string, name = stream): string => (name === undefined ? dataJson : combinedFrameJson(name, dataJson))
  if (kind === 'crossedBook') {
    const q = 'quote' in source ? source.quote : { u: 1, s: source.trade.s, b: source.trade.p, B: source.trade.q, a: source.trade.p, A: source.trade.q }
    // bid and ask swapped, and the ask lowered further when they were equal: bid > ask.
    const lowered = formatBigDecimal8((BigInt(q.b.replace('.', '')) * 9n) / 10n, 8)
    const crossed = { ...q, b: q.a === q.b ? q.b : q.a, a: q.a === q.b ? lowered : q.b }
    return wrap(bookTickerEventJson(crossed), stream === undefined ? undefined : streamName(q.s, 'bookTicker'))
  }
  if ('quote' in source) {
    const q = source.quote
    switch (kind) {
      case 'truncatedJson': {
        const text = wrap(bookTickerEventJson(q))
        return text.slice(0, Math.max(1, Math.floor(text.length / 2)))
      }
      case 'wrongType':
        return wrap(`{"u":"${q.u}","s":${JSON.stringify(q.s)},"b":${Number(q.b)},"B":${JSON.stringify(q.B)},"a":${JSON.stringify(q.a)},"A":${JSON.stringify(q.A)}}`)
      case 'missingField':
        return wrap(`{"u":${q.u},"s":${JSON.stringify(q.s)},"B":${JSON.stringify(q.B)},"a":${JSON.stringify(q.a)},"A":${JSON.stringify(q.A)}}`)
      case 'nanPrice':
        return wrap(bookTickerEventJson({ ...q, b: 'NaN' }))
      case 'negativePrice':
        return wrap(bookTickerEventJson({ ...q, b: '-' + q.b }))
      case 'zeroPrice':
        return wrap(bookTickerEventJson({ ...q, b: '0.00000000' }))
      case 'unknownEventType':
        return wrap(`{"e":"bookTickerV9","u":${q.u},"s":${JSON.stringify(q.s)},"b":${JSON.stringify(q.b)},"B":${JSON.stringify(q.B)},"a":${JSON.stringify(q.a)},"A":${JSON.stringify(q.A)}}`)
      case 'oversize':
        return wrap(`{"u":${q.u},"s":${JSON.stringify(q.s)},"b":${JSON.stringify(q.b)},"B":${JSON.stringify(q.B)},"a":${JSON.stringify(q.a)},"A":${JSON.stringify(q.A)},"pad":"${'x'.repeat(oversizeBytes)}"}`)
      case 'unknownSymbol':
        return wrap(bookTickerEventJson({ ...q, s: unknownSymbol }), stream === undefined ? undefined : streamName(unknownSymbol, 'bookTicker'))
    }
  }
  const t = source.trade
  switch (kind) {
    case 'truncatedJson': {
      const text = wrap(tradeEventJson(t))
      return text.slice(0, Math.max(1, Math.floor(text.length / 2)))
    }
    case 'wrongType':
      // Binance sends ids as numbers and prices as strings; here the id is a string and the price a number.
      return wrap(`{"e":"trade","E":${t.E},"s":${JSON.stringify(t.s)},"t":"${t.t}","p":${Number(t.p)},"q":${JSON.stringify(t.q)},"T":${t.T},"m":${t.m},"M":${t.M}}`)
    case 'missingField':
      return wrap(`{"e":"trade","E":${t.E},"s":${JSON.stringify(t.s)},"t":${t.t},"q":${JSON.stringify(t.q)},"T":${t.T},"m":${t.m},"M":${t.M}}`)
    case 'nanPrice':
      return wrap(tradeEventJson({ ...t, p: 'NaN' }))
    case 'negativePrice':
      return wrap(tradeEventJson({ ...t, p: '-' + t.p }))
    case 'zeroPrice':
      return wrap(tradeEventJson({ ...t, p: '0.00000000' }))
    case 'unknownEventType':
      return wrap(`{"e":"tradeV9","E":${t.E},"s":${JSON.stringify(t.s)},"t":${t.t},"p":${JSON.stringify(t.p)},"q":${JSON.stringify(t.q)},"T":${t.T},"m":${t.m},"M":${t.M}}`)
    case 'oversize':
      return wrap(`{"e":"trade","E":${t.E},"s":${JSON.stringify(t.s)},"t":${t.t},"p":${JSON.stringify(t.p)},"q":${JSON.stringify(t.q)},"T":${t.T},"m":${t.m},"M":${t.M},"pad":"${'x'.repeat(oversizeBytes)}"}`)
    case 'unknownSymbol':
      return wrap(tradeEventJson({ ...t, s: unknownSymbol }), stream === undefined ? undefined : streamName(unknownSymbol, 'trade'))
  }
}

/** A JSON string literal; plain printable ASCII (every symbol, decimal and stream name) skips JSON.stringify. */
function str(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify(text)
  }
  return '"' + text + '"'
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v)
}
