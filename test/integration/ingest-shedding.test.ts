import { Kafka, logLevel } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createMetrics,
  createRecordSerde,
  createReplayExchange,
  createSchemaRegistryClient,
  createSyntheticMarket,
  createThreadedKafkaSender,
  levelRank,
  runIngestor,
  silentLogger,
  type DegradationTransition,
} from '../../lib/internal'
import { dropTopics, readTopic, stackConfig, standInSink, uniqueName } from './helpers'
import { lossOf, recordReliability, tapeOver, topicTrades } from './oracles'

describe('load shedding in the ingest worker', () => {
  const config = stackConfig()
  const kafka = new Kafka({ clientId: uniqueName('shed-test'), brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
  // As pipelines/ingest.ts runs it: transactional, each batch with its checkpoint.
  const topics = { trades: uniqueName('trades'), quotes: uniqueName('quotes'), deadLetter: uniqueName('dead'), deferredTrades: uniqueName('trades-deferred'), deferredQuotes: uniqueName('quotes-deferred'), checkpoint: uniqueName('checkpoint'), partitions: 3 }
  const registry = createSchemaRegistryClient({ url: config.schemaRegistry.url })
  const sinkGroup = uniqueName('absent-sink')

  afterAll(async () => {
    await kafka.admin().connect().catch(() => undefined)
    await dropTopics(kafka, [topics.trades, topics.quotes, topics.deadLetter, topics.deferredTrades, topics.deferredQuotes, topics.checkpoint], registry)
  })

  it('defers tiers 2 and 3 while degraded, never tier 1, and every trade id lands once across the hot and deferred topics', async () => {
    const market = createSyntheticMarket({ seed: 9, historyPerSymbol: 200_000 })
    const symbols = market.instruments.slice(0, 8).map((i) => i.symbol)
    const exchange = createReplayExchange({ market, seed: 9, rate: 5 }, { logger: silentLogger })
    await exchange.start()
    const serde = createRecordSerde({ registry })
    await serde.registerSchemas({ trades: topics.trades, quotes: topics.quotes })
    await serde.registerSchemas({ trades: topics.deferredTrades, quotes: topics.deferredQuotes })
    const metrics = createMetrics()
    const abort = new AbortController()
    const transitions: DegradationTransition[] = []
    const sender = await createThreadedKafkaSender({ brokers: config.kafka.brokers, clientId: uniqueName('shed-test'), transactionalId: `k2-ingest-${topics.trades}` })
    const running = runIngestor(
      {
        exchange: 'BINANCE',
        wsUrl: exchange.url,
        restUrl: exchange.restUrl,
        symbols,
        timeUnit: 'us',
        maxConnectionMs: 60_000,
        maxFrameBytes: 64 * 1024,
        topics,
        reorderWindowMs: 100,
        maxPendingPerSymbol: 5000,
        batchMaxRecords: 2000,
        lingerMs: 10,
        compression: 'zstd',
        // The sink's backlog is the signal, from the progress a stand-in sink publishes with its
        // group offsets: it reads nothing (a backlog growing with the input) until the test lets
        // it catch up.
        degradation: {
          policy: { cooldownMs: 600, thresholds: { backlogSeconds: { enter: [0.5, 1, 2, 1_000_000], recover: [0.25, 0.5, 1, 500_000], judge: { kind: 'standing', windowMs: 1000, minGrowthPerSecond: 0.05 }, growthGated: true } } },
          sinkGroupId: sinkGroup,
          tiers: { tier1: 2, tier2: 5 },
          tierRecomputeMs: 500,
          intervalMs: 200,
          onLevel: (t) => transitions.push(t),
        },
      },
      { kafka, encoder: { encodeTrade: (t) => serde.serializeTrade(t), encodeQuote: (q) => serde.serializeQuote(q) }, logger: silentLogger, metrics, sender },
      abort.signal,
    )
    // Degrade: wait until AGGRESSIVE, let it shed for a while, then let the "sink" catch up.
    const admin = kafka.admin()
    await admin.connect()
    // The ingest creates its topics as it starts; the stand-in joins once they exist.
    for (let i = 0; i < 300 && !(await admin.listTopics()).includes(topics.quotes); i++) await new Promise((r) => setTimeout(r, 100))
    const sink = await standInSink(kafka, sinkGroup, [topics.trades, topics.quotes])
    const until = async (what: () => boolean, ms: number, label: string): Promise<void> => {
      const end = Date.now() + ms
      while (!what()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${label}; transitions: ${transitions.map((t) => `${t.to} (${t.reason})`).join(' → ')}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    await until(() => transitions.some((t) => t.to === 'AGGRESSIVE'), 30_000, 'AGGRESSIVE')
    await new Promise((r) => setTimeout(r, 3000))
    // The "sink" catches up on both hot topics (the ingest counts the sink's backlog over both).
    sink.catchUp()
    await until(() => transitions.at(-1)?.to === 'NORMAL', 30_000, 'NORMAL')
    await new Promise((r) => setTimeout(r, 1500))
    await sink.stop()
    await admin.disconnect()
    abort.abort()
    const report = await running
    // What Kafka holds across the hot and deferred topics, and the exchange's own tape of the same
    // stretch (read before it closes): the truth the report's counts are checked against.
    const hot = await readTopic(kafka, topics.trades)
    const deferred = await readTopic(kafka, topics.deferredTrades)
    const inKafka = await topicTrades(kafka, serde, [topics.trades, topics.deferredTrades])
    const onTape = await tapeOver(exchange.restUrl, inKafka)
    await exchange.close()

    recordReliability('ingest-shedding', [{ kind: 'fault', target: 'ingest', what: 'overload: the sink\'s backlog growing until tiers 2 and 3 are deferred', count: 1 }], "the exchange's tape vs the hot and deferred topics", lossOf(inKafka, onTape))
    // Up in order, then down one level at a time to NORMAL.
    const ranks = transitions.map((t) => levelRank(t.to))
    const peak = ranks.indexOf(Math.max(...ranks))
    expect(ranks.slice(0, peak + 1).every((r, i) => i === 0 || r > ranks[i - 1]!)).toBe(true)
    expect(ranks.slice(peak).every((r, i, xs) => i === 0 || r === xs[i - 1]! - 1)).toBe(true)
    expect(transitions.at(-1)!.to).toBe('NORMAL')

    // Deferred records name their tier; none is tier 1.
    expect(deferred.length).toBeGreaterThan(0)
    expect(deferred.length).toBe(report.shed.trades)
    for (const d of deferred) expect(['2', '3']).toContain(d.headers['k2-tier'])
    const deferredQuotes = await readTopic(kafka, topics.deferredQuotes)
    expect(deferredQuotes.length).toBe(report.shed.quotes)
    // The two busiest symbols (tier 1 throughout) were never deferred.
    const perSymbol = new Map<string, number>()
    for (const m of hot) perSymbol.set(m.key!, (perSymbol.get(m.key!) ?? 0) + 1)
    for (const m of deferred) perSymbol.set(m.key!, (perSymbol.get(m.key!) ?? 0) + 1)
    const busiest = [...perSymbol.entries()].sort((a, b) => b[1] - a[1]).slice(0, 2).map(([s]) => s)
    for (const s of busiest) expect(deferred.some((d) => d.key === s), `${s} was deferred`).toBe(false)

    // Exactly once across both topics: every trade the exchange made in the stretch, once, value
    // for value; and the ingest's report agrees.
    for (const [symbol, list] of inKafka.ids) expect(new Set(list.map(String)).size, `${symbol}: duplicates`).toBe(list.length)
    expect(inKafka.ids).toEqual(onTape.ids)
    expect(inKafka.hash, 'content differs between the exchange\'s tape and Kafka').toBe(onTape.hash)
    expect(inKafka.records).toBe(report.trades)
    const shedMetric = await metrics.registry.getSingleMetricAsString('k2_degrade_shed_records_total')
    expect(shedMetric).toMatch(/stream="trades",tier="[23]"\} [1-9]/)
  }, 120_000)
})
