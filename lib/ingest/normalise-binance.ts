import type { Quote, RejectReason, Trade } from '../market/types'
import { canonicalPositiveDecimal, priceDecimal, quantityDecimal } from './decimal'

/** What the normaliser knows of a listed symbol (from exchangeInfo or the replay exchange). */
export interface SymbolInfo {
  readonly symbol: string
  readonly baseAsset: string
  readonly quoteAsset: string
}

export interface NormaliseContext {
  readonly exchange: string
  /** Listed symbols by upper-case name; a frame for any other symbol is rejected. */
  readonly symbols: ReadonlyMap<string, SymbolInfo>
  /** When the frame was received, µs since the epoch. */
  readonly receivedMicros: bigint
  /** Unit of the source's E/T fields: Binance sends ms unless `timeUnit=MICROSECOND`. */
  readonly timeUnit: 'ms' | 'us'
  readonly maxFrameBytes: number
}

/** The outcome for one frame: a record without its platform sequence, a control event, or a reject. */
export type Normalised =
  | { readonly kind: 'trade'; readonly trade: Omit<Trade, 'platformSequence'> }
  | { readonly kind: 'quote'; readonly quote: Omit<Quote, 'platformSequence'> }
  | { readonly kind: 'control'; readonly event: 'serverShutdown' }
  | { readonly kind: 'reject'; readonly reason: RejectReason; readonly detail: string; readonly symbol?: string }

const reject = (reason: RejectReason, detail: string, symbol?: string): Normalised => ({ kind: 'reject', reason, detail, symbol })

/** Earliest and latest plausible exchange time (2010 … 2100), µs. */
const minMicros = 1_262_304_000_000_000n
const maxMicros = 4_102_444_800_000_000n

/**
 * Turns one Binance market-stream frame (combined-stream wrapper or raw event) into a trade or
 * quote record, or says exactly why it cannot. Spec: Binance Spot "WebSocket Streams" — Trade
 * Streams (`<symbol>@trade`: e,E,s,t,p,q,T,m,M) and Individual Symbol Book Ticker
 * (`<symbol>@bookTicker`: u,s,b,B,a,A).
 */
export function normaliseBinanceFrame(frame: string, ctx: NormaliseContext): Normalised {
  const parsed = parseBinanceFrame(frame, ctx.maxFrameBytes)
  return 'kind' in parsed ? parsed : normaliseBinanceEvent(parsed.value, ctx)
}

/** The parse step alone (size check and JSON), so its cost can be measured apart. */
export function parseBinanceFrame(frame: string, maxFrameBytes: number): { readonly value: unknown } | Normalised {
  if (frame.length > maxFrameBytes) return reject('oversize_frame', `frame of ${frame.length} bytes exceeds ${maxFrameBytes}`)
  try {
    return { value: JSON.parse(frame) as unknown }
  } catch {
    return reject('malformed_json', `not JSON: ${frame.slice(0, 60)}`)
  }
}

/** The normalise step alone: a parsed frame to a record, control event or reject. */
export function normaliseBinanceEvent(parsed: unknown, ctx: NormaliseContext): Normalised {
  if (!isObject(parsed)) return reject('wrong_type', 'frame is not a JSON object')
  const stream = typeof parsed.stream === 'string' ? parsed.stream : undefined
  const data = 'data' in parsed && stream !== undefined ? parsed.data : parsed
  if (!isObject(data)) return reject('wrong_type', 'data is not a JSON object')

  if (data.e === 'serverShutdown') return { kind: 'control', event: 'serverShutdown' }
  if (data.e === 'trade') return trade(data, stream, ctx)
  if (data.e === undefined && 'u' in data && 'b' in data && 'a' in data) return quote(data, stream, ctx)
  return reject('unknown_event_type', `event type ${JSON.stringify(data.e ?? null)} is not handled`)
}

function trade(d: Record<string, unknown>, stream: string | undefined, ctx: NormaliseContext): Normalised {
  const info = symbolOf(d, ctx)
  if ('reason' in info) return info.reason
  const id = integer(d.t, 't', info.symbol)
  if (typeof id !== 'bigint') return id
  const time = timestamp(d.T, 'T', ctx, info.symbol)
  if (typeof time !== 'bigint') return time
  const price = canonicalPositiveDecimal(d.p, priceDecimal)
  if ('reason' in price) return d.p === undefined ? reject('missing_field', 'p is missing', info.symbol) : reject(price.reason, `price: ${price.detail}`, info.symbol)
  const qty = canonicalPositiveDecimal(d.q, quantityDecimal)
  if ('reason' in qty) return d.q === undefined ? reject('missing_field', 'q is missing', info.symbol) : reject(qty.reason, `quantity: ${qty.detail}`, info.symbol)
  if (typeof d.m !== 'boolean') return d.m === undefined ? reject('missing_field', 'm is missing', info.symbol) : reject('wrong_type', 'm is not a boolean', info.symbol)
  const vendorData: Record<string, string> = {}
  if (d.E !== undefined) vendorData.event_time = String(d.E)
  if (d.M !== undefined) vendorData.best_match = String(d.M)
  if (stream) vendorData.stream = stream
  return {
    kind: 'trade',
    trade: {
      messageId: `${ctx.exchange}:${info.symbol}:${id}`,
      tradeId: id,
      symbol: info.symbol,
      exchange: ctx.exchange,
      assetClass: 'crypto',
      timestampMicros: time,
      price: price.value,
      quantity: qty.value,
      currency: info.quoteAsset,
      // Buyer is maker: the seller took liquidity.
      side: d.m ? 'SELL' : 'BUY',
      tradeConditions: [],
      sourceSequence: id,
      ingestionTimestampMicros: ctx.receivedMicros,
      vendorData,
    },
  }
}

function quote(d: Record<string, unknown>, stream: string | undefined, ctx: NormaliseContext): Normalised {
  const info = symbolOf(d, ctx)
  if ('reason' in info) return info.reason
  const id = integer(d.u, 'u', info.symbol)
  if (typeof id !== 'bigint') return id
  const fields = [
    ['b', 'bid price', priceDecimal],
    ['B', 'bid size', quantityDecimal],
    ['a', 'ask price', priceDecimal],
    ['A', 'ask size', quantityDecimal],
  ] as const
  const values: string[] = []
  for (const [key, name, shape] of fields) {
    const v = canonicalPositiveDecimal(d[key], shape)
    if ('reason' in v) return d[key] === undefined ? reject('missing_field', `${key} is missing`, info.symbol) : reject(v.reason, `${name}: ${v.detail}`, info.symbol)
    values.push(v.value)
  }
  const [bid, bidSize, ask, askSize] = values as [string, string, string, string]
  if (compareDecimal(bid, ask) > 0) return reject('crossed_book', `bid ${bid} is above ask ${ask}`, info.symbol)
  // bookTicker carries no event time on spot; E appears on some venues' variants.
  const time = d.E === undefined ? ctx.receivedMicros : timestamp(d.E, 'E', ctx, info.symbol)
  if (typeof time !== 'bigint') return time
  return {
    kind: 'quote',
    quote: {
      messageId: `${ctx.exchange}:${info.symbol}:q${id}`,
      updateId: id,
      symbol: info.symbol,
      exchange: ctx.exchange,
      assetClass: 'crypto',
      timestampMicros: time,
      bidPrice: bid,
      bidSize,
      askPrice: ask,
      askSize,
      currency: info.quoteAsset,
      ingestionTimestampMicros: ctx.receivedMicros,
      vendorData: stream ? { stream } : {},
    },
  }
}

function symbolOf(d: Record<string, unknown>, ctx: NormaliseContext): SymbolInfo | { reason: Normalised } {
  if (d.s === undefined) return { reason: reject('missing_field', 's is missing') }
  if (typeof d.s !== 'string') return { reason: reject('wrong_type', 's is not a string') }
  const info = ctx.symbols.get(d.s.toUpperCase())
  return info ?? { reason: reject('unknown_symbol', `${d.s.slice(0, 20)} is not a listed symbol`) }
}

function integer(v: unknown, key: string, symbol: string): bigint | Normalised {
  if (v === undefined) return reject('missing_field', `${key} is missing`, symbol)
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) return reject('wrong_type', `${key} is not an integer`, symbol)
  if (v < 0) return reject('out_of_range', `${key} is negative`, symbol)
  return BigInt(v)
}

function timestamp(v: unknown, key: string, ctx: NormaliseContext, symbol: string): bigint | Normalised {
  const raw = integer(v, key, symbol)
  if (typeof raw !== 'bigint') return raw
  const micros = ctx.timeUnit === 'ms' ? raw * 1000n : raw
  if (micros < minMicros || micros > maxMicros) return reject('out_of_range', `${key}=${raw} is not a plausible ${ctx.timeUnit} time`, symbol)
  return micros
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Compares two canonical decimals with the same number of fractional digits. */
function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length
  return a < b ? -1 : a > b ? 1 : 0
}
