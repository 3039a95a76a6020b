import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { projectRoot } from '../../../lib/internal'
// lib/index.ts does not re-export feed/ yet; switch to '../../../lib' once it does.
import {
  asBookTickerEvent,
  asTradeEvent,
  captureLine,
  createCaptureMarket,
  createSeededRandom,
  createSyntheticMarket,
  formatBigDecimal8,
  formatDecimal8,
  malformedFrameJson,
  malformedKinds,
  malformedRejectReason,
  parseDecimalUnits,
  parseFrame,
  parseStreamName,
  toBookTickerEvent,
  toTradeEvent,
  tradeEventJson,
  bookTickerEventJson,
  unknownSymbol,
  type BinanceBookTickerEvent,
  type BinanceTradeEvent,
  type MalformedKind,
} from '../../../lib/internal'

const trade: BinanceTradeEvent = { e: 'trade', E: 1672515782136, s: 'BNBBTC', t: 12345, p: '0.00100000', q: '100.00000000', T: 1672515782136, m: true, M: true }
const quote: BinanceBookTickerEvent = { u: 400900217, s: 'BNBUSDT', b: '25.35190000', B: '31.21000000', a: '25.36520000', A: '40.66000000' }

describe('binance frames', () => {
  it.each([
    [6701250, 2, '67012.50000000'],
    [1, 8, '0.00000001'],
    [0, 0, '0.00000000'],
    [123, 0, '123.00000000'],
    [5, 3, '0.00500000'],
    [98765432, 8, '0.98765432'],
    [-150, 2, '-1.50000000'],
  ])('formatDecimal8(%d, %d) = %s', (n, d, text) => {
    expect(formatDecimal8(n, d)).toBe(text)
    if (n >= 0) expect(parseDecimalUnits(text, d)).toBe(n)
  })

  it('formats big products exactly and truncates beyond 8 decimals', () => {
    expect(formatBigDecimal8(6701250n * 90n, 7)).toBe('60.31125000') // 67012.50 × 0.00090
    expect(formatBigDecimal8(123456789n, 9)).toBe('0.12345678')
    expect(formatBigDecimal8(10n ** 20n, 8)).toBe('1000000000000.00000000')
  })

  it('round-trips random integers through formatDecimal8 and parseDecimalUnits', () => {
    const rng = createSeededRandom(5)
    for (let i = 0; i < 2_000; i++) {
      const d = rng.int(9)
      const n = Math.floor(rng.float() * 10 ** (4 + rng.int(10)))
      expect(parseDecimalUnits(formatDecimal8(n, d), d)).toBe(n)
    }
    expect(parseDecimalUnits('1.5', 0)).toBeUndefined() // more precision than the scale
    expect(parseDecimalUnits('NaN', 8)).toBeUndefined()
  })

  it('writes the trade and bookTicker payloads with the documented keys, in order, and types', () => {
    const t = JSON.parse(tradeEventJson(trade))
    expect(Object.keys(t)).toEqual(['e', 'E', 's', 't', 'p', 'q', 'T', 'm', 'M'])
    expect(t).toEqual(trade)
    const q = JSON.parse(bookTickerEventJson(quote))
    expect(Object.keys(q)).toEqual(['u', 's', 'b', 'B', 'a', 'A'])
    expect(q).toEqual(quote)
    expect(asTradeEvent(t)).toEqual(trade)
    expect(asBookTickerEvent(q)).toEqual(quote)
    expect(asTradeEvent({ ...t, t: '12345' })).toBeUndefined()
  })

  it('wraps capture lines as combined-stream frames and converts times to µs on request', () => {
    const market = createSyntheticMarket({ seed: 2 })
    let ev = market.next()
    while (ev.kind !== 'trade') ev = market.next()
    const frame = parseFrame(captureLine(ev))
    expect(frame.stream).toBe(`${ev.symbol.toLowerCase()}@trade`)
    expect(frame.data).toEqual(toTradeEvent(ev, 'MILLISECOND'))
    const us = toTradeEvent(ev, 'MICROSECOND')
    expect(us.T).toBe(ev.timeMicros)
    expect(Math.floor(us.T / 1000)).toBe(toTradeEvent(ev, 'MILLISECOND').T)
    expect(parseStreamName('btcusdt@bookTicker')).toEqual({ symbol: 'btcusdt', kind: 'bookTicker' })
    expect(parseStreamName('BTCUSDT@trade')).toBeUndefined()
    expect(parseStreamName('btcusdt@depth')).toBeUndefined()
  })

  /** What each malformed kind must look like for an ingestor to reject it for its reason. */
  const checks: Record<MalformedKind, (text: string) => void> = {
    truncatedJson: (text) => expect(() => JSON.parse(text)).toThrow(),
    wrongType: (text) => {
      const d = parseFrame(text).data as Record<string, unknown>
      expect(asTradeEvent(d) ?? asBookTickerEvent(d)).toBeUndefined()
      expect(Object.values(d).some((v) => typeof v === 'number' && String(v).includes('.'))).toBe(true)
    },
    missingField: (text) => expect(Object.keys(parseFrame(text).data as object)).not.toContain('p'),
    nanPrice: (text) => expect(Object.values(parseFrame(text).data as object)).toContain('NaN'),
    negativePrice: (text) => expect(Object.values(parseFrame(text).data as object).some((v) => typeof v === 'string' && v.startsWith('-'))).toBe(true),
    zeroPrice: (text) => expect(Object.values(parseFrame(text).data as object)).toContain('0.00000000'),
    unknownEventType: (text) => expect((parseFrame(text).data as { e: string }).e).toMatch(/V9$/),
    oversize: (text) => expect(text.length).toBeGreaterThan(4096),
    unknownSymbol: (text) => expect((parseFrame(text).data as { s: string }).s).toBe(unknownSymbol),
    crossedBook: (text) => {
      const q = asBookTickerEvent(parseFrame(text).data)!
      expect(Number(q.b)).toBeGreaterThan(Number(q.a))
    },
  }

  it.each(malformedKinds.map((k) => [k, malformedRejectReason[k]] as const))('builds %s frames (dead-letter reason %s) from trades and quotes', (kind) => {
    for (const source of [{ trade }, { quote }]) {
      for (const stream of ['bnbbtc@trade', undefined]) {
        const text = malformedFrameJson(kind, source, stream, 4096)
        if (kind !== 'truncatedJson') expect(parseFrame(text).stream === undefined).toBe(stream === undefined)
        if (kind === 'missingField' && 'quote' in source) expect(Object.keys(parseFrame(text).data as object)).not.toContain('b')
        else checks[kind](text)
      }
    }
  })

  it('replays a capture: the same events, and REST history only for trades already played', () => {
    const text = fs.readFileSync(path.join(projectRoot, 'data', 'sample-capture.jsonl'), 'utf8')
    const lines = text.trim().split('\n')
    const capture = createCaptureMarket(text + '\nnot json\n{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1}}\n')
    expect(capture.size).toBe(lines.length)
    expect(capture.skipped).toBe(2)
    expect(capture.instruments.map((i) => i.symbol).sort()).toEqual(['BTCFDUSD', 'BTCUSDT', 'ETHBTC', 'ETHUSDT', 'PEPEUSDT', 'SOLUSDT'])
    expect(capture.instruments.find((i) => i.symbol === 'ETHBTC')).toMatchObject({ baseAsset: 'ETH', quoteAsset: 'BTC' })
    expect(capture.history('BTCUSDT')).toEqual([])
    const replayed: string[] = []
    for (let ev = capture.next(); ev; ev = capture.next()) replayed.push(captureLine(ev))
    expect(replayed).toEqual(lines)
    const btc = lines.map((l) => parseFrame(l)).filter((f) => f.stream === 'btcusdt@trade')
    const rows = capture.history('BTCUSDT', undefined, 1000)!
    expect(rows.map((r) => r.id)).toEqual(btc.map((f) => (f.data as BinanceTradeEvent).t))
    expect(rows.map((r) => r.price)).toEqual(btc.map((f) => (f.data as BinanceTradeEvent).p))
    expect(() => createCaptureMarket('hello\n')).toThrow(/no trade or bookTicker frame/)
  })

  it('keeps quotes and trades apart when converting market events', () => {
    const market = createSyntheticMarket({ seed: 4 })
    const ev = market.next()
    expect(ev.kind).toBe('quote')
    if (ev.kind === 'quote') expect(toBookTickerEvent(ev)).toEqual({ u: ev.updateId, s: ev.symbol, b: ev.bidPrice, B: ev.bidSize, a: ev.askPrice, A: ev.askSize })
  })
})
