import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createLogger,
  createRecordSerde,
  createRestCatalogClient,
  createSchemaRegistryClient,
  createWarehouseFileIO,
  ensureTopics,
  frame,
  silentLogger,
  tableOffsets,
  type IcebergSinkOptions,
} from '../../lib/internal'
import { dropTopics, eventually, readTopic, stackConfig, uniqueName, scratchDir } from './helpers'
import { recordReliability } from './oracles'
import { dropLake, makeQuotes, makeTrades, produceRecords, produceTrades, queryTable, startTestSink, tableRecords, type TestSink } from './lake-helpers'

const config = stackConfig()
const kafka = new Kafka({ clientId: 'k2-test-sink', brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
const registry = createSchemaRegistryClient({ url: config.schemaRegistry.url })
const serde = createRecordSerde({ registry })
const catalog = createRestCatalogClient({ url: config.catalog.url })
const io = createWarehouseFileIO(config)
const namespace = uniqueName('lake', '_')
const topics = { trades: uniqueName('trades'), quotes: uniqueName('quotes'), deadLetter: uniqueName('dead') }
const tables = { trades: 'trades', quotes: 'quotes' }
const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'DOGEUSDT', 'PEPEUSDT', 'XRPUSDT', 'ADAUSDT', 'BNBUSDT']

const options: IcebergSinkOptions = {
  namespace,
  topics,
  tables,
  groupId: uniqueName('sink'),
  maxRecords: 50_000,
  maxAgeMs: 1000,
  rowGroupSize: 10_000,
  workDir: scratchDir('sink-work'),
}

/** Runs the sink in this process until `stop()`; returns its report then. */
const startSink = (opts: IcebergSinkOptions = options): TestSink =>
  startTestSink({ kafka, catalog, io, serde }, opts, process.env.K2_TEST_LOG ? createLogger({ level: 'debug', write: (l) => process.stderr.write(l) }) : silentLogger)

const committedRecords = (table: string): Promise<number | undefined> => tableRecords(catalog, namespace, table)

beforeAll(async () => {
  const admin = kafka.admin()
  await admin.connect()
  await ensureTopics(admin, [
    { topic: topics.trades, partitions: 6 },
    { topic: topics.quotes, partitions: 6 },
    { topic: topics.deadLetter, partitions: 1 },
  ])
  await admin.disconnect()
  await serde.registerSchemas(topics)
})

afterAll(async () => {
  await dropLake(catalog, namespace, Object.values(tables))
  await dropTopics(kafka, Object.values(topics), registry)
  io.close()
})

describe('Kafka → Iceberg sink', () => {
  it('commits every trade and quote once, with the Kafka offsets in the snapshot, and dead-letters bad records', async () => {
    const trades = makeTrades(symbols, 2500)
    await produceTrades(kafka, serde, topics.trades, trades)
    // Bad records: garbage, and a well-framed record with a schema id the registry never issued.
    await produceRecords(kafka, topics.trades, [
      { key: 'BTCUSDT', value: Buffer.from('not avro at all') },
      { key: 'BTCUSDT', value: frame(987_654_321, Buffer.from([2, 4, 6])) },
    ])
    const quotes = makeQuotes(symbols, 300)
    await produceRecords(kafka, topics.quotes, quotes.map((q) => ({ key: q.symbol, value: serde.serializeQuote(q) })))

    const sink = startSink()
    await eventually(async () => (sink.alive(), (await committedRecords('trades')) === trades.length && (await committedRecords('quotes')) === quotes.length ? true : undefined), 90_000, 'the sink to commit every record')
    const report = await sink.stop()
    expect(report.tables.trades!.records).toBe(trades.length)
    expect(report.tables.trades!.deadLetters).toBe(2)

    const rows = await queryTable<{ symbol: string; n: number; ids: number; lo: bigint; hi: bigint; volume: string }>(
      catalog,
      io,
      namespace,
      'trades',
      'SELECT symbol, count(*)::INTEGER AS n, count(DISTINCT trade_id)::INTEGER AS ids, min(trade_id) AS lo, max(trade_id) AS hi, sum(quantity)::VARCHAR AS volume FROM t GROUP BY symbol ORDER BY symbol',
    )
    expect(rows.map((r) => r.symbol)).toEqual([...symbols].sort())
    for (const r of rows) expect([r.n, r.ids, Number(r.lo), Number(r.hi)]).toEqual([2500, 2500, 1, 2500])
    // Decimals are exact end to end: the lake's sum equals the sum of the produced strings.
    const expectedVolume = trades.filter((t) => t.symbol === 'BTCUSDT').reduce((s, t) => s + BigInt(t.quantity.replace('.', '')), 0n)
    expect(rows.find((r) => r.symbol === 'BTCUSDT')!.volume).toBe(`${expectedVolume / 100_000_000n}.${String(expectedVolume % 100_000_000n).padStart(8, '0')}`)

    // The snapshot records, for every partition, the next offset: the end of the topic.
    const { metadata } = await catalog.loadTable([namespace], 'trades')
    const offsets = tableOffsets(metadata, topics.trades)
    const admin = kafka.admin()
    await admin.connect()
    const high = await admin.fetchTopicOffsets(topics.trades)
    await admin.disconnect()
    for (const p of high) expect(String(offsets.get(p.partition) ?? 0n)).toBe(p.high)

    const dead = await readTopic(kafka, topics.deadLetter)
    const answered = dead.filter((d) => ['undecodable', 'unknown_schema'].includes(d.headers.reason ?? '') && d.headers.source_topic === topics.trades).length
    recordReliability('iceberg-sink-bad-records', [{ kind: 'bad-input', target: 'iceberg-sink', what: 'Kafka records that are not our Avro (garbage; a schema id the registry never issued)', count: 2 }], 'a dead letter per bad record, with its reason and source; the good records committed once', {
      checked: trades.length,
      lost: trades.length - rows.reduce((a, r) => a + r.ids, 0),
      duplicated: rows.reduce((a, r) => a + r.n - r.ids, 0),
      unanswered: 2 - answered,
    })
    expect(dead.map((d) => d.headers.reason).sort()).toEqual(['undecodable', 'unknown_schema'])
    expect(dead.every((d) => d.headers.source_topic === topics.trades && d.headers.source_key === 'BTCUSDT')).toBe(true)
    // Keyed by the source record: re-sent after a crash, a dead letter has the same key.
    expect(dead.map((d) => d.key)).toEqual(dead.map((d) => `${topics.trades}/${d.headers.source_partition}/${d.headers.source_offset}`))
  })

  it('stays exactly once while two sinks share the group and partitions move between them', async () => {
    const before = (await committedRecords('trades'))!
    const shared: IcebergSinkOptions = { ...options, groupId: uniqueName('shared'), streams: ['trades'] }
    const a = startSink(shared)
    const batches = [makeTrades(symbols, 300, 3001), makeTrades(symbols, 300, 3301), makeTrades(symbols, 300, 3601)]
    await produceTrades(kafka, serde, topics.trades, batches[0]!)
    const b = startSink(shared) // joins: the group rebalances, partitions split
    await new Promise((r) => setTimeout(r, 3000))
    await produceTrades(kafka, serde, topics.trades, batches[1]!)
    await new Promise((r) => setTimeout(r, 3000))
    const reportA = await a.stop() // leaves: b takes every partition
    await produceTrades(kafka, serde, topics.trades, batches[2]!)
    const total = before + batches.reduce((n, x) => n + x.length, 0)
    await eventually(async () => (b.alive(), (await committedRecords('trades')) === total ? true : undefined), 90_000, 'every trade committed by the two sinks')
    const reportB = await b.stop()
    expect(reportA.tables.trades!.commits).toBeGreaterThan(0)
    expect(reportB.tables.trades!.commits).toBeGreaterThan(0)
    const [r] = await queryTable<{ n: number; keys: number }>(catalog, io, namespace, 'trades', 'SELECT count(*)::INTEGER AS n, count(DISTINCT (symbol, trade_id))::INTEGER AS keys FROM t')
    expect(r).toEqual({ n: total, keys: total })
  })

  it('resumes from the table after a restart: new records once, old ones not again', async () => {
    const before = (await committedRecords('trades'))!
    const more = makeTrades(symbols, 500, 5001)
    await produceTrades(kafka, serde, topics.trades, more)
    const sink = startSink()
    await eventually(async () => (sink.alive(), (await committedRecords('trades')) === before + more.length ? true : undefined), 90_000, 'the new trades to be committed')
    await sink.stop()
    const [r] = await queryTable<{ n: number; keys: number }>(catalog, io, namespace, 'trades', 'SELECT count(*)::INTEGER AS n, count(DISTINCT (symbol, trade_id))::INTEGER AS keys FROM t')
    expect(r).toEqual({ n: before + more.length, keys: before + more.length })
  })
})
