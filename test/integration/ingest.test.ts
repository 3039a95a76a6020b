import { Kafka, logLevel } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createMetrics,
  createRecordSerde,
  createReplayExchange,
  createSchemaRegistryClient,
  createSyntheticMarket,
  createThreadedKafkaSender,
  malformedRejectReason,
  runIngestor,
  silentLogger,
  type IngestReport,
  type MarketEvent,
  type ReplayMarket,
} from '../../lib/internal'
import { dropTopics, readTopic, stackConfig, uniqueName } from './helpers'
import { lossOf, recordReliability, sameContent, tapeOver, topicTrades } from './oracles'

const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'DOGEUSDT', 'PEPEUSDT']
const knownReasons = new Set(['malformed_json', 'oversize_frame', 'unknown_event_type', 'missing_field', 'wrong_type', 'non_numeric', 'non_positive', 'out_of_range', 'unknown_symbol', 'crossed_book'])


describe('ingestion from the replay exchange into Kafka, with faults', () => {
  const config = stackConfig()
  const kafka = new Kafka({ clientId: uniqueName('ingest-test'), brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
  const topics = { trades: uniqueName('trades'), quotes: uniqueName('quotes'), deadLetter: uniqueName('dead'), partitions: 3 }
  const registry = createSchemaRegistryClient({ url: config.schemaRegistry.url })

  afterAll(() => dropTopics(kafka, [topics.trades, topics.quotes, topics.deadLetter], registry))

  it('ends with every trade id exactly once per symbol, dead letters with reasons, after drops, duplicates, reorders, omissions and reconnects', async () => {
    // The market the exchange plays, wrapped to remember which trade ids it really produced.
    const inner = createSyntheticMarket({ seed: 7, historyPerSymbol: 500_000 })
    const produced = new Map<string, Set<number>>()
    const market: ReplayMarket = {
      instruments: inner.instruments,
      history: (s, from, limit, unit) => inner.history(s, from, limit, unit),
      next: (): MarketEvent | undefined => {
        const e = inner.next()
        if (e?.kind === 'trade' && symbols.includes(e.symbol)) {
          let set = produced.get(e.symbol)
          if (!set) produced.set(e.symbol, (set = new Set()))
          set.add(e.tradeId)
        }
        return e
      },
    }
    const exchange = createReplayExchange(
      {
        market,
        seed: 7,
        rate: 30,
        serverShutdownGraceMs: 500,
        faults: { duplicate: 0.03, reorder: 0.03, omit: 0.02, malformed: 0.01, drop: 0.00002, serverShutdown: 0.00001 },
      },
      { logger: silentLogger },
    )
    await exchange.start()

    const serde = createRecordSerde({ registry })
    await serde.registerSchemas({ trades: topics.trades, quotes: topics.quotes })
    const metrics = createMetrics()
    const abort = new AbortController()
    // The production path: kafkajs in its worker thread, zstd batches.
    const sender = await createThreadedKafkaSender({ brokers: config.kafka.brokers, clientId: uniqueName('ingest-test') })
    const running = runIngestor(
      {
        exchange: 'BINANCE',
        wsUrl: exchange.url,
        restUrl: exchange.restUrl,
        symbols,
        timeUnit: 'us',
        maxConnectionMs: 2500, // rolls over several times in the run, as at Binance's 24 h limit
        maxFrameBytes: 64 * 1024,
        topics,
        reorderWindowMs: 100,
        maxPendingPerSymbol: 2000,
        batchMaxRecords: 2000,
        lingerMs: 10,
        compression: 'zstd',
      },
      { kafka, encoder: { encodeTrade: (t) => serde.serializeTrade(t), encodeQuote: (q) => serde.serializeQuote(q) }, logger: silentLogger, metrics, sender },
      abort.signal,
    )
    await new Promise((r) => setTimeout(r, 12_000))
    abort.abort()
    const report: IngestReport = await running
    const stats = exchange.stats()
    // Kafka read_committed, and the exchange's own tape of the same stretch (before it closes).
    const trades = await readTopic(kafka, topics.trades)
    const inKafka = await topicTrades(kafka, serde, [topics.trades])
    const onTape = await tapeOver(exchange.restUrl, inKafka)
    await exchange.close()
    const faultNames: Record<string, string> = { duplicate: 'frame sent twice', reorder: 'frames reordered', omit: 'frame omitted (a gap to repair over REST)', malformed: 'malformed frame', drop: 'connection dropped', serverShutdown: 'server shut down and restarted' }
    recordReliability(
      'ingest',
      Object.entries(stats.faults).map(([k, count]) => ({ kind: k === 'malformed' ? ('bad-input' as const) : ('fault' as const), target: 'ingest (WebSocket feed)', what: faultNames[k] ?? k, count: Number(count) })),
      "the exchange's tape vs Kafka (read_committed)",
      lossOf(inKafka, onTape),
    )

    // The faults really happened.
    expect(stats.faults.duplicate).toBeGreaterThan(0)
    expect(stats.faults.reorder).toBeGreaterThan(0)
    expect(stats.faults.omit).toBeGreaterThan(0)
    expect(stats.faults.drop).toBeGreaterThan(0)
    expect(stats.faults.serverShutdown).toBeGreaterThan(0)
    const reconnects = await metrics.registry.getSingleMetricAsString('k2_ingest_reconnects_total')
    expect(reconnects).toMatch(/k2_ingest_reconnects_total\{cause="reconnect"\} [1-9]/)
    expect(reconnects).toMatch(/k2_ingest_reconnects_total\{cause="roll"\} [1-9]/)
    expect(report.duplicates).toBeGreaterThan(0)
    expect(report.gaps).toBeGreaterThan(0)
    expect(report.gapTradesUnrepairable).toBe(0n)

    // Every trade id exactly once per symbol, contiguous from the first ingested to the last,
    // and each one a trade the exchange really produced.
    expect(trades.length).toBe(report.trades)
    expect(inKafka.ids).toEqual(onTape.ids)
    expect(sameContent(inKafka, onTape)).toEqual({ ok: true })
    const ids = new Map<string, bigint[]>()
    for (const m of trades) {
      const t = await serde.deserializeTrade(m.value)
      expect(m.key).toBe(t.symbol)
      let list = ids.get(t.symbol)
      if (!list) ids.set(t.symbol, (list = []))
      list.push(t.tradeId)
    }
    expect([...ids.keys()].sort()).toEqual([...symbols].sort())
    for (const [symbol, list] of ids) {
      const sorted = [...list].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      const first = sorted[0]!
      const last = sorted[sorted.length - 1]!
      expect(new Set(sorted.map(String)).size, `${symbol}: duplicates in Kafka`).toBe(sorted.length)
      expect(BigInt(sorted.length), `${symbol}: ids missing between ${first} and ${last}`).toBe(last - first + 1n)
      for (const id of sorted) expect(produced.get(symbol)!.has(Number(id))).toBe(true)
    }

    // Dead letters: every one has a known reason, and the reasons are those of the injected kinds.
    const dead = await readTopic(kafka, topics.deadLetter)
    expect(dead.length).toBe(report.deadLetters)
    expect(dead.length).toBeGreaterThan(0)
    const injectedReasons = new Set(Object.values(malformedRejectReason))
    for (const d of dead) {
      expect(knownReasons.has(d.headers.reason!)).toBe(true)
      expect(injectedReasons.has(d.headers.reason as never)).toBe(true)
      expect(d.headers.detail?.length).toBeGreaterThan(0)
    }
    const counted = await metrics.registry.getSingleMetricAsString('k2_ingest_dead_letters_total')
    for (const reason of new Set(dead.map((d) => d.headers.reason!))) {
      const n = dead.filter((d) => d.headers.reason === reason).length
      expect(counted).toContain(`k2_ingest_dead_letters_total{reason="${reason}"} ${n}`)
    }
  })
})
