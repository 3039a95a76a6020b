import { describe, expect, it } from 'vitest'
import { historicalTradesDefaultLimit, historicalTradesMaxLimit } from '../../../lib/internal'
import type { BinanceHistoricalTrade } from '../../../lib/internal'
import type { Instrument } from '../../../lib/internal'
import type { ReplayMarket } from '../../../lib/internal'
import { answerRestRequest, type ReplayRestContext } from '../../../lib/internal'

const instruments: Instrument[] = [
  { symbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT', priceDecimals: 2, qtyDecimals: 5 },
  { symbol: 'ETHBTC', baseAsset: 'ETH', quoteAsset: 'BTC', priceDecimals: 5, qtyDecimals: 3 },
]
const row: BinanceHistoricalTrade = { id: 5, price: '67000.00000000', qty: '0.10000000', quoteQty: '6700.00000000', time: 1_760_000_000_000, isBuyerMaker: false, isBestMatch: true }

/** A market that lists two symbols and records the history queries it is asked. */
function context(): ReplayRestContext & { readonly queries: unknown[][] } {
  const queries: unknown[][] = []
  const market: ReplayMarket = {
    instruments,
    next: () => undefined,
    history(symbol, ...rest) {
      queries.push([symbol, ...rest])
      return symbol === 'BTCUSDT' ? [row] : undefined
    },
  }
  return { market, queries, clockMs: () => 1_760_000_000_123.9, stats: () => ({ events: 3 }), nowMs: () => 1_760_000_000_000 }
}

const get = (url: string, ctx = context(), timeUnit?: string) => {
  const { status, body } = answerRestRequest({ method: 'GET', url, timeUnit }, ctx)
  return { status, body: JSON.parse(body) as unknown }
}

describe('replay REST endpoints', () => {
  it('answers ping, and time from the exchange clock in whole ms', () => {
    expect(get('/api/v3/ping')).toEqual({ status: 200, body: {} })
    expect(get('/api/v3/time')).toEqual({ status: 200, body: { serverTime: 1_760_000_000_123 } })
  })

  it('answers a request target no URL can be made of with 400, not a throw that would end the exchange', () => {
    expect(get('//')).toEqual({ status: 400, body: { code: -1100, msg: 'malformed request target "//"' } })
  })

  it('answers /k2/stats with the exchange counters', () => {
    expect(get('/k2/stats')).toEqual({ status: 200, body: { events: 3 } })
  })

  it('refuses a path it does not serve with 404 naming those it does, and any method but GET with 405', () => {
    const missing = get('/api/v3/depth?symbol=BTCUSDT')
    expect(missing.status).toBe(404)
    expect(missing.body).toMatchObject({ code: -1000 })
    expect((missing.body as { msg: string }).msg).toMatch(/no endpoint at \/api\/v3\/depth; the replay exchange serves .*\/api\/v3\/historicalTrades/)
    const post = answerRestRequest({ method: 'POST', url: '/api/v3/ping', timeUnit: undefined }, context())
    expect(post.status).toBe(405)
    expect(JSON.parse(post.body)).toEqual({ code: -1000, msg: 'POST is not supported; use GET' })
  })

  it('lists every instrument in exchangeInfo, or those asked for by symbol or symbols', () => {
    const symbols = (url: string): string[] => (get(url).body as { symbols: Array<{ symbol: string }> }).symbols.map((s) => s.symbol)
    expect(symbols('/api/v3/exchangeInfo')).toEqual(['BTCUSDT', 'ETHBTC'])
    expect(symbols('/api/v3/exchangeInfo?symbol=ETHBTC')).toEqual(['ETHBTC'])
    expect(symbols(`/api/v3/exchangeInfo?symbols=${encodeURIComponent('["ETHBTC","BTCUSDT"]')}`)).toEqual(['BTCUSDT', 'ETHBTC'])
    expect((get('/api/v3/exchangeInfo').body as { serverTime: number }).serverTime).toBe(1_760_000_000_000)
  })

  it.each([
    ['/api/v3/exchangeInfo?symbol=NOPE', -1121],
    [`/api/v3/exchangeInfo?symbols=${encodeURIComponent('["ETHBTC","NOPE"]')}`, -1121],
    ['/api/v3/exchangeInfo?symbols=ETHBTC', -1100],
    [`/api/v3/exchangeInfo?symbols=${encodeURIComponent('[1]')}`, -1100],
    ['/api/v3/historicalTrades', -1102],
    ['/api/v3/historicalTrades?symbol=', -1102],
    ['/api/v3/historicalTrades?symbol=BTCUSDT&limit=ten', -1100],
    ['/api/v3/historicalTrades?symbol=BTCUSDT&limit=-1', -1100],
    ['/api/v3/historicalTrades?symbol=BTCUSDT&fromId=1.5', -1100],
    ['/api/v3/historicalTrades?symbol=NOPEUSDT', -1121],
  ])('answers %s with HTTP 400 and Binance code %d', (url, code) => {
    const { status, body } = get(url)
    expect(status).toBe(400)
    expect(body).toMatchObject({ code })
  })

  it('asks the market for history from fromId, with the limit capped as Binance caps it', () => {
    const ctx = context()
    expect(get('/api/v3/historicalTrades?symbol=BTCUSDT', ctx)).toEqual({ status: 200, body: [row] })
    get('/api/v3/historicalTrades?symbol=BTCUSDT&fromId=42&limit=7', ctx)
    get('/api/v3/historicalTrades?symbol=BTCUSDT&limit=0', ctx)
    get(`/api/v3/historicalTrades?symbol=BTCUSDT&limit=${historicalTradesMaxLimit + 1}`, ctx)
    expect(ctx.queries).toEqual([
      ['BTCUSDT', undefined, historicalTradesDefaultLimit, 'ms'],
      ['BTCUSDT', 42, 7, 'ms'],
      ['BTCUSDT', undefined, 1, 'ms'],
      ['BTCUSDT', undefined, historicalTradesMaxLimit, 'ms'],
    ])
  })

  it('answers history in µs under X-MBX-TIME-UNIT MICROSECOND (either case), and refuses other units', () => {
    const ctx = context()
    expect(get('/api/v3/historicalTrades?symbol=BTCUSDT', ctx, 'MICROSECOND').status).toBe(200)
    expect(get('/api/v3/historicalTrades?symbol=BTCUSDT', ctx, 'microsecond').status).toBe(200)
    expect(get('/api/v3/historicalTrades?symbol=BTCUSDT', ctx, 'millisecond').status).toBe(200)
    expect(ctx.queries.map((q) => q[3])).toEqual(['us', 'us', 'ms'])
    const refused = get('/api/v3/historicalTrades?symbol=BTCUSDT', ctx, 'NANOSECOND')
    expect(refused.status).toBe(400)
    expect((refused.body as { msg: string }).msg).toMatch(/Invalid X-MBX-TIME-UNIT "NANOSECOND": use MILLISECOND or MICROSECOND/)
  })
})
