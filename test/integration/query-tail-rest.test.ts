import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createQueryEngine, silentLogger, type QueryEngine } from '../../lib/internal'
import { eventually, uniqueName, scratchDir } from './helpers'
import { createLakeTestContext, makeTrades, produceTrades, startTestSink, tableRecords, type TestSink } from './lake-helpers'

/**
 * A tail with no query for a while rests (reads nothing); the next query resumes it from the
 * lake's offsets and still answers every acknowledged trade once: the records the sink committed
 * while it rested from the lake, the rest from the tail.
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
    const committed = (n: number, what: string, sink: { alive: () => void }): Promise<true> =>
      eventually(async () => (sink.alive(), (await tableRecords(catalog, namespace, 'trades')) === n || undefined), 60_000, what)
    const sink = startSink()
    await produceTrades(kafka, serde, topics.trades, makeTrades(symbols, perPart, 1))
    await committed(perPart * symbols.length, 'the first part committed', sink)

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
    await produceTrades(kafka, serde, topics.trades, makeTrades(symbols, perPart, perPart + 1))
    await committed(2 * perPart * symbols.length, 'the second part committed', sink)
    await sink.stop()
    await produceTrades(kafka, serde, topics.trades, makeTrades(symbols, perPart, 2 * perPart + 1))
    // The trims of the resting tail follow the lake: it will resume at the second part's end.
    await eventually(async () => ([...e.tailPositions('trades')!.next.values()].reduce((a, b) => a + b, 0n) >= BigInt(2 * perPart * symbols.length) || undefined), 30_000, 'the resting tail to move up to the lake offsets')
    expect(e.tailPositions('trades')!.reading).toBe(false)

    const woken = await count()
    expect(woken.n).toBe(BigInt(3 * perPart * symbols.length))
    expect(woken.ids).toBe(woken.n)
    expect(woken.hi).toBe(BigInt(3 * perPart))
    // Only the third part came from the tail: what the lake took while it rested was not read again.
    expect(woken.tail).toBe(perPart * symbols.length)
  })
})
