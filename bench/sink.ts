/**
 * `npm run bench:sink [-- --trades 3000000] [--live-seconds 120]`
 *
 * Two runs on the running local stack, each on its own topics and tables:
 * 1. backlog: N trades from the synthetic market (160 symbols), normalised exactly as the ingest
 *    does from Binance JSON frames, are produced to Kafka first; then the sink (default
 *    settings: 1M records or 30 s per commit) drains them into Iceberg. Reports trades/s from
 *    Kafka into committed snapshots, commit latency p50/p99, files per commit, bytes per trade
 *    on disk against the Binance JSON frame size, before and after compaction.
 * 2. live: replay exchange at maximum rate → ingest (this process, threaded producer) → Kafka →
 *    sink, at the same time for T seconds: end-to-end trades/s into committed Iceberg, lake lag
 *    (age of the oldest uncommitted record) and files per hour at the default settings.
 * Writes docs/bench/sink.json and docs/bench/sink.md.
 */
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import {
  readBenchmarkResults,
  captureLine,
  compactTable,
  createKafkaSender,
  createLogger,
  createManifestReader,
  createMetrics,
  createRecordSerde,
  createRestCatalogClient,
  createSchemaRegistryClient,
  createSyntheticMarket,
  createThreadedKafkaSender,
  createWarehouseFileIO,
  currentSnapshot,
  ensureTopics,
  loadConfig,
  normaliseBinanceFrame,
  planScan,
  requestJson,
  runIcebergSink,
  runIngestor,
  tableOffsets,
  type Trade,
} from '../lib/internal'
// After lib: lib/ingest patches a quadratic kafkajs helper and registers the zstd codec.
import { Kafka, logLevel } from 'kafkajs'
import { describeMachine } from './machine'
import { arg, declareArgs, quantile } from './bench-kit'

declareArgs({ 'live-seconds': 'string', 'trades': 'string' })

async function main(): Promise<void> {
  const tradesWanted = Number(arg('trades', '3000000'))
  const liveSeconds = Number(arg('live-seconds', '120'))
  const config = loadConfig(process.env)
  const log = createLogger({ level: 'info', write: (l) => process.stderr.write(l), namespace: 'bench' })
  const kafka = new Kafka({ clientId: 'k2-bench-sink', brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
  const serde = createRecordSerde({ registry: createSchemaRegistryClient({ url: config.schemaRegistry.url }) })
  const catalog = createRestCatalogClient({ url: config.catalog.url })
  const io = createWarehouseFileIO(config)
  const run = `bench_${Date.now()}`
  const admin = kafka.admin()
  await admin.connect()

  // ---- 1. backlog -------------------------------------------------------------------------
  const topics = { trades: `k2-${run}-trades`, quotes: `k2-${run}-quotes`, deadLetter: `k2-${run}-dead`, checkpoint: `k2-${run}-checkpoint`, partitions: config.topics.partitions }
  await ensureTopics(admin, [
    { topic: topics.trades, partitions: topics.partitions },
    { topic: topics.quotes, partitions: topics.partitions },
    { topic: topics.deadLetter, partitions: 1 },
  ])
  await serde.registerSchemas(topics)
  const market = createSyntheticMarket({ seed: 3, actionsPerSecond: 20_000 })
  const symbols = new Map(market.instruments.map((i) => [i.symbol, { symbol: i.symbol, baseAsset: i.baseAsset, quoteAsset: i.quoteAsset }]))
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const sender = createKafkaSender(producer)
  let jsonBytes = 0
  let produced = 0
  let seq = 0n
  const t0 = Date.now()
  log.info(`producing ${tradesWanted.toLocaleString('en')} trades to ${topics.trades}`)
  while (produced < tradesWanted) {
    const batch: Array<{ topic: string; key: string; value: Buffer; meta: undefined }> = []
    while (batch.length < 20_000 && produced + batch.length < tradesWanted) {
      const e = market.next()
      if (e.kind !== 'trade') continue
      const line = captureLine(e)
      jsonBytes += Buffer.byteLength(line)
      const n = normaliseBinanceFrame(line, { exchange: 'BINANCE', symbols, receivedMicros: BigInt(Date.now()) * 1000n, timeUnit: 'ms', maxFrameBytes: 65536 })
      if (n.kind !== 'trade') throw new Error(`the market produced a frame the normaliser rejects: ${line}`)
      const trade: Trade = { ...n.trade, platformSequence: seq++ }
      batch.push({ topic: topics.trades, key: trade.symbol, value: serde.serializeTrade(trade), meta: undefined })
    }
    await sender.send(batch, 'zstd')
    produced += batch.length
  }
  await sender.close()
  log.info(`produced in ${((Date.now() - t0) / 1000).toFixed(1)} s`)

  const namespace = run
  const commits: Array<{ ms: number; files: number; records: number }> = []
  const metrics = createMetrics()
  const abort = new AbortController()
  let flushStarted = 0
  const sinkStarted = Date.now()
  const rss: number[] = []
  const sampler = setInterval(() => rss.push(Math.round(process.memoryUsage().rss / 2 ** 20)), 1000)
  const sink = runIcebergSink(
    {
      namespace,
      topics,
      streams: ['trades'],
      groupId: `k2-${run}`,
      maxRecords: config.sink.maxRecords,
      maxAgeMs: config.sink.maxAgeMs,
      rowGroupSize: config.sink.rowGroupSize,
      workDir: path.join(os.tmpdir(), `k2-${run}`),
      onPhase: (phase) => {
        if (phase === 'flush-started') flushStarted = Date.now()
        if (phase === 'committed') {
          commits.push({ ms: Date.now() - flushStarted, files: 0, records: 0 })
        }
      },
    },
    { kafka, catalog, io, serde, logger: log.child('sink'), metrics },
    abort.signal,
  )
  sink.catch(() => undefined)
  const highs = await admin.fetchTopicOffsets(topics.trades)
  for (;;) {
    await new Promise((r) => setTimeout(r, 500))
    if (!(await catalog.tableExists([namespace], 'trades'))) continue
    const held = tableOffsets((await catalog.loadTable([namespace], 'trades')).metadata, topics.trades)
    if (highs.every((h) => (held.get(h.partition) ?? 0n) >= BigInt(h.high))) break
  }
  const drainSeconds = (Date.now() - sinkStarted) / 1000
  abort.abort()
  await sink
  clearInterval(sampler)
  const backlogTable = await catalog.loadTable([namespace], 'trades')
  const snapshot = currentSnapshot(backlogTable.metadata)!
  const committed = Number(snapshot.summary['total-records'])
  const plan = await planScan({ metadata: backlogTable.metadata, io, manifests: createManifestReader(io) })
  const bytesBefore = plan.files.reduce((n, f) => n + Number(f.fileSizeInBytes), 0)
  const appendSnapshots = backlogTable.metadata.snapshots.filter((s) => s.summary.operation === 'append')
  // The rate while draining: the size-triggered commits, not the last partial batch (which waits
  // for its age limit by design).
  const full = appendSnapshots.slice(0, -1)
  const drainRate = full.length > 0 ? Math.round(full.reduce((n, s) => n + Number(s.summary['added-records']), 0) / ((full[full.length - 1]!['timestamp-ms'] - sinkStarted) / 1000)) : Math.round(committed / drainSeconds)
  const filesPerCommit = appendSnapshots.map((s) => Number(s.summary['added-data-files']))

  // Compaction as maintenance would do it once the hours close.
  const duck = await DuckDBInstance.create(':memory:')
  const connection = await duck.connect()
  const compactStarted = Date.now()
  const compaction = await compactTable({ catalog, io, namespace: [namespace], name: 'trades' }, connection, { targetFileBytes: config.maintenance.targetFileBytes, workDir: path.join(os.tmpdir(), `k2-${run}-compact`), openHourMinFiles: 2 })
  const compactSeconds = (Date.now() - compactStarted) / 1000
  connection.closeSync()
  duck.closeSync()
  const after = await planScan({ metadata: (await catalog.loadTable([namespace], 'trades')).metadata, io, manifests: createManifestReader(io) })
  const bytesAfter = after.files.reduce((n, f) => n + Number(f.fileSizeInBytes), 0)
  const hoursOfData = new Set(after.files.map((f) => `${JSON.stringify(f.partition)}`)).size

  // ---- 2. live end to end -----------------------------------------------------------------
  const live = { trades: `k2-${run}-live-trades`, quotes: `k2-${run}-live-quotes`, deadLetter: `k2-${run}-live-dead`, checkpoint: `k2-${run}-live-checkpoint`, partitions: config.topics.partitions }
  await serde.registerSchemas(live)
  const port = 20000 + Math.floor(Math.random() * 20000)
  const replay = spawn(process.execPath, ['--import', 'tsx', path.join(config.paths.root, 'pipelines', 'replay-exchange.ts')], {
    cwd: config.paths.root,
    env: { ...process.env, K2_REPLAY_PORT: String(port), K2_REPLAY_RATE: 'max', K2_REPLAY_SEED: '1', K2_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  for (let i = 0; ; i++) {
    try {
      await requestJson(`http://127.0.0.1:${port}/api/v3/exchangeInfo`, { timeoutMs: 500 })
      break
    } catch {
      if (i > 100) throw new Error('replay exchange did not start')
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  const liveAbort = new AbortController()
  const ingestMetrics = createMetrics()
  const liveSender = await createThreadedKafkaSender({ brokers: config.kafka.brokers, clientId: `k2-${run}-live`, transactionalId: `k2-ingest-${live.trades}` })
  const ingest = runIngestor(
    {
      exchange: 'BINANCE',
      wsUrl: `ws://127.0.0.1:${port}`,
      restUrl: `http://127.0.0.1:${port}`,
      symbols: [],
      streams: ['trade'],
      timeUnit: 'us',
      maxConnectionMs: config.feed.maxConnectionMs,
      maxFrameBytes: config.feed.maxFrameBytes,
      topics: live,
      reorderWindowMs: config.ingest.reorderWindowMs,
      maxPendingPerSymbol: config.ingest.maxPendingPerSymbol,
      batchMaxRecords: config.ingest.batchMaxRecords,
      lingerMs: config.ingest.lingerMs,
      compression: 'zstd',
    },
    { kafka, encoder: { encodeTrade: (t) => serde.serializeTrade(t), encodeQuote: (q) => serde.serializeQuote(q) }, logger: log.child('ingest'), metrics: ingestMetrics, sender: liveSender },
    liveAbort.signal,
  )
  ingest.catch(() => undefined)
  const liveNamespace = `${run}_live`
  // The sink runs as its own worker process, as `npm run pipelines` runs it.
  const sinkPort = 20000 + Math.floor(Math.random() * 20000)
  const sinkWorker = spawn(process.execPath, ['--import', 'tsx', path.join(config.paths.root, 'pipelines', 'iceberg-sink.ts')], {
    cwd: config.paths.root,
    env: {
      ...process.env,
      K2_TOPIC_TRADES: live.trades,
      K2_TOPIC_QUOTES: live.quotes,
      K2_TOPIC_DEAD_LETTER: live.deadLetter,
      K2_SINK_NAMESPACE: liveNamespace,
      K2_SINK_GROUP: `k2-${run}-live`,
      K2_SINK_METRICS_PORT: String(sinkPort),
      K2_LOG_LEVEL: 'debug',
      K2_LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'inherit', 'pipe'],
  })
  // Its debug line per commit carries the flush time (sort, write, upload, commit).
  const liveCommitMs: number[] = []
  let pendingLine = ''
  sinkWorker.stderr!.on('data', (d: Buffer) => {
    const lines = (pendingLine + d.toString()).split('\n')
    pendingLine = lines.pop() ?? ''
    for (const line of lines) {
      if (!line.includes('"committed ')) {
        if (line.includes('"level":"warn"') || line.includes('"level":"error"')) process.stderr.write(line + '\n')
        continue
      }
      try {
        const ms = (JSON.parse(line) as { ms?: number }).ms
        if (typeof ms === 'number') liveCommitMs.push(ms)
      } catch {
        // not a log line
      }
    }
  })
  const sinkMetricsText = (): Promise<string> => requestJson<string>(`http://127.0.0.1:${sinkPort}/metrics`, { timeoutMs: 2000 }).catch(() => '')
  const liveStarted = Date.now()
  const lag: number[] = []
  const lakeSamples: Array<{ s: number; records: number }> = []
  while (Date.now() - liveStarted < liveSeconds * 1000) {
    await new Promise((r) => setTimeout(r, 1000))
    const text = await sinkMetricsText()
    lag.push(Number(/^k2_sink_lag_seconds\{table="trades"\} ([\d.e+-]+)/m.exec(text)?.[1] ?? 0))
    lakeSamples.push({ s: (Date.now() - liveStarted) / 1000, records: Number(/^k2_sink_records_total\{table="trades"\} (\d+)/m.exec(text)?.[1] ?? 0) })
  }
  // Where the live commits' time went, from the sink's own histogram (phases of k2_sink_commit_phase_seconds).
  const phases = commitPhases(await sinkMetricsText())
  liveAbort.abort()
  await Promise.allSettled([ingest])
  sinkWorker.kill('SIGTERM')
  await new Promise((r) => sinkWorker.once('exit', r))
  replay.kill('SIGTERM')
  const liveTable = (await catalog.loadTable([liveNamespace], 'trades')).metadata
  const liveAppends = liveTable.snapshots.filter((s) => s.summary.operation === 'append')
  const liveFilesPerCommit = liveAppends.map((s) => Number(s.summary['added-data-files']))
  // Steady rate: from the first commit after warm-up to the last one (commits are ~1M records
  // apart, so sample-window edges would measure commit timing, not throughput).
  const steps = lakeSamples.filter((x, i) => i > 0 && x.records > lakeSamples[i - 1]!.records)
  const firstStep = steps.find((x) => x.s >= liveSeconds / 4)
  const lastStep = steps[steps.length - 1]
  const liveRate = firstStep && lastStep && lastStep.s > firstStep.s ? Math.round((lastStep.records - firstStep.records) / (lastStep.s - firstStep.s)) : 0
  const ingestText = await ingestMetrics.registry.metrics()
  const ingested = Number(/^k2_ingest_records_total\{stream="trades"\} (\d+)/m.exec(ingestText)?.[1] ?? 0)

  // ---- clean up -----------------------------------------------------------------------------
  for (const [ns, t] of [[namespace, 'trades'], [liveNamespace, 'trades']] as const) {
    await catalog.dropTable([ns], t, true).catch(() => undefined)
    await catalog.dropNamespace([ns]).catch(() => undefined)
  }
  await admin.deleteTopics({ topics: [topics.trades, topics.quotes, topics.deadLetter, live.trades, live.quotes, live.deadLetter, live.checkpoint] }).catch(() => undefined)
  await admin.disconnect()
  io.close()

  const commitMs = commits.map((c) => c.ms)
  const result = {
    benchmark: 'sink',
    command: `npm run bench:sink -- --trades ${tradesWanted} --live-seconds ${liveSeconds}`,
    date: new Date().toISOString(),
    machine: describeMachine(),
    settings: { maxRecords: config.sink.maxRecords, maxAgeMs: config.sink.maxAgeMs, rowGroupSize: config.sink.rowGroupSize, partitions: topics.partitions, targetFileBytes: config.maintenance.targetFileBytes, layout: 'day(event_time), bucket[16](symbol); sorted by symbol, event_time; zstd, Parquet v2' },
    backlog: {
      trades: committed,
      seconds: +drainSeconds.toFixed(1),
      tradesPerSecond: drainRate,
      tradesPerSecondIncludingLastPartialCommit: Math.round(committed / drainSeconds),
      commits: appendSnapshots.length,
      commitLatencyMs: { p50: quantile(commitMs, 0.5), p99: quantile(commitMs, 0.99), max: Math.max(0, ...commitMs) },
      filesPerCommit: { mean: +(filesPerCommit.reduce((a, b) => a + b, 0) / Math.max(1, filesPerCommit.length)).toFixed(1), max: Math.max(0, ...filesPerCommit) },
      peakRssMiB: Math.max(0, ...rss),
      jsonBytesPerTrade: +(jsonBytes / produced).toFixed(1),
      bytesPerTrade: { asCommitted: +(bytesBefore / committed).toFixed(2), afterCompaction: +(bytesAfter / committed).toFixed(2) },
      ratioToJson: { asCommitted: +(jsonBytes / produced / (bytesBefore / committed)).toFixed(1), afterCompaction: +(jsonBytes / produced / (bytesAfter / committed)).toFixed(1) },
      files: { asCommitted: plan.files.length, afterCompaction: after.files.length, partitionsAfterCompaction: hoursOfData, compactionSeconds: +compactSeconds.toFixed(1), compactionGroups: compaction.groups },
    },
    live: {
      seconds: liveSeconds,
      ingestedTrades: ingested,
      committedTradesPerSecondSteady: liveRate,
      lakeLagSeconds: { p50: +quantile(lag, 0.5).toFixed(1), max: +Math.max(0, ...lag).toFixed(1) },
      commits: liveAppends.length,
      filesPerCommit: +(liveFilesPerCommit.reduce((a, b) => a + b, 0) / Math.max(1, liveFilesPerCommit.length)).toFixed(1),
      filesPerHourBeforeCompaction: Math.round((liveFilesPerCommit.reduce((a, b) => a + b, 0) / liveSeconds) * 3600),
      commitLatencyMs: { p50: quantile(liveCommitMs, 0.5), p99: quantile(liveCommitMs, 0.99), max: Math.max(0, ...liveCommitMs), commits: liveCommitMs.length },
      commitPhasesMeanMs: phases,
    },
  }
  const dir = path.join(config.paths.root, 'docs', 'bench')
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'sink.json'), JSON.stringify(result, null, 1) + '\n')
  const b = result.backlog
  const l = result.live
  // The ingest's figure alone, from its own benchmark's file, so the prose cannot drift from it.
  const ingestAlone = (() => {
    try {
      const ingest = readBenchmarkResults(config.paths.root).ingest as { tradesPerSecond?: number }
      return typeof ingest.tradesPerSecond === 'number' ? `${ingest.tradesPerSecond.toLocaleString('en')} trades/s` : 'not measured'
    } catch {
      return 'not measured'
    }
  })()
  const md = [
    '# Sink benchmark (Kafka → Iceberg)',
    '',
    `Command: \`${result.command}\` on ${result.date.slice(0, 10)}.`,
    `Machine: ${result.machine.cpu}, ${result.machine.cores} cores, ${result.machine.memoryGiB} GiB, ${result.machine.node}; the whole local stack (Kafka, MinIO, Iceberg REST, registry) on the same machine.`,
    `Settings: ${result.settings.layout}; commit at ${result.settings.maxRecords.toLocaleString('en')} records or ${result.settings.maxAgeMs / 1000} s; ${result.settings.partitions} Kafka partitions.`,
    '',
    '| figure | value | target |',
    '|---|---|---|',
    `| Kafka → committed Iceberg, draining a backlog of ${b.trades.toLocaleString('en')} trades, size-triggered commits (trades/s) | ${b.tradesPerSecond.toLocaleString('en')} | ≥ 60,000 |`,
    `| the same including the last partial commit, which waits for its ${result.settings.maxAgeMs / 1000} s age limit | ${b.tradesPerSecondIncludingLastPartialCommit.toLocaleString('en')} | |`,
    `| end to end, replay → ingest → Kafka → Iceberg at once (ingest in this process, the sink worker in its own), steady (trades/s committed) | ${l.committedTradesPerSecondSteady.toLocaleString('en')} | ≥ 50,000 |`,
    `| trades ingested into Kafka during the live run (trades/s) | ${Math.round(l.ingestedTrades / l.seconds).toLocaleString('en')} | |`,
    `| commit latency p50 / p99: sort and write Parquet, upload, commit (ms, ${b.commits} commits of up to ${result.settings.maxRecords.toLocaleString('en')}) | ${b.commitLatencyMs.p50} / ${b.commitLatencyMs.p99} | |`,
    `| commit latency p50 / p99 in the live run (ms, ${l.commitLatencyMs.commits} commits) | ${l.commitLatencyMs.p50} / ${l.commitLatencyMs.p99} | |`,
    `| bytes per trade on disk, as committed / after compaction | ${b.bytesPerTrade.asCommitted} / ${b.bytesPerTrade.afterCompaction} | ≤ 10 |`,
    `| Binance JSON frame per trade (bytes) and ratio | ${b.jsonBytesPerTrade} → ${b.ratioToJson.asCommitted}:1 / ${b.ratioToJson.afterCompaction}:1 | ≥ 15:1 |`,
    `| files per commit (backlog mean / live mean) | ${b.filesPerCommit.mean} / ${l.filesPerCommit} | |`,
    `| data files per hour at the default settings, before compaction (live) | ${l.filesPerHourBeforeCompaction.toLocaleString('en')} | |`,
    `| data files after compaction / partitions (backlog, all in one hour) | ${b.files.afterCompaction} / ${b.files.partitionsAfterCompaction} | ≤ 1 per partition per hour |`,
    `| lake lag p50 / max during the live run (s) | ${l.lakeLagSeconds.p50} / ${l.lakeLagSeconds.max} | ≤ 60 |`,
    `| sink peak RSS during the backlog drain (MiB, whole process) | ${b.peakRssMiB} | |`,
    '',
    '## Where a live commit\'s time goes',
    '',
    'Mean milliseconds per commit of the live run, by phase (`k2_sink_commit_phase_seconds`): sort and',
    'write Parquet in DuckDB, upload the data files, write the manifests (with loading the table and',
    'reading the parent\'s manifest list), write the manifest list, and the catalog\'s commit.',
    '',
    '| table | write | upload | manifests | manifest list | catalog |',
    '|---|---|---|---|---|---|',
    ...Object.entries(l.commitPhasesMeanMs).map(([table, ph]) => `| ${table} | ${ph.write ?? '–'} | ${ph.upload ?? '–'} | ${ph.manifests ?? '–'} | ${ph.manifest_list ?? '–'} | ${ph.catalog ?? '–'} |`),
    '',
    'At replay rate 1 on the live stack (2026-12-03, before the fix) the write took 4.0 s (trades) and',
    '6.0 s (quotes) of commits of 36–42k records that it writes in 0.3 s alone: its 17 DuckDB round',
    'trips each waited for the sink\'s event loop, busy decoding records. The writer now sends every',
    'partition\'s COPY at once; `docs/bench/sink-write.md` measures both ways with a busy loop.',
    '',
    ...keptSection(path.join(dir, 'sink.md')),
    '## Why the end-to-end target is missed on this machine',
    '',
    'Ingest and sink together need more CPU than 2 cores leave beside the broker, MinIO and the',
    'catalog. Ingest costs about 11 µs of CPU per trade (parse, normalise, Avro encode; docs/bench/README.md),',
    'the sink about 6 µs on its main thread (Avro decode ~4, DuckDB append ~2) plus the sort and Parquet',
    'write on its DuckDB thread: at 50,000 trades/s that is ~0.85 core before Kafka itself. Run alone,',
    `each side has its own figure (ingest ${ingestAlone}, from bench:ingest; the sink's backlog ${b.tradesPerSecond.toLocaleString('en')} trades/s in this run); together the`,
    `ingest side takes ${Math.round(l.ingestedTrades / l.seconds).toLocaleString('en')} trades/s and the sink commits ${l.committedTradesPerSecondSteady.toLocaleString('en')}/s with the lake lag bounded. Neither side waits on`,
    'the other: it is a CPU ceiling, not a serial bottleneck, so more cores or separate machines lift',
    'it (docs/decisions.md, D22).',
    '',
  ].join('\n')
  fs.writeFileSync(path.join(dir, 'sink.md'), md)
  process.stdout.write(md)
  process.exit(0)
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:sink failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})

/** Mean milliseconds per commit by table and phase, from a sink's /metrics text. */
function commitPhases(text: string): Record<string, Record<string, number>> {
  const sums = new Map<string, number>()
  const out: Record<string, Record<string, number>> = {}
  for (const m of text.matchAll(/^k2_sink_commit_phase_seconds_(sum|count)\{table="([^"]+)",phase="([^"]+)"\} ([\d.e+-]+)$/gm)) {
    const key = `${m[2]}|${m[3]}`
    if (m[1] === 'sum') sums.set(key, Number(m[4]))
    else if (Number(m[4]) > 0 && sums.has(key)) (out[m[2]!] ??= {})[m[3]!] = Math.round((sums.get(key)! / Number(m[4])) * 1000)
  }
  return out
}

/**
 * The hand-written part of sink.md (between `<!-- kept: … -->` and `<!-- /kept -->`: the commit
 * phases measured in the whole-stack soak), carried over when this run rewrites the file.
 */
function keptSection(file: string): string[] {
  let text = ''
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    return []
  }
  const m = /<!-- kept:[^>]*-->[\s\S]*?<!-- \/kept -->/.exec(text)
  return m ? [m[0], ''] : []
}
