import { ErrorCode, WorkbenchError, retry, type RetryPolicy } from '../errors/index'
import { HttpError, requestJson } from '../http/index'
import type { BinanceHistoricalTrade } from './binance-frames'

/** One row of Binance `GET /api/v3/historicalTrades` (spec: Spot REST "Old trade lookup"). */
export type HistoricalTrade = BinanceHistoricalTrade

/** A listed symbol from `GET /api/v3/exchangeInfo`. */
export interface ListedSymbol {
  readonly symbol: string
  readonly baseAsset: string
  readonly quoteAsset: string
  readonly status: string
}

export interface BinanceRestOptions {
  readonly restUrl: string
  /** Sent as X-MBX-APIKEY when set (from the environment, never code). */
  readonly apiKey?: string
  readonly retryPolicy?: RetryPolicy
  readonly signal?: AbortSignal
  /**
   * Times in µs (`X-MBX-TIME-UNIT: MICROSECOND`) to match a stream read with
   * timeUnit=MICROSECOND: a repaired trade then has the time the stream would have given it.
   */
  readonly timeUnit?: 'ms' | 'us'
}

/** Binance REST market data: the symbol list and trade history by id, for gap repair. */
export interface BinanceRest {
  exchangeInfo(): Promise<ListedSymbol[]>
  /** Trades of `symbol` with ids from `fromId` to `toId` inclusive, oldest first (paged, 1000 a call). */
  tradesById(symbol: string, fromId: bigint, toId: bigint): Promise<HistoricalTrade[]>
  /** The exchange's clock (ms), `GET /api/v3/time`: one attempt, no retry (a poll that fails is skipped). */
  serverTime?(): Promise<number>
}

const pageSize = 1000

export function createBinanceRest(options: BinanceRestOptions): BinanceRest {
  const base = options.restUrl.replace(/\/+$/, '')
  const headers: Record<string, string> = {
    ...(options.apiKey ? { 'X-MBX-APIKEY': options.apiKey } : {}),
    ...(options.timeUnit === 'us' ? { 'X-MBX-TIME-UNIT': 'MICROSECOND' } : {}),
  }
  // 429 (rate limited) and 418 (banned for a while) are worth waiting for; 5xx is the server.
  const isRetryable = (err: unknown): boolean => (err instanceof HttpError ? err.status >= 500 || err.status === 429 || err.status === 418 : err instanceof WorkbenchError && err.retryable)
  const get = <T>(path: string): Promise<T> => retry(() => requestJson<T>(`${base}${path}`, { headers, json: 'json', signal: options.signal }), options.retryPolicy, options.signal, { isRetryable })

  return {
    async exchangeInfo() {
      const res = await get<{ symbols: ListedSymbol[] }>('/api/v3/exchangeInfo')
      return res.symbols.map((s) => ({ symbol: s.symbol, baseAsset: s.baseAsset, quoteAsset: s.quoteAsset, status: s.status }))
    },

    async serverTime() {
      const res = await requestJson<{ serverTime: number }>(`${base}/api/v3/time`, { headers, json: 'json', signal: options.signal })
      if (typeof res.serverTime !== 'number') throw new WorkbenchError(ErrorCode.HttpStatus, `GET /api/v3/time answered no serverTime: ${JSON.stringify(res).slice(0, 100)}`, true)
      return res.serverTime
    },

    async tradesById(symbol, fromId, toId) {
      const out: HistoricalTrade[] = []
      let next = fromId
      while (next <= toId) {
        const limit = Number(toId - next + 1n < BigInt(pageSize) ? toId - next + 1n : BigInt(pageSize))
        let page: HistoricalTrade[]
        try {
          page = await get<HistoricalTrade[]>(`/api/v3/historicalTrades?symbol=${encodeURIComponent(symbol)}&fromId=${next}&limit=${limit}`)
        } catch (err) {
          if (err instanceof HttpError && err.status === 400) {
            throw new WorkbenchError(ErrorCode.HttpStatus, `trade history for ${symbol} from id ${next} was refused: ${JSON.stringify(err.body).slice(0, 200)}`, false, { cause: err })
          }
          throw err
        }
        const useful = page.filter((t) => BigInt(t.id) >= next && BigInt(t.id) <= toId)
        out.push(...useful)
        if (useful.length === 0) break // the exchange has nothing more in this range
        next = BigInt(useful[useful.length - 1]!.id) + 1n
      }
      return out
    },
  }
}

/**
 * A history row as the trade event the WebSocket would have sent, so repaired trades pass
 * through the same normaliser (and the same validation) as live ones. Times in the answer are
 * ms, or µs when the server honoured `timeUnit`: the magnitude tells them apart (2010–2100).
 */
export function historyRowToTradeEvent(symbol: string, row: HistoricalTrade, timeUnit: 'ms' | 'us'): string {
  const isMicros = row.time > 1e14
  const time = timeUnit === 'us' ? (isMicros ? row.time : row.time * 1000) : isMicros ? Math.floor(row.time / 1000) : row.time
  return JSON.stringify({ e: 'trade', E: time, s: symbol, t: row.id, p: row.price, q: row.qty, T: time, m: row.isBuyerMaker, M: row.isBestMatch })
}
