import * as fs from 'node:fs'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRecordSerde, createRestCatalogClient, createSchemaRegistryClient, createWarehouseFileIO, currentSnapshot, ensureTopics, resumeFilePath, type RecordSerde, type RestCatalogClient, type SchemaRegistryClient, type FileIO, type WorkbenchConfig } from '../../lib/internal'
import { FatalError, eventually, freePort, startWorker, uniqueName } from './helpers'
import { makeTrades, produceTrades } from './lake-helpers'
import { lakeDigest, lossOf, recordReliability } from './oracles'
import { startPrivateStack, type PrivateStack } from './private-stack'
import type { ReliabilityEntry } from '../../stack/lib/reliability-report'

/**
 * The catalog stopped for 30 s, the object store stopped for 30 s, the broker restarted: the
 * sink waits, resumes and loses nothing, with trades produced throughout. On a stack of the
 * test's own (private-stack.ts): stopping the user's broker would pause a running demo's ingest.
 */
let ps: PrivateStack
let config: WorkbenchConfig
let kafka: Kafka
let registry: SchemaRegistryClient
let serde: RecordSerde
let catalog: RestCatalogClient
let io: FileIO
const namespace = uniqueName('outage', '_')
const topics = { K2_TOPIC_TRADES: uniqueName('o-trades'), K2_TOPIC_QUOTES: uniqueName('o-quotes'), K2_TOPIC_DEAD_LETTER: uniqueName('o-dead') }
const ingestTopics = { K2_TOPIC_TRADES: uniqueName('oi-trades'), K2_TOPIC_QUOTES: uniqueName('oi-quotes'), K2_TOPIC_DEAD_LETTER: uniqueName('oi-dead') }
const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT']
let sink: ReturnType<typeof startWorker>
let produced = 0
let nextId = 1

beforeAll(async () => {
  ps = await startPrivateStack('outages', ['minio', 'iceberg-rest', 'kafka', 'schema-registry'])
  config = ps.config
  kafka = new Kafka({ clientId: 'k2-test-outages', brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING, retry: { retries: 20 } })
  registry = createSchemaRegistryClient({ url: config.schemaRegistry.url })
  serde = createRecordSerde({ registry })
  catalog = createRestCatalogClient({ url: config.catalog.url })
  io = createWarehouseFileIO(config)
  const admin = kafka.admin()
  await admin.connect()
  await ensureTopics(admin, [
    { topic: topics.K2_TOPIC_TRADES, partitions: 3 },
    { topic: topics.K2_TOPIC_QUOTES, partitions: 1 },
    { topic: topics.K2_TOPIC_DEAD_LETTER, partitions: 1 },
  ])
  await admin.disconnect()
  await serde.registerSchemas({ trades: topics.K2_TOPIC_TRADES, quotes: topics.K2_TOPIC_QUOTES })
  sink = startWorker('iceberg-sink.ts', { ...ps.env, ...topics, K2_SINK_NAMESPACE: namespace, K2_SINK_GROUP: uniqueName('o-sink'), K2_SINK_METRICS_PORT: String(await freePort()), K2_SINK_MAX_AGE_MS: '500' })
}, 600_000)

afterAll(async () => {
  sink?.child.kill('SIGTERM')
  await sink?.exited
  io?.close()
  // The whole stack goes, with its topics, tables and objects.
  await ps?.close()
}, 180_000)

async function produce(batches: number): Promise<void> {
  for (let b = 0; b < batches; b++) {
    await produceTrades(kafka, serde, topics.K2_TOPIC_TRADES, makeTrades(symbols, 250, nextId))
    nextId += 250
    produced += symbols.length * 250
  }
}

/** The faults injected so far, for the reliability record. */
const faults: ReliabilityEntry[] = []

async function allCommitted(what: string, fault?: ReliabilityEntry): Promise<void> {
  await eventually(
    async () => {
      if (sink.child.exitCode !== null) throw new FatalError(`the sink exited (${sink.child.exitCode}):\n${sink.output().slice(-2000)}`)
      const snap = currentSnapshot((await catalog.loadTable([namespace], 'trades')).metadata)
      return snap && Number(snap.summary['total-records']) === produced ? true : undefined
    },
    120_000,
    `${what}: ${produced} trades committed`,
  )
  // Not the sink's own count in the summary: the lake as pyiceberg reads it holds each trade the
  // test produced, once (ids 1 … nextId - 1 per symbol).
  const lake = await lakeDigest(config, namespace, 'trades')
  const want = new Map(symbols.map((s) => [s, Array.from({ length: nextId - 1 }, (_, i) => BigInt(i + 1))]))
  // (Ids only: the values are the sink's to copy, and sink-chaos compares them.)
  const loss = lossOf(lake, { ids: want, hash: lake.hash, records: produced })
  if (fault) faults.push(fault)
  recordReliability('sink-outages', faults, 'the trades the test produced vs the lake read by pyiceberg', loss)
  expect(new Map([...lake.ids].sort(([a], [b]) => a.localeCompare(b))), what).toEqual(new Map([...want].sort(([a], [b]) => a.localeCompare(b))))
}

describe('Iceberg sink through outages', () => {
  it('waits out the catalog being down for 30 s', async () => {
    await produce(2)
    await allCommitted('before the catalog outage')
    await ps.stack.down(['iceberg-rest'])
    await produce(4)
    await new Promise((r) => setTimeout(r, 30_000))
    await ps.stack.up(['iceberg-rest'])
    await allCommitted('after the catalog came back', { kind: 'fault', target: 'iceberg-rest', what: 'catalog down 30 s, trades produced meanwhile', count: 1 })
    expect(sink.output()).toMatch(/(commit to|loading) \S+ .*retrying/)
  })

  it('waits out the object store being down for 30 s', async () => {
    await ps.stack.down(['minio'])
    await produce(4)
    await new Promise((r) => setTimeout(r, 30_000))
    await ps.stack.up(['minio'])
    await allCommitted('after the object store came back', { kind: 'fault', target: 'minio', what: 'object store down 30 s, trades produced meanwhile', count: 1 })
    expect(sink.output()).toMatch(/uploading s3:\/\/\S+ failed, retrying until it succeeds/)
  })

  it('resumes after the broker restarts, and so does an ingest worker producing through it', async () => {
    // An ingest worker of its own (its replay exchange, topics and ports), as the user's runs.
    const replayPort = await freePort()
    const seed = String(100_000 + Math.floor(Math.random() * 1_000_000_000))
    const replay = startWorker('replay-exchange.ts', { ...ps.env, K2_REPLAY_PORT: String(replayPort), K2_REPLAY_RATE: '1', K2_REPLAY_SEED: seed })
    const metricsPort = await freePort()
    const ingest = startWorker('ingest.ts', { ...ps.env, ...ingestTopics, K2_REPLAY_PORT: String(replayPort), K2_FEED_SYMBOLS: 'BTCUSDT,ETHUSDT', K2_INGEST_METRICS_PORT: String(metricsPort), K2_DEGRADE: 'off' })
    const ingested = async (): Promise<number> => {
      const text = await (await fetch(`http://${config.host}:${metricsPort}/metrics`)).text()
      return Number(/^k2_ingest_records_total\{stream="trades"\} (\d+)/m.exec(text)?.[1] ?? 0)
    }
    try {
      await eventually(async () => ((await ingested().catch(() => 0)) > 0 ? true : undefined), 60_000, `the ingest to produce: ${ingest.output().slice(-1000)}`)
      await produce(2)
      await ps.stack.down(['kafka'])
      await new Promise((r) => setTimeout(r, 5_000))
      await ps.stack.up(['kafka'])
      await produce(2)
      await allCommitted('after the broker restart', { kind: 'fault', target: 'kafka', what: 'broker stopped and restarted, under the sink and an ingest worker', count: 1 })
      expect(sink.child.exitCode).toBeNull()
      // The ingest is still running and producing: a run Kafka ended starts again from its checkpoint.
      const after = await ingested()
      await eventually(async () => {
        if (ingest.child.exitCode !== null) throw new FatalError(`the ingest exited (${ingest.child.exitCode}) on the broker restart:\n${ingest.output().slice(-2000)}`)
        return (await ingested()) > after + 50 ? true : undefined
      }, 120_000, `the ingest to produce again after the broker restart: ${ingest.output().slice(-1500)}`)
    } finally {
      ingest.child.kill('SIGTERM')
      await ingest.exited
      replay.child.kill('SIGTERM')
      await replay.exited
      fs.rmSync(resumeFilePath(config.paths.state, Number(seed), replayPort), { force: true })
    }
  })
})
