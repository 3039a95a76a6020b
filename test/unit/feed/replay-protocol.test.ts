import { describe, expect, it } from 'vitest'
import { asBookTickerEvent, asTradeEvent, parseFrame, type BinanceTradeEvent } from '../../../lib/internal'
import type { MarketQuote, MarketTrade } from '../../../lib/internal'
import { answerLiveRequest, checkStreamNames, eventFrames, parseStreamHandshake, serverShutdownFrame, type LiveSession } from '../../../lib/internal'

const trade: MarketTrade = {
  kind: 'trade',
  symbol: 'BTCUSDT',
  tradeId: 901,
  price: '67012.50000000',
  quantity: '0.00120000',
  buyerIsMaker: true,
  timeMicros: 1_760_000_000_123_456,
  eventTimeMicros: 1_760_000_000_125_000,
}
const quote: MarketQuote = {
  kind: 'quote',
  symbol: 'BTCUSDT',
  updateId: 77,
  bidPrice: '67012.50000000',
  bidSize: '1.00000000',
  askPrice: '67012.51000000',
  askSize: '2.00000000',
  timeMicros: 1_760_000_000_123_456,
}

describe('a malformed handshake target', () => {
  it('is refused with 400, not thrown', () => {
    expect(parseStreamHandshake('//')).toMatchObject({ accepted: false, status: 400, error: { code: -1100 } })
  })
})

describe('replay protocol: handshakes', () => {
  it.each([
    ['/stream?streams=btcusdt@trade/ethusdt@bookTicker', true, ['btcusdt@trade', 'ethusdt@bookTicker'], 'MILLISECOND'],
    ['/stream/?streams=btcusdt@trade&timeUnit=MICROSECOND', true, ['btcusdt@trade'], 'MICROSECOND'],
    ['/stream', true, [], 'MILLISECOND'],
    ['/ws/btcusdt@trade/solusdt@trade?timeUnit=microsecond', false, ['btcusdt@trade', 'solusdt@trade'], 'MICROSECOND'],
    ['/ws/btcusdt@trade?timeUnit=millisecond', false, ['btcusdt@trade'], 'MILLISECOND'],
    ['/ws', false, [], 'MILLISECOND'],
  ])('accepts %s', (url, combined, names, unit) => {
    expect(parseStreamHandshake(url)).toEqual({ accepted: true, combined, names, unit })
  })

  it.each([
    ['/streams?streams=btcusdt@trade', 404, /no WebSocket endpoint at \/streams/],
    [undefined, 404, /no WebSocket endpoint at \//],
    ['/ws/btcusdt@trade?timeUnit=NANOSECOND', 400, /Invalid timeUnit "NANOSECOND"/],
    ['/stream?streams=btcusdt@trade&timeUnit=Microsecond', 400, /Invalid timeUnit "Microsecond"/],
  ])('refuses %s with HTTP %d and a Binance error body', (url, status, msg) => {
    const answer = parseStreamHandshake(url)
    expect(answer.accepted).toBe(false)
    if (answer.accepted) return
    expect(answer.status).toBe(status)
    expect(answer.error.code).toBe(-1100)
    expect(answer.error.msg).toMatch(msg)
  })

  it('accepts trade and bookTicker streams, naming those of unlisted symbols so they can be warned about', () => {
    const listed = new Set(['BTCUSDT', 'ETHUSDT'])
    const result = checkStreamNames(['btcusdt@trade', 'ethusdt@bookTicker', 'nopeusdt@trade'], 10, (s) => listed.has(s))
    expect(result).toEqual({ unlisted: ['nopeusdt@trade'] })
  })

  it.each([
    [['btcusdt@depth'], /invalid stream name "btcusdt@depth"/],
    [['BTCUSDT@trade'], /invalid stream name "BTCUSDT@trade"/],
    [['btcusdt@trade', 'x'], /invalid stream name "x"/],
    [['a@trade', 'b@trade', 'c@trade', 'd@trade'], /4 streams requested; a connection may hold at most 3/],
  ])('refuses the streams %j', (names, problem) => {
    expect(checkStreamNames(names, 3, () => true).problem).toMatch(problem)
  })
})

describe('replay protocol: live requests', () => {
  const session: LiveSession = { streams: new Set(['btcusdt@trade']), combined: true }
  const answer = (request: unknown, check: (names: readonly string[]) => string | undefined = () => undefined) =>
    answerLiveRequest(typeof request === 'string' || request === undefined ? request : JSON.stringify(request), session, check)

  it('subscribes after checking every stream the connection would then hold', () => {
    const checked: string[][] = []
    const result = answer({ method: 'SUBSCRIBE', params: ['btcusdt@trade', 'ethusdt@trade'], id: 1 }, (names) => {
      checked.push([...names])
      return undefined
    })
    expect(checked).toEqual([['btcusdt@trade', 'ethusdt@trade']])
    expect(result).toEqual({ reply: { result: null, id: 1 }, change: { subscribe: ['btcusdt@trade', 'ethusdt@trade'] } })
  })

  it('refuses a subscription the check rejects, and changes nothing', () => {
    const result = answer({ method: 'SUBSCRIBE', params: ['btcusdt@depth'], id: 'a1' }, () => 'invalid stream name "btcusdt@depth"')
    expect(result).toEqual({ reply: { code: 2, msg: 'Invalid request: invalid stream name "btcusdt@depth"', id: 'a1' } })
  })

  it.each([
    ['UNSUBSCRIBE', { method: 'UNSUBSCRIBE', params: ['btcusdt@trade'], id: 2 }, { reply: { result: null, id: 2 }, change: { unsubscribe: ['btcusdt@trade'] } }],
    ['LIST_SUBSCRIPTIONS', { method: 'LIST_SUBSCRIPTIONS', id: 3 }, { reply: { result: ['btcusdt@trade'], id: 3 } }],
    ['SET_PROPERTY combined', { method: 'SET_PROPERTY', params: ['combined', false], id: 4 }, { reply: { result: null, id: 4 }, change: { combined: false } }],
    ['GET_PROPERTY combined', { method: 'GET_PROPERTY', params: ['combined'], id: null }, { reply: { result: true, id: null } }],
    ['SET_PROPERTY of another property', { method: 'SET_PROPERTY', params: ['speed', 2], id: 5 }, { reply: { code: 0, msg: 'Unknown property', id: 5 } }],
    ['SET_PROPERTY combined to a non-boolean', { method: 'SET_PROPERTY', params: ['combined', 'yes'], id: 6 }, { reply: { code: 1, msg: 'Invalid value type: expected Boolean' } }],
    ['SUBSCRIBE without a list', { method: 'SUBSCRIBE', params: 'btcusdt@trade', id: 7 }, { reply: { code: 2, msg: 'Invalid request: params must be a list of stream names', id: 7 } }],
    ['UNSUBSCRIBE without a list', { method: 'UNSUBSCRIBE', id: 8 }, { reply: { code: 2, msg: 'Invalid request: params must be a list of stream names', id: 8 } }],
    ['a request id with symbols in it', { method: 'LIST_SUBSCRIPTIONS', id: 'no-dashes' }, { reply: { code: 2, msg: 'Invalid request: request ID must be an unsigned integer' } }],
    ['no request id', { method: 'LIST_SUBSCRIPTIONS' }, { reply: { code: 2, msg: 'Invalid request: request ID must be an unsigned integer' } }],
    ['text that is not JSON', 'SUBSCRIBE btcusdt@trade', { reply: { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' } }],
    ['a JSON list', '["SUBSCRIBE"]', { reply: { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' } }],
    ['a binary message', undefined, { reply: { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' } }],
  ])('answers %s as Binance does', (_, request, expected) => {
    expect(answer(request)).toEqual(expected)
  })

  it('names the methods it knows when given another', () => {
    const { reply, change } = answer({ method: 'PING', id: 9 })
    expect(change).toBeUndefined()
    expect(reply).toMatchObject({ code: 2 })
    expect('msg' in reply && reply.msg).toMatch(/unknown variant "PING", expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`/)
  })
})

describe('replay protocol: frames', () => {
  it('renders a trade raw or combined, in ms or µs, all from the same event', () => {
    const frameFor = eventFrames(trade, 'btcusdt@trade')
    const rawMs = asTradeEvent(JSON.parse(frameFor('MILLISECOND', false)))!
    const rawUs = asTradeEvent(JSON.parse(frameFor('MICROSECOND', false)))!
    expect(rawMs).toMatchObject({ s: 'BTCUSDT', t: 901, p: trade.price, q: trade.quantity, m: true, T: Math.floor(trade.timeMicros / 1000) })
    expect(rawUs).toMatchObject({ t: 901, T: trade.timeMicros, E: trade.eventTimeMicros })
    for (const unit of ['MILLISECOND', 'MICROSECOND'] as const) {
      const combined = parseFrame(frameFor(unit, true))
      expect(combined.stream).toBe('btcusdt@trade')
      expect(JSON.stringify(combined.data)).toBe(frameFor(unit, false))
    }
  })

  it('renders a book ticker the same in either unit, since it carries no time', () => {
    const frameFor = eventFrames(quote, 'btcusdt@bookTicker')
    expect(frameFor('MICROSECOND', false)).toBe(frameFor('MILLISECOND', false))
    expect(asBookTickerEvent(JSON.parse(frameFor('MILLISECOND', false)))).toMatchObject({ u: 77, b: quote.bidPrice, a: quote.askPrice })
    expect(parseFrame(frameFor('MICROSECOND', true)).stream).toBe('btcusdt@bookTicker')
  })

  it('gives the serverShutdown event the market time in the connection unit, wrapped on a combined stream', () => {
    const micros = trade.timeMicros
    expect(JSON.parse(serverShutdownFrame(micros, 'MILLISECOND', false))).toEqual({ e: 'serverShutdown', E: Math.floor(micros / 1000) })
    expect(JSON.parse(serverShutdownFrame(micros, 'MICROSECOND', false))).toEqual({ e: 'serverShutdown', E: micros })
    expect(JSON.parse(serverShutdownFrame(micros, 'MILLISECOND', true))).toEqual({ stream: '!serverShutdown', data: { e: 'serverShutdown', E: Math.floor(micros / 1000) } })
    const t = JSON.parse(eventFrames(trade, 'btcusdt@trade')('MILLISECOND', false)) as BinanceTradeEvent
    expect(JSON.parse(serverShutdownFrame(micros, 'MILLISECOND', false)).E).toBe(t.T)
  })
})
