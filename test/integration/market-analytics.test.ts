import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  analytics,
  createMetrics,
  createQueryEngine,
  runIcebergSink,
  silentLogger,
  type QueryEngine,
  type Trade,
} from '../../lib/internal'
import { eventually, uniqueName, scratchDir } from './helpers'
import { createLakeTestContext, makeQuotes, makeTrades, produceRecords, produceTrades, tableRecords } from './lake-helpers'

const lake = createLakeTestContext('analytics')
const { kafka, serde, catalog, io, namespace, topics } = lake
const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']
// An hour ago, on a whole minute: bars and look-backs see it whenever the test runs.
const startMs = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000
const startMicros = BigInt(startMs) * 1000n
let engine: QueryEngine
let all: Trade[]

const units = (d: string): bigint => {
  const [i, f = ''] = d.split('.')
  return BigInt(i!) * 100_000_000n + BigInt(f.padEnd(8, '0'))
}
const decimal8 = (u: bigint): string => `${u / 100_000_000n}.${String(u % 100_000_000n).padStart(8, '0')}`

beforeAll(async () => {
  await lake.setup(3)

  // 200,000 trades per symbol a millisecond apart (3m20s), prices cycling, quantities varied.
  // The first half is committed to the lake; the second stays in Kafka only (the sink is stopped).
  all = makeTrades(symbols, 200_000, 1, startMicros)
  const lakePart = all.slice(0, all.length / 2)
  const tailPart = all.slice(all.length / 2)
  await produceTrades(kafka, serde, topics.trades, lakePart)
  const q = makeQuotes(symbols, 1000, startMicros - 500n)
  await produceRecords(kafka, topics.quotes, q.map((x) => ({ key: x.symbol, value: serde.serializeQuote(x) })))
  const abort = new AbortController()
  const sink = runIcebergSink(
    { namespace, topics, groupId: uniqueName('sink'), maxRecords: 200_000, maxAgeMs: 500, rowGroupSize: 10_000, workDir: scratchDir('sink-work') },
    { kafka, catalog, io, serde, logger: silentLogger, metrics: createMetrics() },
    abort.signal,
  )
  await eventually(async () => ((await tableRecords(catalog, namespace, 'trades')) === lakePart.length && (await tableRecords(catalog, namespace, 'quotes')) === q.length) || undefined, 120_000, 'the lake part committed')
  abort.abort()
  await sink
  await produceTrades(kafka, serde, topics.trades, tailPart)

  engine = await createQueryEngine({ namespace, topics, cacheDir: scratchDir('query-cache') }, { catalog, io, kafka, serde, logger: silentLogger })
}, 240_000)

afterAll(async () => {
  await engine?.close()
  await lake.teardown()
})

describe('market analytics', () => {
  it('computes 1-minute OHLCV bars with exact VWAP across the lake and the tail', async () => {
    const from = new Date(startMs)
    const to = new Date(startMs + 4 * 60_000)
    const r = await analytics.bars(engine, { symbol: 'ETHUSDT', from, to, interval: '1m' })
    // Expected, in exact integer arithmetic.
    const expected = new Map<bigint, { open: string; close: string; high: bigint; low: bigint; volume: bigint; notional16: bigint; n: bigint }>()
    for (const t of all.filter((x) => x.symbol === 'ETHUSDT')) {
      const bucket = (t.timestampMicros / 60_000_000n) * 60_000_000n
      const p = units(t.price)
      const q = units(t.quantity)
      const b = expected.get(bucket)
      if (!b) expected.set(bucket, { open: t.price, close: t.price, high: p, low: p, volume: q, notional16: p * q, n: 1n })
      else {
        b.close = t.price
        if (p > b.high) b.high = p
        if (p < b.low) b.low = p
        b.volume += q
        b.notional16 += p * q
        b.n++
      }
    }
    expect(r.rows).toHaveLength(expected.size)
    for (const row of r.rows) {
      const e = expected.get(BigInt(row.start.getTime()) * 1000n)!
      expect(row).toMatchObject({
        symbol: 'ETHUSDT',
        open: e.open,
        close: e.close,
        high: decimal8(e.high),
        low: decimal8(e.low),
        volume: decimal8(e.volume),
        notional: decimal8((e.notional16 + 50_000_000n) / 100_000_000n),
        vwap: decimal8((2n * e.notional16 + e.volume) / (2n * e.volume)),
        trades: e.n,
      })
    }
    // Both sides fed the bars.
    expect(r.boundaries.trades!.lakeRecords).toBeGreaterThan(0n)
    expect(r.boundaries.trades!.tail!.records).toBe(all.length / 2)

    // All symbols, 1-hour bars.
    const hourly = await analytics.bars(engine, { from, to, interval: '1h' })
    expect(hourly.rows.reduce((a, b) => a + b.trades, 0n)).toBe(BigInt(all.length))
  })

  it('lists trades and quotes of a symbol in a range, and the newest trades across both sides', async () => {
    const from = new Date(startMs + 10_000)
    const t = await analytics.trades(engine, { symbol: 'btcusdt', from, to: new Date(startMs + 10_010), limit: 100 })
    expect(t.rows.map((x) => x.tradeId)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(10_001 + i)))
    expect(t.rows[0]).toMatchObject({ symbol: 'BTCUSDT', price: '100.00000000', side: 'SELL', source: 'lake' })

    const recent = await analytics.recentTrades(engine, { symbol: 'SOLUSDT', minutes: 120, limit: 5 })
    expect(recent.rows.map((x) => x.tradeId)).toEqual([200_000n, 199_999n, 199_998n, 199_997n, 199_996n])
    expect(recent.rows.every((x) => x.source === 'kafka')).toBe(true)

    const q = await analytics.quotes(engine, { symbol: 'ETHUSDT', from: new Date(startMs), to: new Date(startMs + 5), limit: 10 })
    // Quote i is at start + (i - 1) ms − 0.5 ms + k µs: the first in range is update 2.
    expect(q.rows.map((x) => x.updateId)).toEqual([2n, 3n, 4n, 5n, 6n])
    expect(q.rows[0]).toMatchObject({ bidPrice: '101.00000000', askPrice: '101.01000000', bidSize: '1.50000000' })
  })

  it('finds the latest trade and quote per symbol, and the symbols that traded', async () => {
    const lt = await analytics.latestTrades(engine)
    expect(lt.rows.map((x) => [x.symbol, x.tradeId])).toEqual([
      ['BTCUSDT', 200_000n],
      ['ETHUSDT', 200_000n],
      ['SOLUSDT', 200_000n],
    ])
    const lq = await analytics.latestQuotes(engine, { symbols: ['ETHUSDT'] })
    expect(lq.rows).toHaveLength(1)
    expect(lq.rows[0]).toMatchObject({ symbol: 'ETHUSDT', updateId: 1000n, bidPrice: '101.00000000' })
    const s = await analytics.symbols(engine)
    expect(s.rows.map((x) => [x.symbol, x.trades])).toEqual(symbols.map((x) => [x, 200_000n]).sort())
  })

  it('joins each trade to the quote prevailing at its time', async () => {
    // Quote i of a symbol is at start + i ms - 0.5 ms + k µs; trade i at start + i ms + k µs.
    const r = await analytics.tradesWithQuotes(engine, { symbol: 'ETHUSDT', from: new Date(startMs), to: new Date(startMs + 3), quoteLookbackMs: 1000 })
    expect(r.rows.map((x) => x.tradeId)).toEqual([1n, 2n, 3n])
    const first = r.rows[0]!
    expect(first).toMatchObject({ price: '101.00000000', bidPrice: '101.00000000', askPrice: '101.01000000', spread: '0.01000000', quoteAgeMs: 0.5 })
    expect(first.mid).toBe('101.005000000')
    expect(first.effectiveSpread).toBe('0.010000000')
    expect(first.spreadBps).toBeCloseTo((0.01 / 101.005) * 10_000, 9)
    // Beyond the last quote plus the look-back, no quote prevails.
    const late = await analytics.tradesWithQuotes(engine, { symbol: 'ETHUSDT', from: new Date(startMs + 10_000), to: new Date(startMs + 10_002), quoteLookbackMs: 1000 })
    expect(late.rows.every((x) => x.bidPrice === null && x.mid === null)).toBe(true)
  })

  it('reports trade-id gaps and duplicates per symbol', async () => {
    const gappy = makeTrades(['GAPUSDT'], 100, 1, startMicros).filter((t) => t.tradeId < 50n || t.tradeId > 52n)
    gappy.push(gappy[9]!)
    await produceTrades(kafka, serde, topics.trades, gappy)
    const r = await analytics.tradeIdGaps(engine, { from: new Date(startMs), to: new Date(startMs + 3_600_000) })
    expect(r.summary.find((x) => x.symbol === 'GAPUSDT')).toMatchObject({ trades: 98n, firstTradeId: 1n, lastTradeId: 100n, missing: 3n, duplicates: 1n })
    expect(r.summary.find((x) => x.symbol === 'BTCUSDT')).toMatchObject({ trades: 200_000n, missing: 0n, duplicates: 0n })
    expect(r.gaps).toEqual([{ symbol: 'GAPUSDT', afterTradeId: 49n, beforeTradeId: 53n, missing: 3n }])
  })

  it('refuses bad input with a clear error before it reaches DuckDB', async () => {
    await expect(analytics.bars(engine, { symbol: "BTC'; DROP TABLE x; --", from: new Date(startMs), to: new Date(startMs + 1) })).rejects.toMatchObject({ code: 'QUERY_INVALID' })
    await expect(analytics.bars(engine, { symbol: 'BTCUSDT', from: new Date(startMs), to: new Date(startMs), interval: '1m' })).rejects.toThrow(/before/)
    await expect(analytics.bars(engine, { symbol: 'BTCUSDT', from: new Date(startMs), to: new Date(startMs + 1), interval: '7x' })).rejects.toThrow(/interval/)
    await expect(analytics.trades(engine, { symbol: 'BTCUSDT', from: new Date(startMs), to: new Date(startMs + 1), limit: 0 })).rejects.toThrow(/limit/)
  })
})
