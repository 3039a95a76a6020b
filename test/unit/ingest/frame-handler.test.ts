import { describe, expect, it } from 'vitest'
import { createMetrics } from '../../../lib/internal'
import { createFrameHandler } from '../../../lib/internal'
import type { RejectReason } from '../../../lib/internal'

const context = { exchange: 'BINANCE', symbols: new Map([['BTCUSDT', { symbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT' }]]), timeUnit: 'ms' as const, maxFrameBytes: 4096 }
const tradeFrame = (t: number) => JSON.stringify({ stream: 'btcusdt@trade', data: { e: 'trade', E: 1700000000100, s: 'BTCUSDT', t, p: '1.5', q: '2', T: 1700000000099, m: false, M: true } })
const quoteFrame = (u: number) => JSON.stringify({ stream: 'btcusdt@bookTicker', data: { u, s: 'BTCUSDT', b: '1.0', B: '1', a: '1.1', A: '1' } })

function setUp(options: { acceptQuotes?: boolean; profile?: boolean } = {}) {
  const offered: bigint[] = []
  const quotes: bigint[] = []
  const deadLetters: Array<{ reason: RejectReason; source: string; raw: string }> = []
  const read: bigint[] = []
  const stageNanos = options.profile ? { parse: 0n, normalise: 0n, encode: 0n, produce: 0n } : undefined
  const handler = createFrameHandler(context, {
    sequencing: { offerTrade: (t) => void offered.push(t.tradeId), acceptQuote: () => options.acceptQuotes ?? true },
    output: { quote: (q) => void quotes.push(q.updateId), deadLetter: (raw, reason, _detail, _at, source) => void deadLetters.push({ reason, source, raw }) },
    degradation: { tradeRead: (micros) => void read.push(micros) },
    metrics: createMetrics(),
    stageNanos,
  })
  return { handler, offered, quotes, deadLetters, read, stageNanos }
}

describe('frame handler', () => {
  it('sends trades to sequencing, marking how far the feed has been read by market time', () => {
    const { handler, offered, read } = setUp()
    handler.onFrame(tradeFrame(5), 1n)
    handler.onFrame(tradeFrame(6), 2n)
    expect(offered).toEqual([5n, 6n])
    expect(read).toEqual([1_700_000_000_099_000n, 1_700_000_000_099_000n])
    expect(handler.frames()).toBe(2)
  })

  it('sends quotes to Kafka only when sequencing accepts them', () => {
    const accepted = setUp()
    accepted.handler.onFrame(quoteFrame(9), 1n)
    expect(accepted.quotes).toEqual([9n])
    const duplicate = setUp({ acceptQuotes: false })
    duplicate.handler.onFrame(quoteFrame(9), 1n)
    expect(duplicate.quotes).toEqual([])
  })

  it('dead-letters a frame that cannot become a record, with its reason and raw text, and goes on', () => {
    const { handler, deadLetters, offered } = setUp()
    handler.onFrame('{not json', 1n)
    handler.onFrame(tradeFrame(5), 2n)
    expect(deadLetters).toEqual([{ reason: 'malformed_json', source: 'ws', raw: '{not json' }])
    expect(offered).toEqual([5n])
  })

  it('with the profile on, sums parse and normalise time and handles frames the same', () => {
    const { handler, offered, stageNanos } = setUp({ profile: true })
    handler.onFrame(tradeFrame(5), 1n)
    expect(offered).toEqual([5n])
    expect(stageNanos!.parse + stageNanos!.normalise).toBeGreaterThan(0n)
  })
})
