import { describe, expect, it } from 'vitest'
import { canonicalPositiveDecimal, priceDecimal, quantityDecimal } from '../../../lib/internal'
import { normaliseBinanceFrame, type NormaliseContext } from '../../../lib/internal'

const ctx: NormaliseContext = {
  exchange: 'BINANCE',
  symbols: new Map([
    ['BTCUSDT', { symbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT' }],
    ['ETHBTC', { symbol: 'ETHBTC', baseAsset: 'ETH', quoteAsset: 'BTC' }],
  ]),
  receivedMicros: 1_700_000_000_123_456n,
  timeUnit: 'ms',
  maxFrameBytes: 4096,
}

const tradeEvent = { e: 'trade', E: 1700000000100, s: 'BTCUSDT', t: 4242, p: '37012.50', q: '0.00150000', T: 1700000000099, m: true, M: true }
const wrap = (data: unknown, stream = 'btcusdt@trade'): string => JSON.stringify({ stream, data })

describe('normaliseBinanceFrame', () => {
  it('turns a combined-stream trade into an exact trade record', () => {
    const r = normaliseBinanceFrame(wrap(tradeEvent), ctx)
    expect(r).toEqual({
      kind: 'trade',
      trade: {
        messageId: 'BINANCE:BTCUSDT:4242',
        tradeId: 4242n,
        symbol: 'BTCUSDT',
        exchange: 'BINANCE',
        assetClass: 'crypto',
        timestampMicros: 1_700_000_000_099_000n,
        price: '37012.50000000',
        quantity: '0.00150000',
        currency: 'USDT',
        side: 'SELL',
        tradeConditions: [],
        sourceSequence: 4242n,
        ingestionTimestampMicros: ctx.receivedMicros,
        vendorData: { event_time: '1700000000100', best_match: 'true', stream: 'btcusdt@trade' },
      },
    })
  })

  it('reads the buyer as taker as BUY, a raw (unwrapped) event, and microsecond time units', () => {
    const r = normaliseBinanceFrame(JSON.stringify({ ...tradeEvent, m: false, T: 1700000000099123 }), { ...ctx, timeUnit: 'us' })
    expect(r.kind === 'trade' && [r.trade.side, r.trade.timestampMicros]).toEqual(['BUY', 1_700_000_000_099_123n])
  })

  it('turns a bookTicker into a quote in the quote currency', () => {
    const r = normaliseBinanceFrame(wrap({ u: 400900217, s: 'ETHBTC', b: '0.05310000', B: '31.21', a: '0.05320000', A: '40.66' }, 'ethbtc@bookTicker'), ctx)
    expect(r.kind).toBe('quote')
    if (r.kind !== 'quote') return
    expect([r.quote.updateId, r.quote.bidPrice, r.quote.bidSize, r.quote.askPrice, r.quote.currency, r.quote.timestampMicros]).toEqual([
      400900217n,
      '0.05310000',
      '31.21000000',
      '0.05320000',
      'BTC',
      ctx.receivedMicros,
    ])
  })

  it('passes serverShutdown through as a control event', () => {
    expect(normaliseBinanceFrame(JSON.stringify({ e: 'serverShutdown', E: 1700000000000 }), ctx)).toEqual({ kind: 'control', event: 'serverShutdown' })
  })

  it.each([
    ['malformed JSON', '{"stream":"btcusdt@trade","data":{"e":"tra', 'malformed_json'],
    ['not an object', '[1,2,3]', 'wrong_type'],
    ['unknown event', wrap({ e: 'kline', s: 'BTCUSDT' }), 'unknown_event_type'],
    ['oversize frame', wrap({ ...tradeEvent, pad: 'x'.repeat(5000) }), 'oversize_frame'],
    ['unknown symbol', wrap({ ...tradeEvent, s: 'DOGEFOO' }), 'unknown_symbol'],
    ['missing symbol', wrap({ ...tradeEvent, s: undefined }), 'missing_field'],
    ['missing price', wrap({ ...tradeEvent, p: undefined }), 'missing_field'],
    ['price as a number', wrap({ ...tradeEvent, p: 37012.5 }), 'wrong_type'],
    ['non-numeric price', wrap({ ...tradeEvent, p: 'abc' }), 'non_numeric'],
    ['NaN price', wrap({ ...tradeEvent, p: 'NaN' }), 'non_numeric'],
    ['negative price', wrap({ ...tradeEvent, p: '-1.0' }), 'non_numeric'],
    ['zero price', wrap({ ...tradeEvent, p: '0.00000000' }), 'non_positive'],
    ['zero quantity', wrap({ ...tradeEvent, q: '0' }), 'non_positive'],
    ['exponent', wrap({ ...tradeEvent, q: '1e5' }), 'non_numeric'],
    ['too many decimals', wrap({ ...tradeEvent, p: '1.000000001' }), 'out_of_range'],
    ['price too large', wrap({ ...tradeEvent, p: '12345678901.0' }), 'out_of_range'],
    ['trade id not an integer', wrap({ ...tradeEvent, t: 1.5 }), 'wrong_type'],
    ['trade id as string', wrap({ ...tradeEvent, t: '4242' }), 'wrong_type'],
    ['negative trade id', wrap({ ...tradeEvent, t: -1 }), 'out_of_range'],
    ['missing trade time', wrap({ ...tradeEvent, T: undefined }), 'missing_field'],
    ['implausible time', wrap({ ...tradeEvent, T: 12 }), 'out_of_range'],
    ['maker flag not boolean', wrap({ ...tradeEvent, m: 'true' }), 'wrong_type'],
    ['crossed book', wrap({ u: 1, s: 'BTCUSDT', b: '101.0', B: '1', a: '100.0', A: '1' }, 'btcusdt@bookTicker'), 'crossed_book'],
    ['quote missing ask size', wrap({ u: 1, s: 'BTCUSDT', b: '99.0', B: '1', a: '100.0' }, 'btcusdt@bookTicker'), 'missing_field'],
  ])('rejects %s with reason %s', (_name, frame, reason) => {
    const r = normaliseBinanceFrame(frame, ctx)
    expect(r.kind).toBe('reject')
    expect(r.kind === 'reject' && r.reason).toBe(reason)
    expect(r.kind === 'reject' && r.detail.length).toBeGreaterThan(3)
  })
})

describe('canonicalPositiveDecimal', () => {
  it.each([
    ['1', priceDecimal, '1.00000000'],
    ['0001.10', priceDecimal, '1.10000000'],
    ['0.00000001', priceDecimal, '0.00000001'],
    ['9999999999.99999999', priceDecimal, '9999999999.99999999'],
    ['12345678901234567890.5', quantityDecimal, '12345678901234567890.50000000'],
    ['5.1200000000', priceDecimal, '5.12000000'],
  ])('%s → %s', (raw, shape, expected) => {
    expect(canonicalPositiveDecimal(raw, shape)).toEqual({ value: expected })
  })
})

describe('decimal shapes', () => {
  it('match the Avro schemas the records are written with', async () => {
    const { tradeSchema, quoteSchema } = await import('../../../lib/internal')
    const shape = (schema: unknown, field: string): unknown => {
      const f = (schema as { fields: Array<{ name: string; type: { precision: number; scale: number } }> }).fields.find((x) => x.name === field)!
      return { precision: f.type.precision, scale: f.type.scale }
    }
    expect(shape(tradeSchema, 'price')).toEqual(priceDecimal)
    expect(shape(tradeSchema, 'quantity')).toEqual(quantityDecimal)
    expect(shape(quoteSchema, 'bid_price')).toEqual(priceDecimal)
    expect(shape(quoteSchema, 'ask_size')).toEqual(quantityDecimal)
  })
})
