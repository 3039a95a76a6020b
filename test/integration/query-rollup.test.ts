import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  analytics,
  createQueryEngine,
  silentLogger,
  type QueryEngine,
  type Queryable,
} from '../../lib/internal'
import { eventually, scratchDir, uniqueName } from './helpers'
import { createLakeTestContext, makeTrades, produceTrades, startTestSink, tableRecords, startTestRollup } from './lake-helpers'

// The rollups as queries use them: a sink commits trades, the rollup folds them in (run here as
// the maintenance worker runs it), and the engine answers bars() and latestTrades() from the
// rollups and the Kafka tail past their offsets, while trades keep coming. Each answer must equal
// the one the raw trades give.

const lake = createLakeTestContext('qrollup')
const { kafka, serde, catalog, io, namespace, topics } = lake
const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'DOGEUSDT']
let engine: QueryEngine | undefined

beforeAll(() => lake.setup(3))

afterAll(async () => {
  await engine?.close()
  await lake.teardown()
})

describe('queries over the rollups', () => {
  it('answer bars and the latest trades from the rollups and the tail exactly as the trades do, while the sink and the rollup commit', async () => {
    // Batches 15 s of exchange time apart, so minutes are cut across batches and commits.
    const base = BigInt(Date.now() - 30 * 60_000) * 1000n
    const batch = (k: number) => makeTrades(symbols, 150, 1 + k * 150, base + BigInt(k) * 15_000_000n)
    let produced = 0
    for (; produced < 8; produced++) await produceTrades(kafka, serde, topics.trades, batch(produced))
    const sink = startTestSink(lake, { namespace, topics, groupId: uniqueName('sink'), maxRecords: 100_000, maxAgeMs: 300, rowGroupSize: 10_000, workDir: scratchDir('sink-work') })
    await eventually(async () => (sink.alive(), (await tableRecords(catalog, namespace, 'trades')) === produced * 150 * symbols.length || undefined), 60_000, 'the first trades committed')

    const rollup = startTestRollup(lake, namespace)
    engine = await createQueryEngine({ namespace, topics, cacheDir: scratchDir('query-cache'), refreshMs: 200 }, { catalog, io, kafka, serde, logger: silentLogger })
    const e = engine
    const rawOnly: Queryable = { query: (sql, o) => e.query(sql, o) }
    // The rollup's SQL without the engine's in-memory index of it (D91).
    const rollupSql: Queryable = { query: (sql, o) => e.query(sql, o), readable: (t) => e.readable(t) }
    await eventually(async () => (e.readable('bars_1m') && e.readable('trades_latest')) || (await e.refresh(), undefined), 60_000, 'the rollups committed and readable')

    const seen = { rollupReads: 0, withTail: 0, withLake: 0, edgeReads: 0, folded: 0, foldedAndRaw: 0, latestIndexed: 0, latestIndexedWithTail: 0 }
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      sink.alive()
      await produceTrades(kafka, serde, topics.trades, batch(produced++))
      // Every trade before the last batch's start is acknowledged: a closed range both reads agree on.
      const closedTo = new Date(Number((base + BigInt(produced - 1) * 15_000_000n) / 1000n))
      for (const [from, interval] of [[new Date(Number(base / 1000n) - 60_000), '1m'], [new Date(Number(base / 1000n) + 7_123), '5m']] as const) {
        const request = { from, to: closedTo, interval }
        const viaRollup = await analytics.bars(e, request)
        const viaTrades = await analytics.bars(rawOnly, request)
        expect(viaRollup.rows, `bars ${interval} from ${from.toISOString()} to ${closedTo.toISOString()}`).toEqual(viaTrades.rows)
        expect(viaTrades.rows.length).toBeGreaterThan(0)
        const b = viaRollup.boundaries.bars_1m
        if (b) {
          seen.rollupReads++
          if ((b.tail?.records ?? 0) > 0) seen.withTail++
          if ((b.tail?.folded ?? 0) > 0) seen.folded++
          if ((b.tail?.folded ?? 0) > 0 && b.tail!.folded! < b.tail!.records) seen.foldedAndRaw++
          if (b.lakeRecords > 0n) seen.withLake++
          if (viaRollup.boundaries.trades) seen.edgeReads++
        }
      }
      // The latest trade per symbol, three ways, at the same acknowledged trades: the index, the
      // rollup's SQL, and the trades.
      const latest = await analytics.latestTrades(e, { lookbackMs: 3_600_000 })
      expect(latest.rows, 'latest trades from the index').toEqual((await analytics.latestTrades(rollupSql, { lookbackMs: 3_600_000 })).rows)
      expect(latest.rows, 'latest trades from the trades').toEqual((await analytics.latestTrades(rawOnly, { lookbackMs: 3_600_000 })).rows)
      expect(latest.rows.map((r) => Number(r.tradeId))).toEqual(symbols.map(() => produced * 150))
      const li = latest.boundaries.trades_latest
      if (li?.index) {
        seen.latestIndexed++
        if ((li.tail?.records ?? 0) > 0) seen.latestIndexedWithTail++
      }
    }
    expect(seen.rollupReads, JSON.stringify(seen)).toBeGreaterThan(4)
    expect(seen.withLake, JSON.stringify(seen)).toBeGreaterThan(0)
    expect(seen.withTail, 'some reads found trades the rollup had not folded yet, and took them from the tail').toBeGreaterThan(0)
    expect(seen.edgeReads, 'ranges cut inside a minute read the trades of their end minutes').toBeGreaterThan(0)
    expect(seen.folded, "some reads took the tail's records as folded blocks").toBeGreaterThan(0)
    expect(seen.foldedAndRaw, 'some took folded blocks and records around them raw').toBeGreaterThan(0)
    expect(seen.latestIndexed, 'the latest trades came from the index').toBeGreaterThan(0)
    expect(seen.latestIndexedWithTail, 'some index reads held trades the rollup had not folded yet').toBeGreaterThan(0)

    // The latest trade of each symbol: the producer has stopped, so both reads see the same trades.
    const latestViaRollup = await analytics.latestTrades(e, { lookbackMs: 3_600_000 })
    const latestViaTrades = await analytics.latestTrades(rawOnly, { lookbackMs: 3_600_000 })
    expect(latestViaRollup.boundaries.trades_latest, 'latestTrades read the rollup').toBeDefined()
    expect(latestViaRollup.rows).toEqual(latestViaTrades.rows)
    expect(latestViaRollup.rows.map((r) => Number(r.tradeId))).toEqual(symbols.map(() => produced * 150))

    await rollup.stop()
    await sink.stop()
  })
})
