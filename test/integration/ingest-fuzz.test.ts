import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { createMetrics, createRecordSerde, createSchemaRegistryClient, normaliseBinanceFrame, runIngestor, silentLogger } from '../../lib/internal'
import { mutate, prng, validFrames } from '../support/fuzz-frames'
import { dropTopics, eventually, stackConfig, uniqueName } from './helpers'
import { recordReliability } from './oracles'

/**
 * A hostile exchange: a real WebSocket server that sends 12,000 random and mutated frames to a
 * real ingestor writing to real Kafka. Every frame that cannot become a record must be in the
 * dead-letter topic, in order, with the reason the normaliser gives it; the worker keeps running.
 */
describe('ingest fuzz: hostile frames end in the dead-letter topic', () => {
  const config = stackConfig()
  const kafka = new Kafka({ clientId: uniqueName('fuzz'), brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
  const topics = { trades: uniqueName('fz-trades'), quotes: uniqueName('fz-quotes'), deadLetter: uniqueName('fz-dead'), partitions: 1 }
  const registry = createSchemaRegistryClient({ url: config.schemaRegistry.url })

  afterAll(() => dropTopics(kafka, [topics.trades, topics.quotes, topics.deadLetter], registry))

  it('sends every rejected frame, as received, with its reason, and keeps running', async () => {
    const random = prng(424242)
    const frames = Array.from({ length: 12_000 }, (_, i) => (i % 10 === 0 ? validFrames[i % 2]! : mutate(validFrames[i % 2]!, random)))
    // What the ingestor receives is the UTF-8 round trip of what is sent (lone surrogates become U+FFFD).
    const received = frames.map((f) => Buffer.from(f, 'utf8').toString('utf8'))
    const ctx = { exchange: 'BINANCE', symbols: new Map([['BTCUSDT', { symbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT' }]]), receivedMicros: 0n, timeUnit: 'ms' as const, maxFrameBytes: 2048 }
    const expected = received.flatMap((f) => {
      const n = normaliseBinanceFrame(f, ctx)
      return n.kind === 'reject' ? [{ frame: f, reason: n.reason }] : []
    })

    const server = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/json')
      if (req.url?.startsWith('/api/v3/exchangeInfo')) return res.end(JSON.stringify({ symbols: [{ symbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT', status: 'TRADING' }] }))
      if (req.url?.startsWith('/api/v3/historicalTrades')) return res.end('[]')
      res.statusCode = 404
      res.end('{}')
    })
    const wss = new WebSocketServer({ server })
    wss.on('connection', (socket) => {
      for (const f of frames) socket.send(f)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const port = (server.address() as AddressInfo).port

    const serde = createRecordSerde({ registry })
    await serde.registerSchemas({ trades: topics.trades, quotes: topics.quotes })
    const metrics = createMetrics()
    const abort = new AbortController()
    const running = runIngestor(
      {
        exchange: 'BINANCE',
        wsUrl: `ws://127.0.0.1:${port}`,
        restUrl: `http://127.0.0.1:${port}`,
        symbols: ['BTCUSDT'],
        timeUnit: 'ms',
        maxConnectionMs: 3_600_000,
        maxFrameBytes: 2048,
        topics,
        reorderWindowMs: 50,
        maxPendingPerSymbol: 100,
        batchMaxRecords: 1000,
        lingerMs: 5,
        compression: 'zstd',
      },
      { kafka, encoder: { encodeTrade: (t) => serde.serializeTrade(t), encodeQuote: (q) => serde.serializeQuote(q) }, logger: silentLogger, metrics },
      abort.signal,
    )
    await eventually(
      async () => {
        const text = await metrics.registry.getSingleMetricAsString('k2_ingest_frames_total')
        const total = [...text.matchAll(/^k2_ingest_frames_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0)
        return total >= frames.length ? total : undefined
      },
      60_000,
      'the ingestor to take every frame',
    )
    abort.abort()
    const report = await running // resolves: the worker survived every frame
    wss.close()
    server.close()

    expect(report.frames).toBe(frames.length)
    expect(expected.length).toBeGreaterThan(5000)
    expect(report.deadLetters).toBe(expected.length)

    const admin = kafka.admin()
    await admin.connect()
    const high = Number((await admin.fetchTopicOffsets(topics.deadLetter))[0]!.high)
    await admin.disconnect()
    expect(high).toBe(expected.length)
    const got: Array<{ frame: string; reason: string }> = []
    const consumer = kafka.consumer({ groupId: uniqueName('fz-reader') })
    await consumer.connect()
    await consumer.subscribe({ topic: topics.deadLetter, fromBeginning: true })
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) got.push({ frame: m.value!.toString('utf8'), reason: String(m.headers!.reason) })
          if (got.length >= high) resolve()
        },
      })
    })
    await consumer.disconnect()
    // A rejected frame is answered when its dead letter holds it as received, with its reason.
    const answered = expected.filter((e, i) => got[i]?.frame === e.frame && got[i]?.reason === e.reason).length
    recordReliability('ingest-fuzz', [{ kind: 'bad-input', target: 'ingest', what: 'mutated Binance WebSocket frames (truncated, bit flips, wrong types, huge, bad UTF-8)', count: expected.length }], 'each rejected frame in the dead-letter topic, as received, with its reason', { checked: 0, lost: 0, duplicated: Math.max(0, got.length - expected.length), unanswered: expected.length - answered })
    expect(got).toEqual(expected)
  })
})
