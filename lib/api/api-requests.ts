import { ErrorCode, WorkbenchError, errorMessage } from '../errors/index'
import { Timestamp, parseIsoMicros } from '../market/timestamp'
import type { EngineTable } from '../query/query-engine'
import { checkSymbol, parseInterval } from '../query/market-analytics'
import type { BarsRequest, QuotesRequest, RecentTradesRequest, SymbolsRequest, TradesRequest } from '../query/market-analytics'

/**
 * HTTP query strings → typed analytics requests, with the API's limits. Pure: every rule a
 * request must pass before anything reaches the engine. Errors are QUERY_INVALID with a message
 * naming the parameter (the server answers 400 with it).
 */

export interface ApiLimits {
  /** Rows one response carries at most. */
  readonly maxRows: number
  /** Widest [from, to) a request may ask for, ms. */
  readonly maxRangeMs: number
  /** Bars one response carries at most (range / interval × symbols). */
  readonly maxBars?: number
}

/** One query parameter: its name, type and what it means (also the OpenAPI text). */
export interface ParamSpec {
  readonly name: string
  readonly type: 'string' | 'integer' | 'time' | 'symbols' | 'enum'
  readonly required?: boolean
  readonly values?: readonly string[]
  readonly description: string
}

const invalid = (message: string): WorkbenchError => new WorkbenchError(ErrorCode.QueryInvalid, message)

/** Reads a query string against its parameter specs: unknown, repeated or malformed parameters are refused. */
export function readParams(query: URLSearchParams, specs: readonly ParamSpec[]): Map<string, string> {
  const known = new Map(specs.map((s) => [s.name, s]))
  const out = new Map<string, string>()
  for (const [name, value] of query) {
    if (!known.has(name)) throw invalid(`unknown parameter ${JSON.stringify(name.slice(0, 64))}; this route takes ${specs.map((s) => s.name).join(', ') || 'none'}`)
    if (out.has(name)) throw invalid(`parameter ${name} is given more than once`)
    if (value.length > 2048) throw invalid(`parameter ${name} is longer than 2048 characters`)
    out.set(name, value)
  }
  for (const s of specs) if (s.required && !out.has(s.name)) throw invalid(`parameter ${s.name} is required: ${s.description}`)
  return out
}

/**
 * ISO 8601 with a zone, to the µs (`2026-11-22T10:00:00.123456Z`, `…+01:00`; a date alone is
 * midnight UTC), or ms since the epoch. A time without a zone is refused: it would mean another
 * instant on each machine.
 */
export function parseTime(name: string, text: string): Timestamp {
  let t: Timestamp
  if (/^-?\d{1,16}$/.test(text)) t = new Timestamp(BigInt(text) * 1000n)
  else {
    try {
      t = parseIsoMicros(text)
    } catch (err) {
      throw invalid(`${name}=${errorMessage(err)}`)
    }
  }
  const ms = t.getTime()
  if (Number.isNaN(ms) || ms < Date.UTC(2000, 0, 1) || ms > Date.UTC(2200, 0, 1)) throw invalid(`${name}=${JSON.stringify(text.slice(0, 64))} is not a time between 2000 and 2200 (ISO 8601 with a zone such as 2026-11-22T10:00:00Z, or ms since the epoch)`)
  return t
}

export function parseInteger(name: string, text: string, min: number, max: number): number {
  if (!/^\d{1,10}$/.test(text)) throw invalid(`${name}=${JSON.stringify(text.slice(0, 64))} is not a whole number`)
  const n = Number(text)
  if (n < min || n > max) throw invalid(`${name}=${n} is outside ${min} to ${max}`)
  return n
}

function parseSymbols(text: string): string[] {
  const list = text.split(',').filter((s) => s !== '')
  if (list.length === 0 || list.length > 100) throw invalid(`symbols must list 1 to 100 symbols separated by commas`)
  return [...new Set(list.map(checkSymbol))]
}

function parseEnum<T extends string>(name: string, text: string, values: readonly T[]): T {
  if (!(values as readonly string[]).includes(text)) throw invalid(`${name}=${JSON.stringify(text.slice(0, 64))} is not one of ${values.join(', ')}`)
  return text as T
}

/** [from, to): defaults to the last hour, refused beyond the API's widest range. */
function readRange(p: Map<string, string>, limits: ApiLimits, defaultSpanMs = 3_600_000): { from: Date; to: Date } {
  const to = p.has('to') ? parseTime('to', p.get('to')!) : new Date(Date.now() + 60_000)
  const from = p.has('from') ? parseTime('from', p.get('from')!) : new Date(to.getTime() - defaultSpanMs)
  if (from.getTime() >= to.getTime()) throw invalid(`from (${from.toISOString()}) must be before to (${to.toISOString()})`)
  if (to.getTime() - from.getTime() > limits.maxRangeMs) throw invalid(`the range from ${from.toISOString()} to ${to.toISOString()} is wider than the API's ${Math.round(limits.maxRangeMs / 86_400_000)} days: ask for a shorter one`)
  return { from, to }
}

function readTravel(p: Map<string, string>): { snapshotId?: bigint; asOfTimestampMs?: number } {
  if (p.has('snapshot_id') && p.has('as_of')) throw invalid('give snapshot_id or as_of, not both')
  if (p.has('snapshot_id')) {
    const text = p.get('snapshot_id')!
    if (!/^-?\d{1,19}$/.test(text)) throw invalid(`snapshot_id=${JSON.stringify(text.slice(0, 64))} is not a 64-bit integer`)
    const id = BigInt(text)
    if (id < -(2n ** 63n) || id >= 2n ** 63n) throw invalid(`snapshot_id=${text} is not a 64-bit integer`)
    return { snapshotId: id }
  }
  if (p.has('as_of')) return { asOfTimestampMs: parseTime('as_of', p.get('as_of')!).getTime() }
  return {}
}

function readLimit(p: Map<string, string>, limits: ApiLimits, fallback: number): number {
  return p.has('limit') ? parseInteger('limit', p.get('limit')!, 1, limits.maxRows) : Math.min(fallback, limits.maxRows)
}

const rangeParams: ParamSpec[] = [
  { name: 'from', type: 'time', description: 'start of the range, inclusive: ISO 8601 with a zone, to the µs (2026-11-22T10:00:00.123456Z), or ms since the epoch (default: an hour before to)' },
  { name: 'to', type: 'time', description: 'end of the range, exclusive (default: now)' },
]
const travelParams: ParamSpec[] = [
  { name: 'snapshot_id', type: 'string', description: 'read the lake as of this Iceberg snapshot (no Kafka tail)' },
  { name: 'as_of', type: 'time', description: 'read the lake as it was at this time (no Kafka tail)' },
]

export const tradesParams: readonly ParamSpec[] = [
  { name: 'symbol', type: 'string', required: true, description: 'exchange symbol, e.g. BTCUSDT' },
  ...rangeParams,
  { name: 'limit', type: 'integer', description: 'rows at most (default 1000)' },
  { name: 'order', type: 'enum', values: ['asc', 'desc'], description: 'by trade id (default asc)' },
  ...travelParams,
]

export function tradesRequest(query: URLSearchParams, limits: ApiLimits): TradesRequest {
  const p = readParams(query, tradesParams)
  return { symbol: checkSymbol(p.get('symbol')), ...readRange(p, limits), limit: readLimit(p, limits, 1000), order: p.has('order') ? parseEnum('order', p.get('order')!, ['asc', 'desc'] as const) : 'asc', ...readTravel(p) }
}

export const quotesParams: readonly ParamSpec[] = tradesParams

export function quotesRequest(query: URLSearchParams, limits: ApiLimits): QuotesRequest {
  return tradesRequest(query, limits)
}

export const recentParams: readonly ParamSpec[] = [
  { name: 'symbol', type: 'string', required: true, description: 'exchange symbol, e.g. BTCUSDT' },
  { name: 'minutes', type: 'integer', description: 'look back this many minutes from now (default 5, at most 1440)' },
  { name: 'limit', type: 'integer', description: 'rows at most, newest first (default 100)' },
]

export function recentRequest(query: URLSearchParams, limits: ApiLimits): RecentTradesRequest {
  const p = readParams(query, recentParams)
  return { symbol: checkSymbol(p.get('symbol')), minutes: p.has('minutes') ? parseInteger('minutes', p.get('minutes')!, 1, 1440) : 5, limit: readLimit(p, limits, 100) }
}

export const barsParams: readonly ParamSpec[] = [
  { name: 'symbol', type: 'string', description: 'one symbol (or use symbols; neither: all symbols)' },
  { name: 'symbols', type: 'symbols', description: 'symbols separated by commas' },
  ...rangeParams,
  { name: 'interval', type: 'string', description: 'bar length: 1s … 7d, e.g. 1m, 5m, 1h (default 1m)' },
  { name: 'limit', type: 'integer', description: 'bars at most (default: the API row limit)' },
  ...travelParams,
]

export function barsRequest(query: URLSearchParams, limits: ApiLimits): BarsRequest {
  const p = readParams(query, barsParams)
  if (p.has('symbol') && p.has('symbols')) throw invalid('give symbol or symbols, not both')
  const interval = p.get('interval') ?? '1m'
  const step = parseInterval(interval)
  const range = readRange(p, limits)
  const symbols = p.has('symbols') ? parseSymbols(p.get('symbols')!) : p.has('symbol') ? [checkSymbol(p.get('symbol'))] : undefined
  const perSymbol = BigInt(range.to.getTime() - range.from.getTime()) * 1000n / step + 1n
  const maxBars = BigInt(limits.maxBars ?? 1_000_000)
  if (perSymbol * BigInt(symbols?.length ?? 1) > maxBars) throw invalid(`${perSymbol} bars of ${interval}${symbols ? ` × ${symbols.length} symbols` : ' per symbol'} is more than ${maxBars}: use a longer interval or a shorter range`)
  return { ...(symbols ? { symbols } : {}), ...range, interval, limit: readLimit(p, limits, limits.maxRows), ...readTravel(p) }
}

export const symbolsParams: readonly ParamSpec[] = rangeParams

export function symbolsRequest(query: URLSearchParams, limits: ApiLimits): SymbolsRequest {
  const p = readParams(query, symbolsParams)
  return readRange(p, limits, 86_400_000)
}

export const snapshotsParams: readonly ParamSpec[] = [
  { name: 'table', type: 'enum', values: ['trades', 'quotes'], description: 'which table (default trades)' },
  { name: 'limit', type: 'integer', description: 'newest snapshots at most (default 100)' },
]

export function snapshotsRequest(query: URLSearchParams, limits: ApiLimits): { table: EngineTable; limit: number } {
  const p = readParams(query, snapshotsParams)
  return { table: p.has('table') ? parseEnum('table', p.get('table')!, ['trades', 'quotes'] as const) : 'trades', limit: p.has('limit') ? parseInteger('limit', p.get('limit')!, 1, limits.maxRows) : 100 }
}

/** A route: its path, what it does, its parameters and its handler (returns the JSON body). */
export interface ApiRoute {
  readonly path: string
  readonly summary: string
  readonly description: string
  readonly params: readonly ParamSpec[]
  /** OpenAPI schema of one item of `data`. */
  readonly item: Record<string, unknown>
  readonly handle: (query: URLSearchParams) => Promise<unknown>
}
