import { describe, expect, it } from 'vitest'
import type { HistoricalTrade } from '../../../lib/internal'
import { gapCheckIntervalMs, tradesFromHistory } from '../../../lib/internal'
import type { NormaliseContext } from '../../../lib/internal'
import type { RejectReason } from '../../../lib/internal'

const ctx = (timeUnit: 'ms' | 'us'): NormaliseContext => ({
  exchange: 'BINANCE',
  symbols: new Map([['BTCUSDT', { symbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT' }]]),
  receivedMicros: 1_700_000_050_000_000n,
  timeUnit,
  maxFrameBytes: 4096,
})
const gap = { symbol: 'BTCUSDT', from: 11n, to: 13n }
const row = (id: number, over: Partial<HistoricalTrade> = {}): HistoricalTrade => ({ id, price: '37000.5', qty: '0.25', quoteQty: '9250.125', time: 1_700_000_000_000 + id, isBuyerMaker: id % 2 === 0, isBestMatch: true, ...over })

function fill(rows: HistoricalTrade[], timeUnit: 'ms' | 'us' = 'ms') {
  const rejects: Array<{ text: string; reason: RejectReason; detail: string }> = []
  const fetched = tradesFromHistory(gap, rows, ctx(timeUnit), (text, reason, detail) => rejects.push({ text, reason, detail }))
  return { fetched, rejects }
}

describe('filling a gap from REST history', () => {
  it('turns each row into the trade the stream would have sent, marked as repaired from REST', () => {
    const { fetched, rejects } = fill([row(11), row(12)])
    expect(rejects).toEqual([])
    expect(fetched.map((f) => f.id)).toEqual([11n, 12n])
    const t = fetched[0]!.record
    expect(t).toMatchObject({ symbol: 'BTCUSDT', tradeId: 11n, messageId: 'BINANCE:BTCUSDT:11', price: '37000.50000000', quantity: '0.25000000', side: 'BUY', currency: 'USDT' })
    expect(t.timestampMicros).toBe(BigInt(row(11).time) * 1000n)
    expect(t.ingestionTimestampMicros).toBe(ctx('ms').receivedMicros)
    expect(t.vendorData.repaired_from).toBe('rest')
    expect(fetched[1]!.record.side).toBe('SELL')
  })

  it('keeps microsecond times exact when the stream is read in µs', () => {
    const micros = 1_700_000_000_000_123
    const { fetched } = fill([row(11, { time: micros })], 'us')
    expect(fetched[0]!.record.timestampMicros).toBe(BigInt(micros))
  })

  it('dead-letters a row the normaliser refuses, with its reason, and fills with the rest', () => {
    const { fetched, rejects } = fill([row(11), row(12, { price: '0' }), row(13, { qty: 'lots' })])
    expect(fetched.map((f) => f.id)).toEqual([11n])
    expect(rejects.map((r) => r.reason)).toEqual(['non_positive', 'non_numeric'])
    expect(JSON.parse(rejects[0]!.text)).toMatchObject({ e: 'trade', s: 'BTCUSDT', t: 12, p: '0' })
  })

  it('answers nothing for an empty history', () => {
    expect(fill([])).toEqual({ fetched: [], rejects: [] })
  })
})

describe('how often gaps are looked for', () => {
  it.each([
    { windowMs: 0, every: 10 },
    { windowMs: 25, every: 12 },
    { windowMs: 60, every: 30 },
    { windowMs: 100, every: 50 },
    { windowMs: 10_000, every: 50 },
  ])('every $every ms for a $windowMs ms reorder window', ({ windowMs, every }) => {
    expect(gapCheckIntervalMs(windowMs)).toBe(every)
  })
})
