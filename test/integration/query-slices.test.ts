import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  allOf,
  analytics,
  createQueryEngine,
  currentSnapshot,
  gte,
  lt,
  silentLogger,
  type QueryEngine,
  type Queryable,
  type Trade,
} from '../../lib/internal'
import { eventually, scratchDir, uniqueName } from './helpers'
import { createLakeTestContext, makeTrades, produceTrades, startTestRollup, startTestSink, tableRecords } from './lake-helpers'

// Minute slices (D93) in the engine over a real lake: the sink commits an hour of trades into
// files that each span the hour, as a day's compacted files do. Reads confined to a minute or two
// (a range's edges) are answered from slices once asked for twice; every answer must be the one
// the files give, also after a commit adds a trade to a sliced minute.

const lake = createLakeTestContext('slices')
const { kafka, serde, catalog, io, namespace, topics } = lake
const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']
const minute = 60_000
const startMs = Math.floor((Date.now() - 2 * 3_600_000) / minute) * minute
const startUs = BigInt(startMs) * 1000n
// 8,000 trades per symbol 450 ms apart: an hour, 24,000 trades (more than a row group's worth in a minute's files).
const trades: Trade[] = makeTrades(symbols, 8000, 1, startUs).map((t, n) => ({ ...t, timestampMicros: startUs + BigInt(Math.floor(n / symbols.length)) * 450_000n + BigInt(n % symbols.length) }))
const late: Trade = { ...trades[0]!, messageId: 'BINANCE:BTCUSDT:90000', tradeId: 90_000n, sourceSequence: 90_000n, timestampMicros: startUs + 20n * 60_000_000n + 30_000_123n, price: '123.45000000' }
let engine: QueryEngine
let plain: QueryEngine

beforeAll(async () => {
  await lake.setup(3)
  await produceTrades(kafka, serde, topics.trades, trades)
  await commit(trades.length)
  engine = await createQueryEngine({ namespace, topics, cacheDir: scratchDir('query-cache'), refreshMs: 200 }, { catalog, io, kafka, serde, logger: silentLogger })
  plain = await createQueryEngine({ namespace, topics, cacheDir: scratchDir('query-cache'), refreshMs: 200, slices: 0 }, { catalog, io, kafka, serde, logger: silentLogger })
}, 180_000)

afterAll(async () => {
  await engine?.close()
  await plain?.close()
  await lake.teardown()
})

/** Runs the sink until the lake holds `records` trades. */
async function commit(records: number): Promise<void> {
  const sink = startTestSink(lake, { namespace, topics, groupId: uniqueName('sink'), maxRecords: 100_000, maxAgeMs: 300, rowGroupSize: 16_384, workDir: scratchDir('sink-work') })
  try {
    await eventually(async () => (sink.alive(), (await tableRecords(catalog, namespace, 'trades')) === records || undefined), 120_000, `${records} trades committed`)
  } finally {
    await sink.stop()
  }
}

/** Every trade in [from, to), as the engine's read gives them: symbol, id and price, by symbol and id. */
const expected = (all: readonly Trade[], from: number, to: number) =>
  all
    .filter((t) => t.timestampMicros >= BigInt(from) * 1000n && t.timestampMicros < BigInt(to) * 1000n)
    .map((t) => ({ symbol: t.symbol, trade_id: t.tradeId, price: t.price }))
    .sort((a, b) => a.symbol.localeCompare(b.symbol) || Number(a.trade_id - b.trade_id))

async function tradesIn(e: QueryEngine, from: number, to: number) {
  const range = { from: new Date(from), to: new Date(to) }
  return e.query<{ symbol: string; trade_id: bigint; price: string }>('SELECT symbol, trade_id, price FROM trades WHERE event_time >= $from AND event_time < $to ORDER BY symbol, trade_id', {
    params: range,
    tables: { trades: { filter: allOf(gte('event_time', range.from), lt('event_time', range.to)) } },
  })
}

describe('minute slices in the engine', () => {
  const from = startMs + 20 * minute + 12_345
  const to = startMs + 21 * minute + 3_000

  it('answer a read of a minute or two from slices once asked twice, with the rows the files give', async () => {
    const want = expected(trades, from, to)
    expect(want.length).toBeGreaterThan(300)
    const first = await tradesIn(engine, from, to)
    expect(first.boundaries.trades?.lakeSlices).toBeUndefined()
    expect(first.rows).toEqual(want)
    const sliced = await eventually(async () => {
      const r = await tradesIn(engine, from, to)
      expect(r.rows).toEqual(want)
      return r.boundaries.trades?.lakeSlices === 2 ? r : undefined
    }, 30_000, 'both minutes read from slices')
    expect(sliced.boundaries.trades?.files).toEqual((await tradesIn(plain, from, to)).boundaries.trades?.files)
    expect((await tradesIn(plain, from, to)).boundaries.trades?.lakeSlices).toBeUndefined()
  })

  it('answer with a trade a later commit adds to a sliced minute (a slice is named by its files)', async () => {
    await produceTrades(kafka, serde, topics.trades, [late])
    await commit(trades.length + 1)
    const { metadata } = await catalog.loadTable([namespace], 'trades')
    const snapshotId = currentSnapshot(metadata)!['snapshot-id']
    const want = expected([...trades, late], from, to)
    // Once the engine reads the new snapshot, the late trade is in the lake (its tail starts after it).
    const r = await eventually(async () => {
      const x = await tradesIn(engine, from, to)
      return x.boundaries.trades?.snapshotId === snapshotId ? x : undefined
    }, 30_000, 'the engine at the new snapshot')
    expect(r.boundaries.trades?.tail?.records ?? 0).toBe(0)
    expect(r.rows).toEqual(want)
    expect(r.rows.filter((t) => t.trade_id === 90_000n)).toHaveLength(1)
    await eventually(async () => {
      const x = await tradesIn(engine, from, to)
      expect(x.rows).toEqual(want)
      return x.boundaries.trades?.lakeSlices === 2 || undefined
    }, 30_000, 'both minutes sliced again')
  })

  it('give the bars of a range cut inside minutes at both ends, through the rollup, as the trades give them', async () => {
    const rollup = startTestRollup(lake, namespace)
    try {
      await eventually(async () => engine.readable('bars_1m') || (await engine.refresh(), undefined), 60_000, 'the rollup committed and readable')
      const request = { from: new Date(startMs + 5 * minute + 7_500), to: new Date(startMs + 50 * minute + 40_000), interval: '5m' }
      const rawOnly: Queryable = { query: (sql, o) => plain.query(sql, o) }
      const fromTrades = (await analytics.bars(rawOnly, request)).rows
      expect(fromTrades).toHaveLength(symbols.length * 10)
      await eventually(async () => {
        const r = await analytics.bars(engine, request)
        expect(r.boundaries.bars_1m).toBeDefined()
        expect(r.rows).toEqual(fromTrades)
        return r.boundaries.trades?.lakeSlices === 2 || undefined
      }, 30_000, 'both edges read from slices')
    } finally {
      await rollup.stop()
    }
  })
})
