import { Kafka, logLevel } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createMetrics,
  createRecordSerde,
  createReplayExchange,
  createSchemaRegistryClient,
  createThreadedKafkaSender,
  runIngestor,
  shardOfSymbol,
  shardTransactionalId,
  silentLogger,
  type IngestReport,
  type IngestShard,
} from '../../lib/internal'
import { dropTopics, stackConfig, uniqueName } from './helpers'
import { lossOf, recordReliability, tapeOver, topicTrades } from './oracles'

/**
 * The whole spot exchange (1,500 symbols, 3,000 streams: more than one connection may carry) split
 * over two ingest shards, as two processes would run them: each its share of the symbols by the
 * stable hash, over as many connections as Binance's limits need, with its own transactional id,
 * one checkpoint topic between them. Every trade the exchange made is in Kafka once.
 */
describe('ingest shards over the whole exchange', () => {
  const config = stackConfig()
  const kafka = new Kafka({ clientId: uniqueName('shards-test'), brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
  const topics = { trades: uniqueName('sh-trades'), quotes: uniqueName('sh-quotes'), deadLetter: uniqueName('sh-dead'), checkpoint: uniqueName('sh-checkpoint'), partitions: 3 }
  const registry = createSchemaRegistryClient({ url: config.schemaRegistry.url })

  afterAll(() => dropTopics(kafka, [topics.trades, topics.quotes, topics.deadLetter, topics.checkpoint], registry))

  it('splits 3,000 streams over connections and 1,500 symbols over two shards, and every trade lands once', async () => {
    // A quiet whole exchange: 1,500 symbols, 3,000 events/s at rate 1 (Zipf: most symbols trade rarely).
    const exchange = createReplayExchange({ seed: 23, rate: 1, symbols: 1500, actionsPerSecond: 3000, historyPerSymbol: 50_000 }, { logger: silentLogger })
    await exchange.start()
    const serde = createRecordSerde({ registry })
    await serde.registerSchemas({ trades: topics.trades, quotes: topics.quotes })
    const abort = new AbortController()
    const runShard = async (shard: IngestShard): Promise<IngestReport> => {
      const sender = await createThreadedKafkaSender({ brokers: config.kafka.brokers, clientId: uniqueName('shard'), transactionalId: shardTransactionalId(`k2-ingest-${topics.trades}`, shard) })
      return runIngestor(
        {
          exchange: 'BINANCE',
          wsUrl: exchange.url,
          restUrl: exchange.restUrl,
          symbols: [],
          shard,
          timeUnit: 'us',
          maxConnectionMs: 3_600_000,
          maxFrameBytes: 64 * 1024,
          topics,
          reorderWindowMs: 250,
          maxPendingPerSymbol: 5000,
          batchMaxRecords: 5000,
          lingerMs: 20,
          compression: 'zstd',
        },
        { kafka, encoder: { encodeTrade: (t) => serde.serializeTrade(t), encodeQuote: (q) => serde.serializeQuote(q) }, logger: silentLogger, metrics: createMetrics(), sender },
        abort.signal,
      )
    }
    const shards = [0, 1].map((index) => runShard({ index, count: 2 }))
    // Both shards read for a while, with trades on many symbols.
    await new Promise((r) => setTimeout(r, 12_000))
    const openConnections = exchange.stats().connectionsOpen
    abort.abort()
    const done = await Promise.all(shards)
    const inKafka = await topicTrades(kafka, serde, [topics.trades])
    const onTape = await tapeOver(exchange.restUrl, inKafka)
    await exchange.close()
    const loss = lossOf(inKafka, onTape)
    recordReliability('ingest-shards', [], "the exchange's tape vs Kafka, two shards over 1,500 symbols", loss)

    // Each shard took its half of the symbols by the hash, and they cover the exchange once.
    expect(done.map((d) => d.symbols).reduce((a, b) => a + b, 0)).toBe(1500)
    for (const d of done) expect(d.symbols).toBeGreaterThan(600)
    // 3,000 streams do not fit one connection: at least three were open at once (two shards, each over two or more).
    expect(openConnections).toBeGreaterThanOrEqual(4)
    // Every trade the exchange made between each symbol's first and last in Kafka, once, as made,
    // and each symbol's trades from the shard the hash gives it (none from both).
    expect(inKafka.records).toBeGreaterThan(1000)
    expect(inKafka.ids.size).toBeGreaterThan(100)
    expect(loss).toEqual({ checked: onTape.records, lost: 0, duplicated: 0, valuesDiffer: false })
    expect(done.map((d) => d.trades).reduce((a, b) => a + b, 0)).toBe(inKafka.records)
    const perShard = [0, 0]
    for (const [symbol, ids] of inKafka.ids) perShard[shardOfSymbol(symbol, 2)]! += ids.length
    expect(perShard).toEqual(done.map((d) => d.trades))
  }, 180_000)
})
