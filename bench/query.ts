/**
 * `npm run bench:query [-- --trades 10000000] [--quotes 3000000] [--runs 100] [--rate 2000] [--reload]`
 *
 * Query latency over a lake of ≥10M trades with a live Kafka tail, on the running local stack:
 * 1. Lake: N synthetic trades of 20 symbols over the last 24 hours (and M quotes), written in
 *    time order as 1M-row appends through the same Parquet writer and commit path as the sink
 *    (so files are sorted by symbol and time, one per day × symbol bucket per append). Kept in
 *    namespace `bench_query` and reused by later runs within the hour (`--reload` writes it
 *    again; so does a run more than an hour after the load, whose 24 h would hold less of it).
 * 2. Live tail: a worker process (bench/live-producer.ts) produces `rate` trades/s (and quotes)
 *    to fresh topics while the sink worker (pipelines/iceberg-sink.ts, default 30 s commits)
 *    commits them and the maintenance worker (pipelines/maintenance.ts) keeps the rollups and
 *    compacts, each in its own process: hybrid queries read the lake plus up to 30 s of tail.
 * 3. Six query types × R runs (after 3 warm-ups): p50/p95/p99 and peak RSS of this process. For
 *    each run, the floor: the same SQL and parameters in a plain DuckDB over the same rows as
 *    local Parquet (`read_parquet` of the data files the engine read, and of the Kafka tail's
 *    records it read, written out after each run; no planning, no catalog, no Kafka),
 *    reported as a ratio.
 * 4. Freshness: a trade produced (acknowledged) → visible in a hybrid query, p50/p99.
 * Writes docs/bench/query.json and docs/bench/query.md.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import {
  analytics,
  bindParameters,
  compactTable,
  compactionTimeColumns,
  duckdbType,
  createQueryEngine,
  createRecordSerde,
  createRestCatalogClient,
  createSchemaRegistryClient,
  createWarehouseFileIO,
  currentSnapshot,
  ensureTopics,
  latestTradesTable,
  loadConfig,
  minuteBarsTable,
  quotesTable,
  sqlString,
  schemaById,
  silentLogger,
  tradesTable,
  type QueryOptions,
  type QueryResult,
  type Queryable,
  type Schema,
  type TableDesign,
  type Trade,
  type EngineTable,
  type LatestIndexRequest,
} from '../lib/internal'
// After lib: lib/ingest registers the zstd codec.
import { Kafka, logLevel, type Producer } from 'kafkajs'
import { describeMachine } from './machine'
import { arg, declareArgs, ensureNodeFlags, flag, freePort, quantile } from './bench-kit'
import { bulkLoad, createMarket } from './market-fixture'
import { engineNodeFlags } from '../stack/lib/node-flags'

declareArgs({ 'namespace': 'string', 'only': 'string', 'quotes': 'string', 'rate': 'string', 'runs': 'string', 'trades': 'string', 'reload': 'boolean' })

/** The trades table property naming the end of the bulk-loaded trades (ms since the epoch). */
const bulkToKey = 'k2.bench.bulk-to-ms'
/** A lake whose bulk trades end longer ago than this is written again: the queries read the last 24 h. */
const maxLakeAgeMs = 3_600_000

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits
const say = (msg: string): boolean => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`)


interface Captured {
  sql: string
  options: QueryOptions
  result: QueryResult
}

async function main(): Promise<void> {
  ensureNodeFlags(engineNodeFlags)
  const tradesWanted = Number(arg('trades', '10000000'))
  const quotesWanted = Number(arg('quotes', '3000000'))
  // 100 runs: the p99 of 30 was the slowest run, set by whichever run met a sink commit.
  const runs = Number(arg('runs', '100'))
  const rate = Number(arg('rate', '2000'))
  const namespace = arg('namespace', 'bench_query')
  const config = loadConfig(process.env)
  const kafka = new Kafka({ clientId: 'k2-bench-query', brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
  const serde = createRecordSerde({ registry: createSchemaRegistryClient({ url: config.schemaRegistry.url }) })
  const catalog = createRestCatalogClient({ url: config.catalog.url })
  const io = createWarehouseFileIO(config)
  const loadDuck = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '4GB', preserve_insertion_order: 'false' })
  const loadConn = await loadDuck.connect()

  // ---- 1. the lake --------------------------------------------------------------------------
  await catalog.ensureNamespace([namespace])
  const records = async (table: string): Promise<number> => {
    if (!(await catalog.tableExists([namespace], table))) return 0
    const snap = currentSnapshot((await catalog.loadTable([namespace], table)).metadata)
    return snap ? Number(snap.summary['total-records']) : 0
  }
  // The queries ask of the last 24 h: a lake written hours ago holds less of that window (the
  // 24-hour bars of a lake 6 h old read 18 h of it, and "6 h ago" reads the live runs' commits).
  const bulkTo = async (): Promise<number | undefined> => {
    if (!(await catalog.tableExists([namespace], 'trades'))) return undefined
    const text = (await catalog.loadTable([namespace], 'trades')).metadata.properties?.[bulkToKey]
    return text === undefined || !Number.isFinite(Number(text)) ? undefined : Number(text)
  }
  const lakeEnd = await bulkTo()
  const stale = lakeEnd === undefined || Date.now() - lakeEnd > maxLakeAgeMs
  if (flag('reload') || stale || (await records('trades')) < tradesWanted || (await records('quotes')) < quotesWanted) {
    const why = flag('reload')
      ? '--reload'
      : lakeEnd !== undefined && stale
        ? `its trades end ${((Date.now() - lakeEnd) / 3_600_000).toFixed(1)} h ago, so the last 24 h would hold less of them`
        : (await catalog.tableExists([namespace], 'trades'))
          ? `its trades table does not say when its trades end (${bulkToKey})`
          : 'first run'
    say(`writing ${tradesWanted.toLocaleString('en')} trades and ${quotesWanted.toLocaleString('en')} quotes into ${namespace} (${why})`)
    for (const t of ['trades', 'quotes', minuteBarsTable.name, latestTradesTable.name]) await catalog.dropTable([namespace], t, true).catch(() => undefined)
    const now = BigInt(Date.now()) * 1000n
    const from = now - 24n * 3_600_000_000n
    const to = now - 120_000_000n
    const market = createMarket(11)
    await bulkLoad(catalog, io, loadConn, namespace, tradesTable, tradesWanted, from, to, (at) => market.trade(at))
    await bulkLoad(catalog, io, loadConn, namespace, quotesTable, quotesWanted, from, to, (at) => market.quote(at))
    await catalog.commitTable([namespace], 'trades', [], [{ action: 'set-properties', updates: { [bulkToKey]: String(to / 1000n) } }])
  }
  // As the maintenance worker would: merge the small files earlier runs' live commits left, in
  // the rollups too (they follow the sink every 5 s; a rollup not there yet is folded below).
  for (const name of ['trades', 'quotes', minuteBarsTable.name, latestTradesTable.name]) {
    if (!(await catalog.tableExists([namespace], name))) continue
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-bench-compact-'))
    const report = await compactTable({ catalog, io, namespace: [namespace], name }, loadConn, { targetFileBytes: config.maintenance.targetFileBytes, workDir, openHourMinFiles: 2, timeColumn: compactionTimeColumns[name] })
    fs.rmSync(workDir, { recursive: true, force: true })
    if (report.filesIn > 0) say(`${name}: compacted ${report.filesIn} files into ${report.filesOut}`)
  }
  const lakeTrades = await records('trades')
  const lakeQuotes = await records('quotes')
  const bulkEndMs = (await bulkTo())!
  say(`lake: ${lakeTrades.toLocaleString('en')} trades, ${lakeQuotes.toLocaleString('en')} quotes`)
  loadConn.closeSync()
  loadDuck.closeSync()

  // ---- 2. the live tail ---------------------------------------------------------------------
  const run = `benchq-${Date.now()}`
  const topics = { trades: `k2-${run}-trades`, quotes: `k2-${run}-quotes`, deadLetter: `k2-${run}-dead` }
  const admin = kafka.admin()
  await admin.connect()
  await ensureTopics(admin, [
    { topic: topics.trades, partitions: config.topics.partitions },
    { topic: topics.quotes, partitions: config.topics.partitions },
    { topic: topics.deadLetter, partitions: 1 },
  ])
  await serde.registerSchemas(topics)
  // The freshness markers are produced here, one at a time; the live load by its own process.
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const live = createMarket(97)
  // The live load, the sink and the rollups each run in their own process, as a user's ingest,
  // sink and maintenance workers do: in this process their work took event-loop time from the
  // queries measured (D86).
  const workers: ChildProcess[] = []
  // However this process ends, the workers it started end with it.
  process.once('exit', () => workers.forEach((w) => w.kill('SIGKILL')))
  const startWorker = (script: string, args: string[], env: Record<string, string>, stdout: 'ignore' | 'pipe' = 'ignore'): ChildProcess => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(config.paths.root, script), ...args], {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', K2_LOG_LEVEL: 'warn', K2_LOG_FORMAT: 'json', ...env },
      stdio: ['ignore', stdout, 'inherit'],
    })
    workers.push(child)
    return child
  }
  const liveLoad = startWorker('bench/live-producer.ts', ['--trades-topic', topics.trades, '--quotes-topic', topics.quotes, '--rate', String(rate)], {}, 'pipe')
  let liveOut = ''
  liveLoad.stdout!.on('data', (d: Buffer) => (liveOut += d.toString()))
  const sink = startWorker('pipelines/iceberg-sink.ts', [], {
    K2_SINK_NAMESPACE: namespace,
    K2_TOPIC_TRADES: topics.trades,
    K2_TOPIC_QUOTES: topics.quotes,
    K2_TOPIC_DEAD_LETTER: topics.deadLetter,
    K2_SINK_GROUP: `k2-${run}-sink`,
    K2_SINK_METRICS_PORT: String(await freePort()),
  })
  const stopWorker = async (w: ChildProcess): Promise<void> => {
    if (w.exitCode !== null || w.signalCode !== null) return
    const exited = new Promise((r) => w.once('exit', r))
    w.kill('SIGTERM')
    await exited
  }

  const engine = await createQueryEngine(
    { namespace, topics, cacheDir: config.query.cacheDir, cacheMaxBytes: config.query.cacheMaxBytes, refreshMs: config.query.refreshMs, memoryLimit: config.query.memoryLimit },
    { catalog, io, kafka, serde, logger: silentLogger },
  )
  say('waiting for the sink to commit the live topics once (default 30 s commits)')
  const liveCommitted = async (): Promise<boolean> => {
    const meta = (await catalog.loadTable([namespace], 'trades')).metadata
    return currentSnapshot(meta)?.summary['k2.kafka.topic'] === topics.trades
  }
  const waitStart = Date.now()
  while (!(await liveCommitted())) {
    if (Date.now() - waitStart > 120_000) throw new Error('the sink did not commit the live topic within 120 s')
    await new Promise((r) => setTimeout(r, 1000))
  }

  // The rollups, kept as the maintenance worker keeps them (the first round folds the whole lake).
  say('rollups: folding the lake into trades_bars_1m and trades_latest, then following the sink')
  const maintenance = startWorker('pipelines/maintenance.ts', [], { K2_SINK_NAMESPACE: namespace, K2_MAINTENANCE_METRICS_PORT: String(await freePort()) })
  const rollupStart = Date.now()
  while (!(engine.readable('bars_1m') && engine.readable('trades_latest'))) {
    if (Date.now() - rollupStart > 300_000) throw new Error('the rollups were not readable within 300 s')
    await new Promise((r) => setTimeout(r, 1000))
    await engine.refresh()
  }
  say(`rollups readable after ${((Date.now() - rollupStart) / 1000).toFixed(1)} s`)

  // ---- 3. queries -----------------------------------------------------------------------------
  const queriesStartMs = Date.now()
  const floorDuck = await DuckDBInstance.create(':memory:', { memory_limit: config.query.memoryLimit })
  const floor = await floorDuck.connect()
  let captured: Captured | undefined
  const capturing: Queryable = {
    query: async <T extends Record<string, unknown>>(sql: string, options?: QueryOptions): Promise<QueryResult<T>> => {
      const result = await engine.query<T>(sql, options)
      captured = { sql, options: options ?? {}, result: result as unknown as QueryResult }
      return result
    },
    readable: (table) => engine.readable(table),
    // The latest trade per symbol is answered from the engine's in-memory index (D91) where it can.
    latestRows: async <T extends Record<string, unknown>>(request: LatestIndexRequest): Promise<QueryResult<T> | undefined> => {
      const result = await engine.latestRows<T>(request)
      indexed = result as QueryResult | undefined
      return result
    },
  }
  // The same without the index: what the floor of an index answer reads (the rollup's SQL).
  const sqlOnly: Queryable = { query: capturing.query, readable: capturing.readable }
  let indexed: QueryResult | undefined
  const hour = 3_600_000
  // `sqlRun`: the same question through SQL alone, run untimed after an answer from the index so the floor has SQL and rows to read.
  const types: Array<{ name: string; title: string; run: () => Promise<unknown>; sqlRun?: () => Promise<unknown> }> = [
    { name: 'recent_trades_hybrid', title: 'recent trades, hybrid (5 min, one symbol, newest 1000)', run: () => analytics.recentTrades(capturing, { symbol: 'BTCUSDT', minutes: 5, limit: 1000 }) },
    { name: 'symbol_time_filter', title: 'one symbol, a 1-hour window 6 h ago (≤10,000 rows)', run: () => analytics.trades(capturing, { symbol: 'ETHUSDT', from: new Date(Date.now() - 6 * hour), to: new Date(Date.now() - 5 * hour), limit: 10_000 }) },
    { name: 'bars_1h_1m', title: '1-minute OHLCV + VWAP bars, one symbol, last hour', run: () => analytics.bars(capturing, { symbol: 'BTCUSDT', from: new Date(Date.now() - hour), to: new Date(Date.now() + 60_000), interval: '1m' }) },
    { name: 'bars_24h_all', title: '1-hour bars, all symbols, last 24 h', run: () => analytics.bars(capturing, { from: new Date(Date.now() - 24 * hour), to: new Date(Date.now() + 60_000), interval: '1h' }) },
    { name: 'latest_per_symbol', title: 'latest trade per symbol (24 h look-back)', run: () => analytics.latestTrades(capturing), sqlRun: () => analytics.latestTrades(sqlOnly) },
    { name: 'asof_join', title: 'trades as-of joined to quotes, one symbol, last 5 min', run: () => analytics.tradesWithQuotes(capturing, { symbol: 'BTCUSDT', from: new Date(Date.now() - 5 * 60_000), to: new Date(Date.now() + 60_000) }) },
  ]

  // --only a,b: a trial of some query types, printed and not recorded (the record needs all of them).
  const only = arg('only', '').split(',').filter((n) => n !== '')
  const unknown = only.filter((n) => !types.some((t) => t.name === n))
  if (unknown.length > 0) throw new Error(`--only names no query type ${unknown.join(', ')} (they are ${types.map((t) => t.name).join(', ')})`)

  // The floor reads the same rows as the engine: its lake files, and the records it read from the
  // Kafka tail, written after each run to a local Parquet file (by the engine, untimed, as it
  // reads them a moment after the timed run: the same offsets and a few ms more). The tail grows
  // between commits, so one file per query type would leave the floor behind over 100 runs.
  const tailDir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-bench-tail-'))
  let tailFileCount = 0
  const tailFiles = async (c: Captured, label: string): Promise<Map<string, string>> => {
    const out = new Map<string, string>()
    for (const [table, b] of Object.entries(c.result.boundaries)) {
      if ((b?.tail?.records ?? 0) + (b?.deferredTail?.records ?? 0) === 0) continue
      // A new name each run: DuckDB caches a file's blocks by its path and modification time, and
      // a file rewritten within the same second read back as the old one's blocks (a ZSTD error).
      const file = path.join(tailDir, `${label}-${table}-${++tailFileCount}.parquet`)
      // The query's own tables, all of them: the engine then keeps this query's tail ranges as
      // they are (a copy of one table set them to that table's alone, and the next timed run of a
      // query of two tables rewrote them: ~1 ms no user's repeated query pays).
      const tables = c.options.tables ?? { [table]: {} }
      await engine.query(`COPY (SELECT * EXCLUDE (_source) FROM ${table} WHERE _source = 'kafka') TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`, { tables })
      out.set(table, file)
    }
    return out
  }

  const floorSchemas = new Map<string, Schema>()
  const runFloor = async (c: Captured, tails: ReadonlyMap<string, string>): Promise<number> => {
    const paths: Array<[string, string[]]> = []
    const all: string[] = []
    for (const [table, b] of Object.entries(c.result.boundaries)) {
      const local = await engine.cache.acquire(b!.files)
      all.push(...b!.files)
      paths.push([table, local])
    }
    try {
      // The schemas before the clock, once a run (they do not change while it runs): an empty lake
      // part is typed by them. Loading them for every floor run put two catalog calls between
      // every two engine runs, on the same cores.
      for (const [table] of paths) {
        if (floorSchemas.has(table)) continue
        const design = ({ trades: tradesTable, quotes: quotesTable, bars_1m: minuteBarsTable, trades_latest: latestTradesTable } as Record<EngineTable, TableDesign<unknown>>)[table as EngineTable]
        floorSchemas.set(table, schemaById((await catalog.loadTable([namespace], design.name)).metadata))
      }
      const schemas = floorSchemas
      const started = performance.now()
      for (const [table, local] of paths) {
        const schema = schemas.get(table)!
        const lake = local.length
          ? `SELECT *, 'lake' AS _source FROM read_parquet([${local.map(sqlString).join(', ')}])`
          : `SELECT ${schema.fields.map((f) => `CAST(NULL AS ${duckdbType(f.type)}) AS "${f.name}"`).join(', ')}, 'lake' AS _source WHERE false`
        const tail = tails.get(table)
        const view = tail ? `${lake} UNION ALL SELECT *, 'kafka' AS _source FROM read_parquet(${sqlString(tail)})` : lake
        await floor.run(`CREATE OR REPLACE TEMP VIEW ${table} AS ${view}`)
      }
      const prepared = await floor.prepare(c.sql)
      bindParameters(prepared, c.options.params ?? {})
      // Rows as a plain DuckDB client reads them (DuckDB's own JS conversion).
      ;(await prepared.runAndReadAll()).getRowObjectsJS()
      // The floor includes declaring the views over the files (a few µs): what a hand-written query does.
      return performance.now() - started
    } finally {
      engine.cache.release(all)
    }
  }

  type Row = { name: string; title: string; runs: number; rows: number; filesRead: number; tailRecords: number; ms: { p50: number; p95: number; p99: number }; planMsP50: number; tailMsP50: number; executeMsP50: number; floorMs: { p50: number; p99: number }; ratioP50: number; ratioP99: number; peakRssMiB: number; indexedRuns: number; slicedRuns: number }
  const results: Row[] = []
  for (const t of types.filter((t) => only.length === 0 || only.includes(t.name))) {
    say(`${t.name}: 3 warm-ups, ${runs} runs`)
    for (let i = 0; i < 3; i++) await t.run()
    const ms: number[] = []
    const floors: number[] = []
    const plan: number[] = []
    const tail: number[] = []
    const exec: number[] = []
    let indexedRuns = 0
    let slicedRuns = 0
    const tailRows: number[] = []
    const files: number[] = []
    let rows = 0
    let peak = process.memoryUsage().rss
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20)
    for (let i = 0; i < runs; i++) {
      captured = undefined
      indexed = undefined
      const started = performance.now()
      await t.run()
      ms.push(performance.now() - started)
      const answered = indexed ?? captured!.result
      if (indexed) indexedRuns++
      if (Object.values(answered.boundaries).some((b) => (b?.lakeSlices ?? 0) > 0)) slicedRuns++
      plan.push(answered.timings.planMs)
      tail.push(answered.timings.tailMs)
      exec.push(answered.timings.executeMs)
      rows = answered.rows.length
      tailRows.push(Object.values(answered.boundaries).reduce((a, b) => a + (b?.tail?.records ?? 0), 0))
      files.push(Object.values(answered.boundaries).reduce((a, b) => a + (b?.filesScanned ?? 0), 0))
      if (indexed && t.sqlRun) await t.sqlRun()
      const c = captured!
      const copies = await tailFiles(c, t.name)
      floors.push(await runFloor(c, copies))
      for (const file of copies.values()) fs.rmSync(file, { force: true })
    }
    clearInterval(sampler)
    const r: Row = {
      name: t.name,
      title: t.title,
      runs,
      rows,
      filesRead: quantile(files, 0.5),
      tailRecords: quantile(tailRows, 0.5),
      ms: { p50: round(quantile(ms, 0.5)), p95: round(quantile(ms, 0.95)), p99: round(quantile(ms, 0.99)) },
      planMsP50: round(quantile(plan, 0.5)),
      tailMsP50: round(quantile(tail, 0.5)),
      executeMsP50: round(quantile(exec, 0.5)),
      floorMs: { p50: round(quantile(floors, 0.5)), p99: round(quantile(floors, 0.99)) },
      ratioP50: round(quantile(ms, 0.5) / quantile(floors, 0.5), 2),
      ratioP99: round(quantile(ms, 0.99) / quantile(floors, 0.99), 2),
      peakRssMiB: Math.round(peak / 2 ** 20),
      indexedRuns,
      slicedRuns,
    }
    say(`${t.name}: p50 ${r.ms.p50} ms, p99 ${r.ms.p99} ms, floor p50 ${r.floorMs.p50} ms (×${r.ratioP50}), plan / tail / execute p50 ${r.planMsP50} / ${r.tailMsP50} / ${r.executeMsP50} ms, ${r.filesRead} files, ${r.tailRecords} tail records${r.indexedRuns > 0 ? `, ${r.indexedRuns} of ${runs} runs answered from the in-memory index (D91)` : ''}${r.slicedRuns > 0 ? `, ${r.slicedRuns} of ${runs} runs read minutes from slices (D93)` : ''}`)
    results.push(r)
  }

  // ---- 4. freshness ---------------------------------------------------------------------------
  if (only.length === 0) say('freshness: 40 trades produced one at a time, each polled until a hybrid query sees it')
  const fresh: number[] = []
  // Ids unique to this run: the lake keeps earlier runs' marker trades.
  const firstMarker = BigInt(Date.now()) * 100n
  for (let i = 1; i <= (only.length > 0 ? 0 : 40); i++) {
    const id = firstMarker + BigInt(i)
    const trade: Trade = { ...live.trade(BigInt(Date.now()) * 1000n), symbol: 'FRESHUSDT', tradeId: id, messageId: `BINANCE:FRESHUSDT:${id}` }
    const started = performance.now()
    await producer.send({ topic: topics.trades, acks: -1, messages: [{ key: trade.symbol, value: serde.serializeTrade(trade) }] })
    for (;;) {
      const r = await engine.query<{ n: bigint }>('SELECT count(*) AS n FROM trades WHERE symbol = $symbol AND trade_id = $id', { params: { symbol: 'FRESHUSDT', id }, tables: { trades: { filter: { column: 'symbol', op: 'eq', value: 'FRESHUSDT' } } } })
      if (r.rows[0]!.n > 0n) break
      if (performance.now() - started > 30_000) throw new Error(`marker trade ${id} not visible 30 s after it was acknowledged`)
    }
    fresh.push(performance.now() - started)
    await new Promise((r) => setTimeout(r, 250))
  }

  await Promise.all([stopWorker(liveLoad), stopWorker(maintenance), stopWorker(sink)])
  const produced = (JSON.parse(liveOut.trim().split('\n').pop() || '{}') as { produced?: number }).produced ?? 0
  await producer.disconnect()
  await engine.close()
  floor.closeSync()
  floorDuck.closeSync()
  fs.rmSync(tailDir, { recursive: true, force: true })
  for (const t of Object.values(topics)) await admin.deleteTopics({ topics: [t] }).catch(() => undefined)
  await admin.disconnect()
  io.close()

  if (only.length > 0) {
    say('a trial (--only): nothing recorded')
    process.exit(0)
  }
  const targets: Record<string, string> = { recent_trades_hybrid: 'p99 ≤ 50 ms', bars_1h_1m: 'p99 ≤ 100 ms', bars_24h_all: 'p99 ≤ 50 ms', latest_per_symbol: 'p99 ≤ 50 ms' }
  const result = {
    command: `npm run bench:query -- ${process.argv.slice(2).join(' ')}`.trim(),
    date: new Date().toISOString(),
    machine: describeMachine(),
    lake: { trades: lakeTrades, quotes: lakeQuotes, namespace, layout: 'day(event_time) + bucket[16](symbol), sorted by symbol, event_time; 1M-row appends', bulkEndMinutesBeforeQueries: round((queriesStartMs - bulkEndMs) / 60_000) },
    live: { tradesPerSecond: rate, produced, sinkCommitEveryMs: config.sink.maxAgeMs },
    engine: { refreshMs: config.query.refreshMs, memoryLimit: config.query.memoryLimit, threads: os.cpus().length },
    seeds: { p50Ms: 388, p99Ms: 681 },
    queries: results,
    freshnessMs: { samples: fresh.length, p50: round(quantile(fresh, 0.5)), p99: round(quantile(fresh, 0.99)), max: round(Math.max(...fresh)) },
  }
  const dir = path.join(config.paths.root, 'docs', 'bench')
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'query.json'), JSON.stringify(result, null, 1) + '\n')
  const m = result.machine
  const md = [
    '# Query benchmark (hybrid engine)',
    '',
    `Command: \`${result.command}\` on ${result.date.slice(0, 10)}.`,
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node} with ${engineNodeFlags.join(' ')} (the engine's V8 flags, as the API and the notebooks' kernel run it); the whole local stack on the same machine.`,
    `Lake: ${lakeTrades.toLocaleString('en')} trades and ${lakeQuotes.toLocaleString('en')} quotes over 24 h (${result.lake.layout}), their bulk load ending ${result.lake.bulkEndMinutesBeforeQueries} min before the first query (a lake over an hour old is written again). Live tail: ${rate.toLocaleString('en')} trades/s produced by a worker process while the sink worker commits every ${config.sink.maxAgeMs / 1000} s and the maintenance worker keeps the rollups and compacts, each in its own process as a user runs them.`,
    `Each query: 3 warm-ups, then ${runs} runs; the floor is the same SQL in plain DuckDB over the same rows as local Parquet: the data files the engine read, and the Kafka tail's rows it read (for a rollup, its partial rows), written to a Parquet file after each run (read_parquet by name; no planning, no catalog, no Kafka), rows read with DuckDB's own JS conversion. Latency is wall time in this process; peak RSS is this process (engine, tail, DuckDB). The two wide queries read the one-minute rollups (trades_bars_1m, trades_latest: D72, D74), kept by the maintenance worker beside the sink, and the tail's records past them as partial rows the tail keeps folded (D83); the floor reads the same rollup files and the same partial rows. The latest trade per symbol is answered from the engine's in-memory index of trades_latest and of the tail's records past it (D91) where it can answer exactly (${results.find((r) => r.name === 'latest_per_symbol')?.indexedRuns ?? 0} of ${runs} runs here), planning no query; its floor is still the rollup's SQL over the rollup's files and partial rows, which the engine reads through SQL alone after each timed run. The 1-hour bars over 24 h read the trades of the minute their range cuts 24 h ago from the engine's minute slices (D93: that minute's rows of its data files, decoded once and kept as a small local file, named by the files) in ${results.find((r) => r.name === 'bars_24h_all')?.slicedRuns ?? 0} of ${runs} runs; the floor reads that minute from the data files themselves, whole row groups, so a ratio under 1 there is the slices' saving. Their figures before the rollups (2026-12-02, same command): 1-hour bars over 24 h p50 613 / p99 1,236 ms, latest trade per symbol p50 360 / p99 528 ms.`,
    '',
    '| query | rows | files read | tail records | p50 ms | p95 ms | p99 ms | plan / tail / execute p50 ms | floor p50 / p99 ms | ratio p50 / p99 | peak RSS MiB | target |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.title} | ${r.rows} | ${r.filesRead} | ${r.tailRecords} | ${r.ms.p50} | ${r.ms.p95} | ${r.ms.p99} | ${r.planMsP50} / ${r.tailMsP50} / ${r.executeMsP50} | ${r.floorMs.p50} / ${r.floorMs.p99} | ${r.ratioP50} / ${r.ratioP99} | ${r.peakRssMiB} | ${targets[r.name] ?? 'ratio ≤ 1.2'} |`),
    '',
    `Freshness (a trade acknowledged by Kafka → visible in a hybrid query, ${fresh.length} samples): p50 ${result.freshnessMs.p50} ms, p99 ${result.freshnessMs.p99} ms (target p99 ≤ 1 s).`,
    '',
    `For reference, the seed project's query figures: p50 ${result.seeds.p50Ms} ms, p99 ${result.seeds.p99Ms} ms.`,
    '',
    '## Targets',
    '',
    ...targetLines(results, result.freshnessMs.p99),
    '',
    'Why p99 moves between runs: the sink worker commits every 30 s on the same 2 cores (a sort, a',
    'Parquet write and an upload of the last 30 s of trades), and Kafka, MinIO and the catalog run',
    `here too. A query that meets a commit is slow; with ${runs} runs the p99 is set by the slowest`,
    `${Math.max(1, Math.ceil(runs / 100))} of them. The floor suffers the same. The p50 ratio is the`,
    "engine's own overhead (planning, the tail's high-water mark and its rows, row conversion).",
    '',
  ].join('\n')
  fs.writeFileSync(path.join(dir, 'query.md'), md)
  process.stdout.write(md)
  process.exit(0)
}

/** Each target, met or not, from the measured figures. */
function targetLines(results: ReadonlyArray<{ name: string; title: string; ms: { p99: number }; ratioP50: number }>, freshnessP99: number): string[] {
  const byName = new Map(results.map((r) => [r.name, r]))
  const verdict = (ok: boolean): string => (ok ? 'met' : '**not met**')
  const recent = byName.get('recent_trades_hybrid')!
  const bars = byName.get('bars_1h_1m')!
  const wide = byName.get('bars_24h_all')!
  const latest = byName.get('latest_per_symbol')!
  const worstRatio = results.reduce((a, r) => (r.ratioP50 > a.ratioP50 ? r : a))
  return [
    `- hybrid recent trades p99 ≤ 50 ms: ${recent.ms.p99} ms — ${verdict(recent.ms.p99 <= 50)}`,
    `- 1-hour 1-minute bars p99 ≤ 100 ms: ${bars.ms.p99} ms — ${verdict(bars.ms.p99 <= 100)}`,
    `- 1-hour bars of every symbol over 24 h p99 ≤ 50 ms (issue 19): ${wide.ms.p99} ms — ${verdict(wide.ms.p99 <= 50)}`,
    `- latest trade per symbol p99 ≤ 50 ms (issue 19): ${latest.ms.p99} ms — ${verdict(latest.ms.p99 <= 50)}`,
    `- planning + tail ≤ 1.2× the read_parquet floor (p50 ratio), every query: worst ${worstRatio.ratioP50} (${worstRatio.name}) — ${verdict(worstRatio.ratioP50 <= 1.2)}`,
    `- freshness p99 ≤ 1 s: ${freshnessP99} ms — ${verdict(freshnessP99 <= 1000)}`,
  ]
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:query failed: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
