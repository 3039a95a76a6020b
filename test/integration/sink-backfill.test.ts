import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createMetrics,
  currentSnapshot,
  ensureTopics,
  runIcebergSink,
  silentLogger,
  type DegradationTransition,
} from '../../lib/internal'
import { dropTopics, eventually, uniqueName, scratchDir } from './helpers'
import { createLakeTestContext, makeTrades, produceRecords, produceTrades, queryTable, tableRecords } from './lake-helpers'

const lake = createLakeTestContext('backfill')
const { kafka, serde, catalog, io, namespace } = lake
const topics = { ...lake.topics, deferredTrades: uniqueName('trades-deferred') }

beforeAll(async () => {
  await lake.setup(4)
  const admin = kafka.admin()
  await admin.connect()
  await ensureTopics(admin, [{ topic: topics.deferredTrades, partitions: 2 }])
  await admin.disconnect()
})

afterAll(async () => {
  await dropTopics(kafka, [topics.deferredTrades])
  await lake.teardown()
})

describe('sink degradation and backfill', () => {
  it('holds deferred records back while degraded and backfills them exactly once back at NORMAL, stepping down in order', async () => {
    const hot = makeTrades(['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BNBUSDT'], 60_000)
    await produceTrades(kafka, serde, topics.trades, hot)
    const transitions: DegradationTransition[] = []
    const metrics = createMetrics()
    const abort = new AbortController()
    const run = runIcebergSink(
      {
        namespace,
        topics,
        streams: ['trades'],
        groupId: uniqueName('sink'),
        // Small commits keep the backlog standing for a while (about 60 commits): with 20,000 the
        // sink could drain it before its first sample, depending on the machine.
        maxRecords: 4_000,
        maxAgeMs: 500,
        // The sink sees a partition's end only in the fetches it handles, and at the default 4 MiB
        // one fetch holds a partition's whole backlog here: read at once, the backlog showed only
        // while a batch decoded, and a sample missed it in a full run now and then. Small fetches
        // keep the unread backlog standing while the commits drain it.
        fetchBytesPerPartition: 64 * 1024,
        rowGroupSize: 10_000,
        workDir: scratchDir('sink-work'),
        // The 240,000 records produced before it started are a backlog far above 5 s of input, but
        // not growing (nothing new arrives): SOFT, which holds the deferred records back until it is
        // drained; nothing here may shed (D37). The window is one sample: the sink drains this
        // backlog in a few seconds, and the test must not depend on how many.
        degradation: { cooldownMs: 1500, thresholds: { backlogSeconds: { enter: [5, 50, 100, 1000], recover: [2.5, 25, 50, 500], judge: { kind: 'standing', windowMs: 1, minGrowthPerSecond: 0.05 }, growthGated: true } } },
        onLevel: (t) => transitions.push(t),
      },
      { kafka, catalog, io, serde, logger: silentLogger, metrics },
      abort.signal,
    )
    run.catch(() => undefined)
    // On a timeout, say what the sink's policy saw (it failed once in a full run and never alone).
    const signals = async (): Promise<string> => JSON.stringify((await metrics.registry.getSingleMetric('k2_degrade_signal')?.get())?.values.map((v) => [v.labels.signal, v.value]) ?? [])
    let seen = ''
    await eventually(
      async () => {
        seen = await signals()
        return transitions.length > 0 || undefined
      },
      30_000,
      () => `the backlog to raise the level (the sink's last judged signals: ${seen})`,
    )
    // Shed while degraded: these wait in the deferred topic.
    const deferred = makeTrades(['TIER3USDT', 'OTHERUSDT'], 1500)
    await produceRecords(kafka, topics.deferredTrades, deferred.map((t) => ({ key: t.symbol, value: serde.serializeTrade(t), headers: { 'k2-tier': '3' } })))
    const total = hot.length + deferred.length
    await eventually(async () => (await tableRecords(catalog, namespace, 'trades')) === total || undefined, 90_000, 'hot and deferred records committed')
    abort.abort()
    const report = await run

    // A backlog that only shrinks is drained at SOFT: it never sheds or pauses.
    expect(transitions.map((t) => t.to)).not.toContain('GRACEFUL')
    // Levels went up, then came down one at a time, in order, to NORMAL: no flapping.
    const ranks = transitions.map((t) => ['NORMAL', 'SOFT', 'GRACEFUL', 'AGGRESSIVE', 'CIRCUIT_BREAK'].indexOf(t.to))
    const peak = ranks.indexOf(Math.max(...ranks))
    expect(ranks.slice(0, peak + 1).every((r, i) => i === 0 || r > ranks[i - 1]!)).toBe(true)
    expect(ranks.slice(peak).every((r, i, xs) => i === 0 || r === xs[i - 1]! - 1)).toBe(true)
    expect(transitions.at(-1)!.to).toBe('NORMAL')
    const normalAt = transitions.at(-1)!.atMs

    // The deferred records landed only after the level was NORMAL again, and exactly once.
    const { metadata } = await catalog.loadTable([namespace], 'trades')
    const firstBackfill = metadata.snapshots.filter((s) => s.summary[`k2.kafka.offsets@${topics.deferredTrades}`] !== undefined).sort((a, b) => a['timestamp-ms'] - b['timestamp-ms'])[0]!
    expect(firstBackfill['timestamp-ms']).toBeGreaterThanOrEqual(normalAt)
    expect(currentSnapshot(metadata)!.summary['k2.kafka.topic']).toBe(topics.trades)
    const rows = await queryTable<{ symbol: string; n: bigint; ids: bigint }>(catalog, io, namespace, 'trades', 'SELECT symbol, count(*) AS n, count(DISTINCT trade_id) AS ids FROM t GROUP BY symbol ORDER BY symbol')
    expect(rows.map((r) => [r.symbol, Number(r.n), Number(r.ids)])).toEqual([
      ["BNBUSDT", 60_000, 60_000],
      ['BTCUSDT', 60_000, 60_000],
      ['ETHUSDT', 60_000, 60_000],
      ['OTHERUSDT', 1500, 1500],
      ['SOLUSDT', 60_000, 60_000],
      ['TIER3USDT', 1500, 1500],
    ])
    expect(report.tables['trades+deferred']!.records).toBe(deferred.length)
    expect(report.degradation.length).toBe(transitions.length)
    expect(await metrics.registry.metrics()).toMatch(/^k2_degrade_backfilled_records_total\{table="trades",tier="3"\} 3000$/m)
  })
})
