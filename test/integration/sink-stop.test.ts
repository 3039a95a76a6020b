import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRecordSerde, createRestCatalogClient, createSchemaRegistryClient, createWarehouseFileIO, decodeProgress, ensureTopics } from '../../lib/internal'
import { dropTopics, eventually, freePort, stackConfig, startWorker, uniqueName } from './helpers'
import { recordReliability } from './oracles'
import type { ReliabilityEntry } from '../../stack/lib/reliability-report'
import { dropLake, liveDataFiles, makeTrades, produceTrades, queryTable } from './lake-helpers'

/**
 * A stop (SIGTERM) is not a reason to throw a batch away: the sink worker gives the commit in
 * flight and the final flush of what it has staged its stop grace, and its catalog and registry
 * clients stay usable for that long. Each case runs the real worker process against the real
 * catalog (through a pass-through proxy that can hold a commit) and its own topics and namespace.
 */
const config = stackConfig()
const kafka = new Kafka({ clientId: uniqueName('sink-stop'), brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
const registry = createSchemaRegistryClient({ url: config.schemaRegistry.url })
const serde = createRecordSerde({ registry })
const catalog = createRestCatalogClient({ url: config.catalog.url })
const io = createWarehouseFileIO(config)
const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']
const cases: Array<{ namespace: string; topics: Record<string, string> }> = []

/** Holds each commit request to the catalog until `onCommit` resolves, then forwards it unchanged. */
let onCommit: (() => Promise<void>) | undefined
let proxy: http.Server
let proxyUrl = ''

beforeAll(async () => {
  proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const isCommit = req.method === 'POST' && /\/tables\/trades$/.test(req.url ?? '')
      if (isCommit && onCommit) await onCommit()
      const upstream = await fetch(`${config.catalog.url}${req.url}`, {
        method: req.method,
        headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)) as Array<[string, string]>),
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : Buffer.concat(chunks),
      })
      const body = Buffer.from(await upstream.arrayBuffer())
      const headers: Record<string, string> = {}
      upstream.headers.forEach((v, k) => {
        if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(k)) headers[k] = v
      })
      // The client may have gone (that is the bug this file guards against); the commit is applied regardless.
      if (!res.destroyed) res.writeHead(upstream.status, headers).end(body)
    })
  })
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()))
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
})

afterAll(async () => {
  for (const c of cases) {
    await dropLake(catalog, c.namespace, ['trades', 'quotes'])
    await dropTopics(kafka, Object.values(c.topics), registry)
  }
  proxy.close()
  io.close()
})

type Topics = { K2_TOPIC_TRADES: string; K2_TOPIC_QUOTES: string; K2_TOPIC_DEAD_LETTER: string }

async function newCase(name: string): Promise<{ namespace: string; topics: Topics; trades: number }> {
  const namespace = uniqueName(name.replace(/-/g, '_'), '_')
  const topics = { K2_TOPIC_TRADES: uniqueName(`${name}-trades`), K2_TOPIC_QUOTES: uniqueName(`${name}-quotes`), K2_TOPIC_DEAD_LETTER: uniqueName(`${name}-dead`) }
  cases.push({ namespace, topics })
  const admin = kafka.admin()
  await admin.connect()
  await ensureTopics(admin, [
    { topic: topics.K2_TOPIC_TRADES, partitions: 2 },
    { topic: topics.K2_TOPIC_QUOTES, partitions: 1 },
    { topic: topics.K2_TOPIC_DEAD_LETTER, partitions: 1 },
  ])
  await admin.disconnect()
  await serde.registerSchemas({ trades: topics.K2_TOPIC_TRADES, quotes: topics.K2_TOPIC_QUOTES })
  const trades = makeTrades(symbols, 400)
  await produceTrades(kafka, serde, topics.K2_TOPIC_TRADES, trades)
  return { namespace, topics, trades: trades.length }
}

async function sinkEnv(namespace: string, topics: Topics, groupId: string, maxAgeMs: number): Promise<Record<string, string>> {
  return {
    ...topics,
    K2_SINK_NAMESPACE: namespace,
    K2_SINK_GROUP: groupId,
    K2_SINK_METRICS_PORT: String(await freePort()),
    K2_SINK_MAX_AGE_MS: String(maxAgeMs),
    K2_CATALOG_URL: proxyUrl,
    K2_DEGRADE: 'off',
    K2_LOG_LEVEL: 'info',
  }
}

/** Rows in the table and whether its data folder holds exactly the files its snapshot names. */
async function lakeState(namespace: string): Promise<{ rows: number; keys: number; orphans: string[]; missing: string[] }> {
  const [r] = await queryTable<{ rows: number; keys: number }>(catalog, io, namespace, 'trades', 'SELECT count(*)::INTEGER AS rows, count(DISTINCT (symbol, trade_id))::INTEGER AS keys FROM t')
  const { metadata } = await catalog.loadTable([namespace], 'trades')
  const live = new Set((await liveDataFiles(io, metadata)).map((f) => f.path))
  const stored = new Set(await io.list(`${metadata.location.replace(/\/+$/, '')}/data/`))
  return { rows: r?.rows ?? 0, keys: r?.keys ?? 0, orphans: [...stored].filter((f) => !live.has(f)), missing: [...live].filter((f) => !stored.has(f)) }
}

/** The reliability record: each stop, and what the table holds against what was produced (rows and distinct keys). */
const stops: ReliabilityEntry[] = []
const outcome = { checked: 0, lost: 0, duplicated: 0 }
function note(what: string, produced: number, state: { rows: number; keys: number }): void {
  stops.push({ kind: 'kill', target: 'iceberg-sink', what, count: 1 })
  outcome.checked += produced
  outcome.lost += Math.max(0, produced - state.keys)
  outcome.duplicated += state.rows - state.keys + Math.max(0, state.keys - produced)
  recordReliability('sink-stop', stops, 'the trades the test produced vs the table (rows and distinct keys), and no orphan or missing file', outcome)
}

describe('the sink worker stopped by SIGTERM', () => {
  it('commits what it has staged before it exits, cleanly', async () => {
    const { namespace, topics, trades } = await newCase('stop-staged')
    // A first run commits the first trades (so the table holds offsets and the sink publishes its
    // progress from them) and stops.
    const first = startWorker('iceberg-sink.ts', await sinkEnv(namespace, topics, uniqueName('stop-staged-first'), 300))
    await eventually(async () => ((await catalog.tableExists([namespace], 'trades')) && (await lakeState(namespace)).rows === trades ? true : undefined), 60_000, 'the first run to commit')
    first.child.kill('SIGTERM')
    expect(await first.exited, first.output().slice(-2000)).toBe(0)
    // More trades; a second run whose batches age 10 minutes, so nothing is committed before the stop.
    await produceTrades(kafka, serde, topics.K2_TOPIC_TRADES, makeTrades(symbols, 300, 10_001))
    const more = symbols.length * 300
    const groupId = uniqueName('stop-staged-sink')
    const sink = startWorker('iceberg-sink.ts', await sinkEnv(namespace, topics, groupId, 600_000))
    const admin = kafka.admin()
    await admin.connect()
    try {
      const ends = new Map((await admin.fetchTopicOffsets(topics.K2_TOPIC_TRADES)).map((p) => [p.partition, BigInt(p.high)]))
      // The sink publishes how far it has read with its group offsets (sink-progress.ts).
      await eventually(
        async () => {
          const [group] = await admin.fetchOffsets({ groupId, topics: [topics.K2_TOPIC_TRADES] })
          return group!.partitions.every((p) => (decodeProgress(p.metadata)?.read ?? -1n) >= ends.get(p.partition)!) ? true : undefined
        },
        60_000,
        'the sink to stage every new trade',
      )
    } finally {
      await admin.disconnect()
    }
    expect((await lakeState(namespace)).rows).toBe(trades)
    sink.child.kill('SIGTERM')
    expect(await sink.exited, sink.output().slice(-2000)).toBe(0)
    const state = await lakeState(namespace)
    note('SIGTERM with a batch staged and not committed', trades + more, state)
    expect(state).toEqual({ rows: trades + more, keys: trades + more, orphans: [], missing: [] })
  })

  it('lets the commit in flight finish, and exits 0 with it in the table and no orphan file', async () => {
    const { namespace, topics, trades } = await newCase('stop-commit')
    let stopped = false
    let sink: ReturnType<typeof startWorker> | undefined
    // The first commit to reach the catalog is held; SIGTERM goes to the sink while it waits.
    onCommit = async () => {
      if (stopped) return
      stopped = true
      sink!.child.kill('SIGTERM')
      await new Promise((r) => setTimeout(r, 1500))
    }
    try {
      sink = startWorker('iceberg-sink.ts', await sinkEnv(namespace, topics, uniqueName('stop-commit-sink'), 500))
      expect(await sink.exited, sink.output().slice(-2000)).toBe(0)
    } finally {
      onCommit = undefined
    }
    expect(stopped).toBe(true)
    const state = await lakeState(namespace)
    note('SIGTERM while its commit is in flight', trades, state)
    expect(state).toEqual({ rows: trades, keys: trades, orphans: [], missing: [] })
  })
})
