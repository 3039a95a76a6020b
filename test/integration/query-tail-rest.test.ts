import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  analytics,
  createQueryEngine,
  silentLogger,
  type QueryEngine,
  type Queryable,
} from '../../lib/internal'
import { eventually, uniqueName, scratchDir } from './helpers'
import { createLakeTestContext, makeTrades, produceTrades, startTestSink, tableRecords, type TestSink, startTestRollup } from './lake-helpers'

/**
 * A tail with no query for a while rests (reads nothing); the next query resumes it from the
 * lake's offsets and still answers every acknowledged trade once: the records the sink committed
 * while it rested from the lake, the rest from the tail. The latest trade per symbol, answered from
 * the engine's in-memory index (D91), whose tail part never saw the records the rest skipped,
 * answers as the trades do.
 */
const lake = createLakeTestContext('tail-rest')
const { kafka, serde, catalog, io, namespace, topics } = lake
const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']
let engine: QueryEngine | undefined

const startSink = (): TestSink =>
  startTestSink(lake, { namespace, topics, groupId: uniqueName('sink'), maxRecords: 100_000, maxAgeMs: 300, rowGroupSize: 10_000, workDir: scratchDir('sink-work') })

beforeAll(() => lake.setup(3))

afterAll(async () => {
  await engine?.close()
  await lake.teardown()
})

describe('a resting Kafka tail', () => {
  it('wakes for a query and answers every trade once, from the lake offsets committed while it rested', async () => {
    const perPart = 500
    // Trades of the last half hour, part after part (1 ms apart), as a look-back of an hour finds them.
    const startOf = (firstId: number): bigint => (BigInt(Date.now() - 30 * 60_000) + BigInt(firstId)) * 1000n
    const part = (firstId: number) => makeTrades(symbols, perPart, firstId, startOf(firstId))
    const committed = (n: number, what: string, sink: { alive: () => void }): Promise<true> =>
      eventually(async () => (sink.alive(), (await tableRecords(catalog, namespace, 'trades')) === n || undefined), 60_000, what)
    const sink = startSink()
    await produceTrades(kafka, serde, topics.trades, part(1))
    await committed(perPart * symbols.length, 'the first part committed', sink)
    // The rollups, kept as the maintenance worker keeps them, all along.
    const rollup = startTestRollup(lake, namespace)

    engine = await createQueryEngine({ namespace, topics, cacheDir: scratchDir('query-cache'), refreshMs: 100, tailIdleMs: 400 }, { catalog, io, kafka, serde, logger: silentLogger })
    const e = engine
    const count = async (): Promise<{ n: bigint; ids: bigint; hi: bigint; tail: number }> => {
      const r = await e.query<{ n: bigint; ids: bigint; hi: bigint }>('SELECT count(*) AS n, count(DISTINCT (symbol, trade_id)) AS ids, max(trade_id) AS hi FROM trades')
      return { ...r.rows[0]!, tail: r.boundaries.trades!.tail!.records }
    }
    expect((await count()).n).toBe(BigInt(perPart * symbols.length))
    expect(e.tailPositions('trades')!.reading).toBe(true)
    await eventually(async () => !e.tailPositions('trades')!.reading || undefined, 30_000, 'the tail to rest with no query')

    // While it rests: a second part reaches the lake, a third only Kafka (the sink stops first).
    await produceTrades(kafka, serde, topics.trades, part(perPart + 1))
    await committed(2 * perPart * symbols.length, 'the second part committed', sink)
    await sink.stop()
    await produceTrades(kafka, serde, topics.trades, part(2 * perPart + 1))
    // The trims of the resting tail follow the lake: it will resume at the second part's end.
    await eventually(async () => ([...e.tailPositions('trades')!.next.values()].reduce((a, b) => a + b, 0n) >= BigInt(2 * perPart * symbols.length) || undefined), 30_000, 'the resting tail to move up to the lake offsets')
    expect(e.tailPositions('trades')!.reading).toBe(false)

    const woken = await count()
    expect(woken.n).toBe(BigInt(3 * perPart * symbols.length))
    expect(woken.ids).toBe(woken.n)
    expect(woken.hi).toBe(BigInt(3 * perPart))
    // Only the third part came from the tail: what the lake took while it rested was not read again.
    expect(woken.tail).toBe(perPart * symbols.length)

    // The latest trade per symbol: from the index once it holds the rollup's snapshot, and always
    // what the trades say (the third part's last trade of each symbol).
    const rawOnly: Queryable = { query: (sql, o) => e.query(sql, o) }
    const expected = (await analytics.latestTrades(rawOnly, { lookbackMs: 3_600_000 })).rows
    expect(expected.map((r) => Number(r.tradeId))).toEqual(symbols.map(() => 3 * perPart))
    await eventually(
      async () => {
        const latest = await analytics.latestTrades(e, { lookbackMs: 3_600_000 })
        expect(latest.rows).toEqual(expected)
        return latest.boundaries.trades_latest?.index !== undefined || (await e.refresh(), undefined)
      },
      30_000,
      'the latest trades answered from the index',
    )
    await rollup.stop()
  })
})
