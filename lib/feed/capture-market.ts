/**
 * A ReplayMarket that plays a capture of Binance frames: one combined-stream message a line
 * (`{"stream":"btcusdt@trade","data":{…}}`; raw payloads are accepted too), as
 * `data/sample-capture.jsonl` holds. Pure: the caller reads the file.
 *
 * The whole capture is parsed up front (captures are meant to be small test fixtures). Trade and
 * bookTicker frames become events; anything else (serverShutdown, other streams, lines that do
 * not parse) is skipped and counted. Trades enter the REST history as they are played, so
 * `historicalTrades` never answers with a trade the tape has not reached. Fields the replay
 * exchange does not model (e.g. the old `b`/`a` order ids of 2023 captures) are not replayed.
 */
import { ErrorCode, WorkbenchError } from '../errors/index'
import { asBookTickerEvent, asTradeEvent, parseDecimalUnits, parseFrame, significantDecimals } from './binance-frames'
import type { Instrument, MarketEvent } from './market-events'
import type { ReplayMarket } from './replay-market'
import { createTradeHistory, historicalTradesDefaultLimit } from './trade-history'

/** How a capture is read. */
export interface CaptureMarketOptions {
  /** Trades kept per symbol for `history` (default 10,000). */
  readonly historyPerSymbol?: number
  /** Beyond that, what each symbol traded in the last this many ms of wall time (default 60,000; 0: the count only). */
  readonly historyRetainMs?: number
  /** Named in errors, e.g. the file path. */
  readonly source?: string
}

/** A ReplayMarket over a capture, with what was skipped while reading it. */
export interface CaptureMarket extends ReplayMarket {
  /** Events in the capture. */
  readonly size: number
  /** Lines that were not a trade or bookTicker frame. */
  readonly skipped: number
}

/** Quote assets recognised when splitting a captured symbol into base and quote, longest first. */
const quoteAssets = ['FDUSD', 'USDT', 'USDC', 'TUSD', 'BUSD', 'BTC', 'ETH', 'BNB', 'EUR', 'TRY', 'BRL', 'JPY']

/** Parses a capture's text into a ReplayMarket. Throws CONFIG_INVALID when it holds no trade or bookTicker frame. */
export function createCaptureMarket(text: string, options: CaptureMarketOptions = {}): CaptureMarket {
  const events: MarketEvent[] = []
  const decimals = new Map<string, { price: number; qty: number }>()
  let skipped = 0
  let lastTime: number | undefined
  let leadingQuotes: number[] = []

  const note = (symbol: string, prices: readonly string[], qtys: readonly string[]): void => {
    const d = decimals.get(symbol) ?? { price: 0, qty: 0 }
    for (const p of prices) d.price = Math.max(d.price, significantDecimals(p))
    for (const q of qtys) d.qty = Math.max(d.qty, significantDecimals(q))
    decimals.set(symbol, d)
  }
  // Captures are in ms unless taken with timeUnit=MICROSECOND (values beyond ~year 5138 in ms).
  const micros = (t: number): number => (t > 1e14 ? t : t * 1000)

  for (const line of text.split('\n')) {
    const trimmed = line.trim()
    if (!trimmed) continue
    let data: unknown
    try {
      data = parseFrame(trimmed).data
    } catch {
      skipped++
      continue
    }
    const trade = asTradeEvent(data)
    if (trade && isDecimal(trade.p) && isDecimal(trade.q)) {
      note(trade.s, [trade.p], [trade.q])
      lastTime = micros(trade.T)
      for (const i of leadingQuotes) events[i] = { ...events[i]!, timeMicros: lastTime }
      leadingQuotes = []
      events.push({
        kind: 'trade',
        symbol: trade.s,
        tradeId: trade.t,
        price: trade.p,
        quantity: trade.q,
        buyerIsMaker: trade.m,
        timeMicros: lastTime,
        eventTimeMicros: micros(trade.E),
      })
      continue
    }
    const quote = asBookTickerEvent(data)
    if (quote && [quote.b, quote.B, quote.a, quote.A].every(isDecimal)) {
      note(quote.s, [quote.b, quote.a], [quote.B, quote.A])
      if (lastTime === undefined) leadingQuotes.push(events.length)
      events.push({ kind: 'quote', symbol: quote.s, updateId: quote.u, bidPrice: quote.b, bidSize: quote.B, askPrice: quote.a, askSize: quote.A, timeMicros: lastTime ?? 0 })
      continue
    }
    skipped++
  }
  if (events.length === 0) {
    const name = options.source ? `capture ${options.source}` : 'capture'
    throw new WorkbenchError(ErrorCode.ConfigInvalid, `${name} holds no trade or bookTicker frame (expected one Binance combined-stream message a line, e.g. data/sample-capture.jsonl)`)
  }

  const instruments: Instrument[] = [...decimals.entries()].map(([symbol, d]) => {
    const quoteAsset = quoteAssets.find((q) => symbol.endsWith(q) && symbol.length > q.length) ?? symbol.slice(-4)
    return { symbol, baseAsset: symbol.slice(0, symbol.length - quoteAsset.length), quoteAsset, priceDecimals: d.price, qtyDecimals: d.qty }
  })
  const history = createTradeHistory({ capacityPerSymbol: options.historyPerSymbol ?? 10_000, ...(options.historyRetainMs === undefined ? {} : { retainMs: options.historyRetainMs }) })
  for (const i of instruments) history.register(i.symbol, i.priceDecimals, i.qtyDecimals)

  let position = 0
  return {
    instruments,
    size: events.length,
    skipped,
    next() {
      const ev = events[position]
      if (!ev) return undefined
      position++
      if (ev.kind === 'trade') {
        const d = decimals.get(ev.symbol)!
        const price = parseDecimalUnits(ev.price, d.price)
        const qty = parseDecimalUnits(ev.quantity, d.qty)
        if (price !== undefined && qty !== undefined) history.add(ev.symbol, ev.tradeId, price, qty, ev.timeMicros, ev.buyerIsMaker)
      }
      return ev
    },
    history(symbol, fromId, limit = historicalTradesDefaultLimit) {
      if (!decimals.has(symbol)) return undefined
      return history.query(symbol, fromId, limit)
    },
  }
}

function isDecimal(text: string): boolean {
  return /^\d+(\.\d+)?$/.test(text)
}
