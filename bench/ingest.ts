/**
 * `npm run bench:ingest [-- --seconds 60] [--streams trade|all] [--compression gzip|none]`
 *
 * Replay exchange at maximum rate (its own process, 160 symbols) → ingestor (this process) →
 * Kafka with acks=all, on the running local stack. Reports trades/s end to end (acknowledged by
 * Kafka), µs per record for parse, normalise, encode and produce measured in the same run, and
 * RSS over time (peak, and after warm-up vs the end, for memory flatness). Writes
 * docs/bench/ingest.json and docs/bench/ingest.md.
 */
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { createLogger, createMetrics, createRecordSerde, createSchemaRegistryClient, createThreadedKafkaSender, loadConfig, requestJson, runIngestor } from '../lib/internal'
// After lib: lib/ingest patches a quadratic kafkajs helper before kafkajs loads it.
import { Kafka, logLevel } from 'kafkajs'
import { describeMachine } from './machine'
import { arg, declareArgs, freePort } from './bench-kit'

declareArgs({ 'compression': 'string', 'seconds': 'string', 'streams': 'string', 'thread': 'string' })

async function main(): Promise<void> {
  const seconds = Number(arg('seconds', '60'))
  const streamsArg = arg('streams', 'trade')
  const compression = arg('compression', 'zstd') as 'gzip' | 'none' | 'zstd'
  const config = loadConfig(process.env)
  const log = createLogger({ level: 'info', write: (l) => process.stderr.write(l), namespace: 'bench' })
  const root = config.paths.root

  const port = await freePort()
  // One process (node with tsx's loader), so SIGTERM at the end reaches the exchange itself.
  const replay = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'pipelines', 'replay-exchange.ts')], {
    cwd: root,
    env: { ...process.env, K2_REPLAY_PORT: String(port), K2_REPLAY_RATE: 'max', K2_REPLAY_SEED: '1', K2_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const restUrl = `http://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    try {
      await requestJson(`${restUrl}/api/v3/exchangeInfo`, { timeoutMs: 500 })
      break
    } catch {
      if (i > 100) throw new Error('replay exchange did not start')
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  const run = `bench-${Date.now()}`
  const topics = { trades: `k2-${run}-trades`, quotes: `k2-${run}-quotes`, deadLetter: `k2-${run}-dead`, checkpoint: `k2-${run}-checkpoint`, partitions: config.topics.partitions }
  const serde = createRecordSerde({ registry: createSchemaRegistryClient({ url: config.schemaRegistry.url }) })
  await serde.registerSchemas({ trades: topics.trades, quotes: topics.quotes })
  const kafka = new Kafka({ clientId: `k2-${run}`, brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
  const metrics = createMetrics()
  const abort = new AbortController()
  const threaded = arg('thread', 'yes') === 'yes'
  // The production path: one transaction per batch (trades + checkpoint), as pipelines/ingest runs.
  const sender = threaded ? await createThreadedKafkaSender({ brokers: config.kafka.brokers, clientId: `k2-${run}`, transactionalId: `k2-ingest-${topics.trades}` }) : undefined

  // rss covers both threads; heap and external are this thread's (where they grow is where to look).
  const rss: Array<{ s: number; mib: number; heapMiB: number; externalMiB: number }> = []
  const acked: Array<{ s: number; trades: number }> = []
  const started = Date.now()
  const sampler = setInterval(() => {
    const s = Math.round((Date.now() - started) / 1000)
    const mem = process.memoryUsage()
    rss.push({ s, mib: Math.round(mem.rss / 2 ** 20), heapMiB: Math.round(mem.heapUsed / 2 ** 20), externalMiB: Math.round((mem.external + mem.arrayBuffers) / 2 ** 20) })
    void metrics
      .get('ingestRecords')
      .get()
      .then((m) => acked.push({ s, trades: m.values.find((v) => v.labels.stream === 'trades')?.value ?? 0 }))
  }, 1000)
  log.info('running', { seconds, streams: streamsArg, compression, topics: topics.trades })
  const running = runIngestor(
    {
      exchange: 'BINANCE',
      wsUrl: `ws://127.0.0.1:${port}`,
      restUrl,
      symbols: [],
      streams: streamsArg === 'all' ? ['trade', 'bookTicker'] : ['trade'],
      timeUnit: 'us',
      maxConnectionMs: config.feed.maxConnectionMs,
      maxFrameBytes: config.feed.maxFrameBytes,
      topics,
      reorderWindowMs: config.ingest.reorderWindowMs,
      maxPendingPerSymbol: config.ingest.maxPendingPerSymbol,
      batchMaxRecords: config.ingest.batchMaxRecords,
      lingerMs: config.ingest.lingerMs,
      compression,
      profile: true,
    },
    { kafka, encoder: { encodeTrade: (t) => serde.serializeTrade(t), encodeQuote: (q) => serde.serializeQuote(q) }, logger: log.child('ingest'), metrics, sender },
    abort.signal,
  )
  await new Promise((r) => setTimeout(r, seconds * 1000))
  abort.abort()
  const report = await running
  const elapsed = (Date.now() - started) / 1000
  clearInterval(sampler)
  replay.kill('SIGTERM')

  // Bytes the broker keeps per trade: the topic's .log segments in the local stack's data folder.
  const dataDir = path.join(config.paths.state, 'kafka', 'data')
  let logBytes = 0
  if (fs.existsSync(dataDir)) {
    for (const d of fs.readdirSync(dataDir).filter((d) => d.startsWith(`${topics.trades}-`))) {
      for (const f of fs.readdirSync(path.join(dataDir, d)).filter((f) => f.endsWith('.log'))) logBytes += fs.statSync(path.join(dataDir, d, f)).size
    }
  }

  const admin = kafka.admin()
  await admin.connect()
  await admin.deleteTopics({ topics: [topics.trades, topics.quotes, topics.deadLetter, topics.checkpoint] }).catch(() => {})
  await admin.disconnect()

  const records = report.trades + report.quotes
  const perRecord = (ns: bigint | undefined, n: number): number => (ns === undefined || n === 0 ? 0 : Number(ns) / n / 1000)
  // Warm-up: the first sixth of the run (10 s of a minute, 100 s of ten). Steady-state rate and
  // memory are taken after it.
  const warmupS = Math.max(10, Math.round(seconds / 6))
  const warm = rss.find((r) => r.s >= warmupS)?.mib ?? 0
  const afterWarmup = rss.filter((r) => r.s >= warmupS).map((r) => r.mib)
  const ackStart = acked.find((a) => a.s >= warmupS)
  const ackEnd = acked.filter((a) => a.s <= seconds).at(-1)
  const steadyRate = ackStart && ackEnd && ackEnd.s > ackStart.s ? Math.round((ackEnd.trades - ackStart.trades) / (ackEnd.s - ackStart.s)) : 0
  const half = rss.find((r) => r.s >= seconds / 2)?.mib ?? 0
  const result = {
    benchmark: 'ingest',
    command: `npm run bench:ingest -- --seconds ${seconds} --streams ${streamsArg} --compression ${compression} --thread ${threaded ? 'yes' : 'no'}`,
    date: new Date().toISOString(),
    machine: describeMachine(),
    settings: { streams: streamsArg, compression, producerThread: threaded, transactionPerBatch: true, partitions: topics.partitions, batchMaxRecords: config.ingest.batchMaxRecords, lingerMs: config.ingest.lingerMs, acks: 'all', idempotent: true },
    seconds: Math.round(elapsed),
    symbols: report.symbols,
    trades: report.trades,
    quotes: report.quotes,
    tradesPerSecond: Math.round(report.trades / elapsed),
    steadyTradesPerSecond: steadyRate,
    recordsPerSecond: Math.round(records / elapsed),
    microsPerRecord: {
      parse: +perRecord(report.stageNanos?.parse, report.frames).toFixed(2),
      normalise: +perRecord(report.stageNanos?.normalise, report.frames).toFixed(2),
      encode: +perRecord(report.stageNanos?.encode, records).toFixed(2),
      produce: +perRecord(report.stageNanos?.produce, records).toFixed(2),
    },
    rssMiB: { peak: Math.max(...rss.map((r) => r.mib)), afterWarmup: warm, halfway: half, end: rss[rss.length - 1]?.mib ?? 0, minAfterWarmup: Math.min(...afterWarmup), maxAfterWarmup: Math.max(...afterWarmup), samples: rss },
    kafkaBytesPerTrade: report.trades > 0 && logBytes > 0 ? +(logBytes / report.trades).toFixed(1) : undefined,
    deadLetters: report.deadLetters,
    gapTradesUnrepairable: String(report.gapTradesUnrepairable),
  }
  const dir = path.join(root, 'docs', 'bench')
  fs.mkdirSync(dir, { recursive: true })
  const name = `ingest-${streamsArg}-${compression}${threaded ? '' : '-nothread'}-${seconds}s`
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(result, null, 1) + '\n')
  const md = [
    `# Ingest benchmark (${streamsArg === 'all' ? 'trades + quotes' : 'trades only'}, ${compression})`,
    '',
    `Command: \`${result.command}\` on ${result.date.slice(0, 10)}.`,
    `Machine: ${result.machine.cpu}, ${result.machine.cores} cores, ${result.machine.memoryGiB} GiB, ${result.machine.node}; Kafka 4.3.1 (local KRaft, acks=all, idempotent producer, one transaction per batch with the checkpoint).`,
    '',
    '| figure | value | target |',
    '|---|---|---|',
    `| trades/s into Kafka, acknowledged, after ${warmupS} s warm-up | ${result.steadyTradesPerSecond.toLocaleString('en')} | ≥ 60,000 |`,
    `| trades/s over the whole run (start-up and shutdown included) | ${result.tradesPerSecond.toLocaleString('en')} | |`,
    `| records/s (trades + quotes) | ${result.recordsPerSecond.toLocaleString('en')} | |`,
    `| µs per frame: parse (JSON) | ${result.microsPerRecord.parse} | |`,
    `| µs per frame: normalise | ${result.microsPerRecord.normalise} | |`,
    `| µs per record: Avro encode | ${result.microsPerRecord.encode} | |`,
    `| µs per record: produce (request wall time / records) | ${result.microsPerRecord.produce} | |`,
    `| RSS after warm-up → halfway → end (MiB) | ${result.rssMiB.afterWarmup} → ${result.rssMiB.halfway} → ${result.rssMiB.end} | flat |`,
    `| RSS range after warm-up (MiB) | ${result.rssMiB.minAfterWarmup}–${result.rssMiB.maxAfterWarmup} | |`,
    `| peak RSS (MiB) | ${result.rssMiB.peak} | |`,
    `| bytes per trade in Kafka's log (Avro + batch overhead, ${compression}) | ${result.kafkaBytesPerTrade ?? 'n/a'} | |`,
    `| symbols / seconds | ${result.symbols} / ${result.seconds} | |`,
    '',
  ].join('\n')
  fs.writeFileSync(path.join(dir, `${name}.md`), md)
  process.stdout.write(md)
  process.exit(0)
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:ingest failed: ${(err as Error).message}\n`)
  process.exit(1)
})
