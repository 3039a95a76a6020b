import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { DuckDBInstance } from '@duckdb/node-api'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKafkaTail, createRecordSerde, createSchemaRegistryClient, ensureTopics, marketTailStream, silentLogger, tradesTable } from '../../lib/internal'
import { dropTopics, stackConfig, uniqueName } from './helpers'
import { makeTrades, produceTrades } from './lake-helpers'

/**
 * The Kafka tail resolves each writer schema id through the schema registry. While the registry
 * is down those lookups fail retryably: the tail must wait and retry, not count the records as
 * undecodable and skip them (a query would then silently miss acknowledged trades).
 */
const config = stackConfig()
const kafka = new Kafka({ clientId: uniqueName('tail-outage'), brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
const registry = createSchemaRegistryClient({ url: config.schemaRegistry.url })
const topic = uniqueName('tail-outage')
let failuresLeft = 0
let failed = 0
let proxy: http.Server
let proxyUrl = ''

beforeAll(async () => {
  const admin = kafka.admin()
  await admin.connect()
  await ensureTopics(admin, [{ topic, partitions: 2 }])
  await admin.disconnect()
  // A registry that answers 503 to its first schema lookups, then passes everything through.
  proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      if (/\/schemas\/ids\//.test(req.url ?? '') && failuresLeft > 0) {
        failuresLeft--
        failed++
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error_code: 50301, message: 'down (injected)' }))
        return
      }
      const base = new URL(config.schemaRegistry.url)
      const upstream = await fetch(`${base.origin}${req.url}`, { method: req.method, headers: { accept: String(req.headers.accept ?? '*/*'), 'content-type': String(req.headers['content-type'] ?? 'application/json') }, body: req.method === 'GET' ? undefined : Buffer.concat(chunks) })
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await upstream.arrayBuffer()))
    })
  })
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()))
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}${new URL(config.schemaRegistry.url).pathname}`
})

afterAll(async () => {
  proxy.close()
  await dropTopics(kafka, [topic], registry)
})

describe('the Kafka tail while the schema registry is down', () => {
  it('waits for the registry and then holds every record: none is skipped as undecodable', async () => {
    // The producer's serde registers through the real registry.
    const writer = createRecordSerde({ registry })
    await writer.registerSchemas({ trades: topic, quotes: `${topic}-quotes` })
    const trades = makeTrades(['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], 500)
    await produceTrades(kafka, writer, topic, trades)

    // The tail's serde knows no schema yet and reaches the registry through the failing proxy,
    // with no retries of its own: every lookup failure reaches the tail.
    failuresLeft = 4
    const reader = createRecordSerde({ registry: createSchemaRegistryClient({ url: proxyUrl, retryPolicy: { attempts: 1, initialDelayMs: 0, maxDelayMs: 0, factor: 1, jitter: 0 } }) })
    const duck = await DuckDBInstance.create(':memory:')
    const connection = await duck.connect()
    const tail = await createKafkaTail({
      connection,
      kafka,
      logger: silentLogger,
      fetchIntervalMs: 0,
      idleAfterMs: 0,
      streams: [marketTailStream('trades', { topic, schema: tradesTable.schema, start: new Map(), serde: reader })],
    })
    try {
      const admin = kafka.admin()
      await admin.connect()
      const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]))
      await admin.disconnect()
      await tail.waitFor(topic, ends, 60_000)
      expect(failed).toBeGreaterThan(0) // the outage happened
      expect(tail.stats.skipped).toBe(0)
      expect(tail.count(topic, new Map([...ends].map(([p]) => [p, 0n])), ends)).toBe(trades.length)
    } finally {
      await tail.close()
      connection.closeSync()
      duck.closeSync()
    }
  })
})
