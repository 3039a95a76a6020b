import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKafkaSender, createMetrics, ensureTopics, openQueryEngine, runIcebergSink, silentLogger, type BatchSender, type QueryEngine, type WorkbenchConfig } from '../../lib/internal'
import { FatalError, dropTopics, eventually, uniqueName, scratchDir } from './helpers'
import { createLakeTestContext, makeTrades } from './lake-helpers'

/**
 * Shed trades stay visible: while the load shedder sends a tier-3 symbol's trades to the deferred
 * topic and the sink does not backfill them, a hybrid query still returns every acknowledged
 * trade of that symbol (contiguous trade ids), and once the sink has backfilled them into the
 * table, still every trade, each once.
 */
const lake = createLakeTestContext('deferred')
const { kafka, serde, catalog, io, namespace } = lake
const topics = { ...lake.topics, deferredTrades: uniqueName('trades-deferred'), deferredQuotes: uniqueName('quotes-deferred') }
const hot = ['BTCUSDT', 'ETHUSDT']
const tier3 = 'TIER3USDT'
let engine: QueryEngine | undefined
let sender: BatchSender | undefined
const sinks: Array<{ stop: () => Promise<unknown> }> = []

function startSink(withDeferred: boolean): { stop: () => Promise<unknown>; alive: () => void } {
  const abort = new AbortController()
  let failure: unknown
  const run = runIcebergSink(
    {
      namespace,
      // Without the deferred topic the sink cannot backfill: what a sink above NORMAL does.
      topics: withDeferred ? { ...lake.topics, deferredTrades: topics.deferredTrades } : lake.topics,
      streams: ['trades'],
      groupId: uniqueName('sink'),
      maxRecords: 100_000,
      maxAgeMs: 400,
      rowGroupSize: 10_000,
      workDir: scratchDir('sink-work'),
    },
    { kafka, catalog, io, serde, logger: silentLogger, metrics: createMetrics() },
    abort.signal,
  )
  run.catch((err: unknown) => (failure = err))
  const sink = {
    alive: () => {
      if (failure) throw new FatalError(`the sink stopped: ${String(failure)}`, { cause: failure })
    },
    stop: async () => {
      abort.abort()
      return run.catch(() => undefined)
    },
  }
  sinks.push(sink)
  return sink
}

beforeAll(async () => {
  await lake.setup(4)
  const admin = kafka.admin()
  await admin.connect()
  // Another partition count than the hot topic's: offsets are per topic.
  await ensureTopics(admin, [{ topic: topics.deferredTrades, partitions: 2 }])
  await admin.disconnect()
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, transactionalId: uniqueName('ingest') })
  await producer.connect()
  sender = createKafkaSender(producer, { transactional: true })
})

afterAll(async () => {
  await engine?.close()
  for (const s of sinks) await s.stop()
  await sender?.close()
  await dropTopics(kafka, [topics.deferredTrades, topics.deferredQuotes])
  await lake.teardown()
})

describe('hybrid queries with the load shedder', () => {
  it('return every acknowledged trade of a shed symbol, before and after the backfill, each once', async () => {
    // The ingestor's way: one transaction per batch; a shed symbol's trades go to the deferred
    // topic with their tier in a header, everything else to the hot topic.
    let next = 1
    /** Last trade id acknowledged per round (all symbols share ids), oldest first. */
    const acked: number[] = [0]
    let shedding = false
    const round = async (count: number): Promise<void> => {
      const trades = makeTrades([...hot, tier3], count, next)
      await sender!.send(
        trades.map((t) => {
          const shed = shedding && t.symbol === tier3
          return { topic: shed ? topics.deferredTrades : topics.trades, key: t.symbol, value: serde.serializeTrade(t), ...(shed ? { headers: { 'k2-tier': '3' } } : {}), meta: undefined }
        }),
        'zstd',
      )
      next += count
      acked.push(next - 1)
    }

    const config: WorkbenchConfig = { ...lake.config, topics: { ...lake.config.topics, ...topics } }
    // A query of the shed symbol: no gap, no duplicate, and every trade acknowledged two rounds
    // before it started (a commit is acknowledged before its markers reach every partition; the
    // next transaction cannot start until they have).
    const check = async (): Promise<{ hi: number; kafka: number; deferredRecords: number; lake: number }> => {
      const before = acked.at(-2)!
      const r = await engine!.query<{ n: bigint; ids: bigint; lo: bigint | null; hi: bigint | null; kafka: bigint; lake: bigint }>(
        `SELECT count(*) AS n, count(DISTINCT trade_id) AS ids, min(trade_id) AS lo, max(trade_id) AS hi,
                count(*) FILTER (WHERE _source = 'kafka') AS kafka, count(*) FILTER (WHERE _source = 'lake') AS lake
           FROM trades WHERE symbol = $symbol`,
        { params: { symbol: tier3 } },
      )
      const row = r.rows[0]!
      expect(row.ids).toBe(row.n)
      expect(row.lo ?? 1n).toBe(1n)
      expect(row.hi ?? 0n).toBe(row.n)
      expect(Number(row.hi ?? 0n)).toBeGreaterThanOrEqual(before)
      const b = r.boundaries.trades!
      expect(b.deferredTail?.topic).toBe(topics.deferredTrades)
      expect(b.tail?.topic).toBe(topics.trades)
      return { hi: Number(row.hi ?? 0n), kafka: Number(row.kafka), deferredRecords: b.deferredTail!.records, lake: Number(row.lake) }
    }
    const untilAll = (what: string, extra: (c: Awaited<ReturnType<typeof check>>) => boolean = () => true): Promise<Awaited<ReturnType<typeof check>>> =>
      eventually(async () => {
        const c = await check()
        return c.hi === acked.at(-1)! && extra(c) ? c : undefined
      }, 30_000, what)

    // Normal: everything goes to the hot topic, and the sink commits it.
    for (let i = 0; i < 5; i++) await round(100)
    const hotSink = startSink(false)
    engine = await openQueryEngine(config, { namespace, logger: silentLogger })
    await untilAll('the normal trades', (c) => c.lake > 0)

    // Overload: the tier-3 symbol is shed to the deferred topic; the sink does not backfill.
    shedding = true
    const seen = { deferred: 0, queries: 0 }
    for (let i = 0; i < 25; i++) {
      hotSink.alive()
      await round(40)
      const c = await check()
      seen.queries++
      if (c.deferredRecords > 0) seen.deferred++
    }
    const shed = await untilAll('the shed trades visible')
    expect(shed.deferredRecords).toBe(25 * 40)
    expect(seen.deferred).toBeGreaterThan(seen.queries / 2)
    // The lake holds none of them: they are in the deferred topic only.
    const lakeOnly = await engine.query<{ hi: bigint }>('SELECT max(trade_id) AS hi FROM trades WHERE symbol = $symbol', { params: { symbol: tier3 }, tables: { trades: { tail: false } } })
    expect(Number(lakeOnly.rows[0]!.hi)).toBeLessThanOrEqual(500)

    // Recovery: the symbol is back on the hot topic, still no backfill.
    shedding = false
    for (let i = 0; i < 5; i++) await round(40)
    await untilAll('the trades after the overload')

    // Backfill: a sink that reads the deferred topic commits it, its offsets with the data.
    await hotSink.stop()
    const backfill = startSink(true)
    for (let i = 0; i < 5; i++) await round(40)
    let queriesDuringBackfill = 0
    const done = await eventually(
      async () => {
        backfill.alive()
        const c = await check()
        queriesDuringBackfill++
        return c.hi === acked.at(-1)! && c.kafka === 0 && c.deferredRecords === 0 ? c : undefined
      },
      90_000,
      'the backfill committed',
    )
    expect(queriesDuringBackfill).toBeGreaterThan(1)
    expect(done.lake).toBe(acked.at(-1)!)
    const snapshots = await engine.snapshots('trades')
    const current = snapshots.find((s) => s.current)!
    expect(Object.values(current.deferredOffsets ?? {}).reduce((a, b) => a + b, 0n)).toBeGreaterThanOrEqual(BigInt(25 * 40))
    // Every symbol whole and once.
    const all = await engine.query<{ symbol: string; n: bigint; ids: bigint; hi: bigint }>('SELECT symbol, count(*) AS n, count(DISTINCT trade_id) AS ids, max(trade_id) AS hi FROM trades GROUP BY symbol ORDER BY symbol')
    expect(all.rows.map((r) => [r.symbol, Number(r.n), Number(r.ids), Number(r.hi)])).toEqual([...hot, tier3].sort().map((s) => [s, acked.at(-1)!, acked.at(-1)!, acked.at(-1)!]))
  })
})
