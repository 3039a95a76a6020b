import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs'
import {
  EntryStatus,
  createRecordSerde,
  createRestCatalogClient,
  createSchemaRegistryClient,
  createWarehouseFileIO,
  ensureTopics,
  createMetrics,
  runIcebergSink,
  silentLogger,
  type IcebergSinkOptions,
  type Logger,
  type SinkReport,
  type SchemaRegistryClient,
  type WorkbenchConfig,
  createManifestReader,
  currentSnapshot,
  type FileIO,
  type Quote,
  type RecordSerde,
  type RestCatalogClient,
  type TableMetadata,
  type Snapshot,
  type Trade,
  type Queryable,
  type QueryResult,
  analytics,
  bindParameters,
  duckdbType,
  mergedBarsSql,
  readParquetByFieldId,
  rollupSourceOf,
  schemaById,
  latestTradesRollup,
  minuteBarsRollup,
  runRollup,
  type TableHandle,
} from '../../lib/internal'
import { FatalError, dropTopics, scratchDir, stackConfig, uniqueName } from './helpers'

/** `count` trades per symbol with consecutive ids from `firstId`, one ms apart, exact prices. */
export function makeTrades(symbols: readonly string[], count: number, firstId = 1, startMicros = BigInt(Date.UTC(2026, 10, 22)) * 1000n): Trade[] {
  const out: Trade[] = []
  let seq = 0n
  for (let i = 0; i < count; i++) {
    for (const [k, symbol] of symbols.entries()) {
      const id = BigInt(firstId + i)
      out.push({
        messageId: `BINANCE:${symbol}:${id}`,
        tradeId: id,
        symbol,
        exchange: 'BINANCE',
        assetClass: 'crypto',
        timestampMicros: startMicros + BigInt(i) * 1000n + BigInt(k),
        price: `${100 + k}.${String(i % 100).padStart(2, '0')}000000`,
        quantity: `0.${String((i % 997) + 1).padStart(3, '0')}00000`,
        currency: 'USDT',
        side: i % 2 ? 'BUY' : 'SELL',
        tradeConditions: [],
        sourceSequence: id,
        ingestionTimestampMicros: startMicros + BigInt(i) * 1000n + 500n,
        platformSequence: seq++,
        vendorData: {},
      })
    }
  }
  return out
}

/** A few quotes per symbol. */
export function makeQuotes(symbols: readonly string[], count: number, startMicros = BigInt(Date.UTC(2026, 10, 22)) * 1000n): Quote[] {
  const out: Quote[] = []
  for (let i = 0; i < count; i++) {
    for (const [k, symbol] of symbols.entries()) {
      out.push({
        messageId: `BINANCE:${symbol}:${i + 1}`,
        updateId: BigInt(i + 1),
        symbol,
        exchange: 'BINANCE',
        assetClass: 'crypto',
        timestampMicros: startMicros + BigInt(i) * 1000n + BigInt(k),
        bidPrice: `${100 + k}.00000000`,
        bidSize: '1.50000000',
        askPrice: `${100 + k}.01000000`,
        askSize: '2.25000000',
        currency: 'USDT',
        ingestionTimestampMicros: startMicros + BigInt(i) * 1000n + 500n,
        platformSequence: BigInt(i),
        vendorData: {},
      })
    }
  }
  return out
}

/** Produces records keyed by symbol (so each symbol stays in one partition, in order). */
export async function produceRecords(kafka: Kafka, topic: string, records: ReadonlyArray<{ key: string; value: Buffer; headers?: Record<string, string> }>): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  try {
    for (let i = 0; i < records.length; i += 5000) {
      await producer.send({ topic, acks: -1, messages: records.slice(i, i + 5000).map((r) => ({ key: r.key, value: r.value, headers: r.headers })) })
    }
  } finally {
    await producer.disconnect()
  }
}

export async function produceTrades(kafka: Kafka, serde: RecordSerde, topic: string, trades: readonly Trade[]): Promise<void> {
  await produceRecords(
    kafka,
    topic,
    trades.map((t) => ({ key: t.symbol, value: serde.serializeTrade(t) })),
  )
}

/**
 * Produces trades as the ingest worker does (pipelines/ingest.ts): each call one Kafka
 * transaction holding the trades and, in a compacted checkpoint topic, the last trade id per
 * symbol. Every transaction leaves a commit marker in each partition it wrote, so offsets have
 * gaps that readers (the sink, the tail, the hybrid boundary) must step over.
 *
 * Returns once the trades are visible to read_committed readers: the commit returns when the
 * coordinator has logged it, and the markers that make the records readable follow a moment
 * later, so "acknowledged" and "readable" differ by that moment. Each symbol goes to one
 * partition (its index in `symbols` modulo the partition count), so the offsets to wait for are
 * known.
 */
export async function produceTradesTransactional(kafka: Kafka, serde: RecordSerde, topic: string, checkpointTopic: string, trades: readonly Trade[], producer: Producer, admin: Admin, symbols: readonly string[], partitions: number): Promise<void> {
  const last = new Map<string, bigint>()
  for (const t of trades) if ((last.get(t.symbol) ?? -1n) < t.tradeId) last.set(t.symbol, t.tradeId)
  const partitionOf = (symbol: string): number => symbols.indexOf(symbol) % partitions
  const counts = new Map<number, number>()
  for (const t of trades) counts.set(partitionOf(t.symbol), (counts.get(partitionOf(t.symbol)) ?? 0) + 1)
  const tx = await producer.transaction()
  let written
  try {
    written = await tx.send({ topic, acks: -1, messages: trades.map((t) => ({ key: t.symbol, partition: partitionOf(t.symbol), value: serde.serializeTrade(t) })) })
    await tx.send({ topic: checkpointTopic, acks: -1, messages: [...last].map(([symbol, id]) => ({ key: symbol, value: JSON.stringify({ trade_id: id.toString() }) })) })
    await tx.commit()
  } catch (err) {
    await tx.abort().catch(() => undefined)
    throw err
  }
  // The last stable offset (ListOffsets at READ_COMMITTED) passes each partition's last record.
  const need = new Map(written.filter((w) => w.topicName === topic).map((w) => [w.partition, BigInt(w.baseOffset ?? '0') + BigInt(counts.get(w.partition) ?? 0)]))
  const deadline = Date.now() + 30_000
  for (;;) {
    const lso = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]))
    if ([...need].every(([p, end]) => (lso.get(p) ?? 0n) >= end)) return
    if (Date.now() > deadline) throw new Error(`a committed transaction on ${topic} was not readable after 30 s (last stable offsets ${JSON.stringify(Object.fromEntries([...lso].map(([p, o]) => [p, String(o)])))})`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Files of a snapshot (default: the current one), read through the manifests (independently of the reader under test). */
export async function liveDataFiles(io: FileIO, metadata: TableMetadata, snap: Snapshot | undefined = currentSnapshot(metadata)): Promise<Array<{ path: string; records: bigint }>> {
  if (!snap) return []
  const reader = createManifestReader(io)
  const out: Array<{ path: string; records: bigint }> = []
  for (const m of await reader.manifestList(snap)) {
    for (const e of await reader.entries(m)) if (e.status !== EntryStatus.Deleted) out.push({ path: e.dataFile.filePath, records: e.dataFile.recordCount })
  }
  return out
}

/**
 * Runs `sql` over a view `t` of every live data file of the table's current snapshot (downloaded
 * to a temporary folder): what a user would see reading the table.
 */
export async function queryTable<T = Record<string, unknown>>(catalog: RestCatalogClient, io: FileIO, namespace: string, table: string, sql: string): Promise<T[]> {
  const { metadata } = await catalog.loadTable([namespace], table)
  const files = await liveDataFiles(io, metadata)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-lake-'))
  const duck = await DuckDBInstance.create(':memory:')
  const c = await duck.connect()
  try {
    const local: string[] = []
    for (const [i, f] of files.entries()) {
      const p = path.join(dir, `${i}.parquet`)
      fs.writeFileSync(p, await io.read(f.path))
      local.push(p)
    }
    if (local.length === 0) return []
    await c.run(`CREATE VIEW t AS SELECT * FROM read_parquet([${local.map((p) => `'${p}'`).join(', ')}])`)
    return (await c.runAndReadAll(sql)).getRowObjectsJS() as T[]
  } finally {
    c.closeSync()
    duck.closeSync()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Records the table's current snapshot holds (undefined while the table does not exist). */
export async function tableRecords(catalog: RestCatalogClient, namespace: string, table: string): Promise<number | undefined> {
  if (!(await catalog.tableExists([namespace], table))) return undefined
  const snap = currentSnapshot((await catalog.loadTable([namespace], table)).metadata)
  return snap ? Number(snap.summary['total-records']) : 0
}

/** Drops the test's tables (with their files) and namespace. */
export async function dropLake(catalog: RestCatalogClient, namespace: string, tables: readonly string[]): Promise<void> {
  for (const t of tables) await catalog.dropTable([namespace], t, true).catch(() => undefined)
  await catalog.dropNamespace([namespace]).catch(() => undefined)
}

/** What a lake integration test works with: clients of the running stack, and its own namespace and topics. */
export interface LakeTestContext {
  readonly config: WorkbenchConfig
  readonly kafka: Kafka
  readonly registry: SchemaRegistryClient
  readonly serde: RecordSerde
  readonly catalog: RestCatalogClient
  readonly io: FileIO
  /** `<name>_<unique>`: the test's Iceberg namespace. */
  readonly namespace: string
  /** The test's own topics (unique names). */
  readonly topics: { readonly trades: string; readonly quotes: string; readonly deadLetter: string }
  /** Creates the topics (trades and quotes with `partitions` each, dead letters with 1) and registers the schemas. */
  setup(partitions?: number): Promise<void>
  /** Drops the tables, the namespace, the topics and their subjects; closes the object store. */
  teardown(): Promise<void>
}

export function createLakeTestContext(name: string): LakeTestContext {
  const config = stackConfig()
  const kafka = new Kafka({ clientId: `k2-test-${name}`, brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
  const registry = createSchemaRegistryClient({ url: config.schemaRegistry.url })
  const serde = createRecordSerde({ registry })
  const catalog = createRestCatalogClient({ url: config.catalog.url })
  const io = createWarehouseFileIO(config)
  const namespace = uniqueName(name, '_')
  const topics = { trades: uniqueName('trades'), quotes: uniqueName('quotes'), deadLetter: uniqueName('dead') }
  return {
    config,
    kafka,
    registry,
    serde,
    catalog,
    io,
    namespace,
    topics,
    async setup(partitions = 3) {
      const admin = kafka.admin()
      await admin.connect()
      try {
        await ensureTopics(admin, [
          { topic: topics.trades, partitions },
          { topic: topics.quotes, partitions },
          { topic: topics.deadLetter, partitions: 1 },
        ])
      } finally {
        await admin.disconnect()
      }
      await serde.registerSchemas(topics)
    },
    async teardown() {
      await dropLake(catalog, namespace, ['trades', 'quotes', 'trades_bars_1m', 'trades_latest'])
      await dropTopics(kafka, Object.values(topics), registry)
      io.close()
    },
  }
}

/** A sink running in the test's process: `alive()` throws its error once it has stopped (a test fails at once, not at its timeout). */
export interface TestSink {
  readonly alive: () => void
  /** Stops it; resolves with its report. */
  readonly stop: () => Promise<SinkReport>
}

/** Runs the Iceberg sink in this process on the lake's clients until `stop()`. */
export function startTestSink(lake: Pick<LakeTestContext, 'kafka' | 'catalog' | 'io' | 'serde'>, options: IcebergSinkOptions, logger: Logger = silentLogger): TestSink {
  const abort = new AbortController()
  let failure: unknown
  const run = runIcebergSink(options, { kafka: lake.kafka, catalog: lake.catalog, io: lake.io, serde: lake.serde, logger, metrics: createMetrics() }, abort.signal)
  run.catch((err: unknown) => (failure = err))
  return {
    alive: () => {
      if (failure) throw new FatalError(`the sink stopped: ${String(failure)}`, { cause: failure })
    },
    stop: () => {
      abort.abort()
      return run
    },
  }
}

/** The rollups (minute bars, latest trades) of `namespace`'s trades, kept as the maintenance worker keeps them, until stopped. */
export function startTestRollup(lake: Pick<LakeTestContext, 'catalog' | 'io'>, namespace: string): { stop: () => Promise<void> } {
  const manifests = createManifestReader(lake.io)
  const table = (name: string): TableHandle => ({ catalog: lake.catalog, io: lake.io, namespace: [namespace], name, manifests })
  const abort = new AbortController()
  const run = runRollup(
    { namespace, source: 'trades', designs: [minuteBarsRollup, latestTradesRollup], intervalMs: 200, maxAppends: 50, workDir: scratchDir('rollup-work') },
    { table, logger: silentLogger, metrics: createMetrics() },
    abort.signal,
  )
  return {
    stop: async () => {
      abort.abort()
      await run
    },
  }
}

/** Bars and latest trades two ways: from the rollups as they stand, and from the trades at the source snapshot they hold. */
export interface RollupComparison {
  /** The trades snapshot the rollups hold (both must hold the same one for the latest check). */
  readonly sourceSnapshotId: bigint
  readonly trades: number
  /** Per interval: bars() over the trades, and the rollup's partials merged. */
  readonly bars: ReadonlyArray<{ readonly interval: string; readonly fromTrades: unknown[]; readonly fromRollup: unknown[] }>
  readonly latest: { readonly fromTrades: unknown[]; readonly fromRollup: unknown[] }
}

/**
 * Reads `trades_bars_1m` and `trades_latest` at their current snapshots, and the trades at the
 * source snapshot the bars rollup names, each through its own manifests into DuckDB, and answers
 * the same questions from both: bars at `intervals` over every minute the trades hold, and the
 * latest trade per symbol (the latter only when the latest rollup names the same snapshot).
 */
export async function compareRollupsWithTrades(catalog: RestCatalogClient, io: FileIO, namespace: string, intervals: readonly string[] = ['1m', '5m', '1h']): Promise<RollupComparison> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-rollup-'))
  const duck = await DuckDBInstance.create(':memory:')
  const c = await duck.connect()
  const view = async (table: string, name: string, snapshotId?: bigint): Promise<bigint | undefined> => {
    const { metadata } = await catalog.loadTable([namespace], table)
    const snap = snapshotId === undefined ? currentSnapshot(metadata) : metadata.snapshots.find((s) => s['snapshot-id'] === snapshotId)
    if (!snap) throw new Error(`${namespace}.${table} has no snapshot ${String(snapshotId ?? 'current')}`)
    const local: string[] = []
    for (const f of await liveDataFiles(io, metadata, snap)) {
      const p = path.join(dir, `${name}-${local.length}.parquet`)
      fs.writeFileSync(p, await io.read(f.path))
      local.push(p)
    }
    const schema = schemaById(metadata, snap['schema-id'])
    await c.run(`CREATE OR REPLACE VIEW ${name} AS SELECT * FROM ${local.length ? readParquetByFieldId(local, schema) : `(SELECT ${schema.fields.map((f) => `CAST(NULL AS ${duckdbType(f.type)}) AS "${f.name}"`).join(', ')} WHERE false)`}`)
    return rollupSourceOf(snap)
  }
  const queryable: Queryable = {
    query: (async (sql: string, options: { params?: Record<string, unknown> } = {}) => {
      const prepared = await c.prepare(sql)
      bindParameters(prepared, (options.params ?? {}) as never)
      return { rows: (await prepared.runAndReadAll()).getRowObjectsJson() } as unknown as QueryResult
    }) as Queryable['query'],
  }
  try {
    const held = await view('trades_bars_1m', 'bars_1m')
    const heldLatest = await view('trades_latest', 'latest')
    if (held === undefined) throw new Error(`${namespace}.trades_bars_1m names no source snapshot`)
    await view('trades', 'trades', held)
    const [span] = (await c.runAndReadAll('SELECT min(event_time) AS lo, max(event_time) AS hi, count(*)::BIGINT AS n FROM trades')).getRowObjectsJS() as Array<{ lo: Date; hi: Date; n: bigint }>
    const from = new Date(Math.floor(span!.lo.getTime() / 3_600_000) * 3_600_000)
    const to = new Date(Math.ceil((span!.hi.getTime() + 1) / 3_600_000) * 3_600_000)
    const bars = []
    for (const interval of intervals) {
      const step = analytics.parseInterval(interval)
      const fromTrades = (await analytics.bars(queryable, { from, to, interval, limit: 10_000_000 })).rows
      const prepared = await c.prepare(mergedBarsSql('bars_1m', ['minute >= $from', 'minute < $to']))
      bindParameters(prepared, { from, to, step, limit: 10_000_000 })
      bars.push({ interval, fromTrades, fromRollup: (await prepared.runAndReadAll()).getRowObjectsJson() })
    }
    const latestSql = (table: string): string => `SELECT symbol, max(trade_id) AS id, arg_max(price, trade_id) AS price, arg_max(quantity, trade_id) AS quantity, arg_max(event_time, trade_id) AS t FROM ${table} GROUP BY symbol ORDER BY symbol`
    const latest =
      heldLatest === held
        ? { fromTrades: (await c.runAndReadAll(latestSql('trades'))).getRowObjectsJson(), fromRollup: (await c.runAndReadAll(latestSql('latest'))).getRowObjectsJson() }
        : { fromTrades: [], fromRollup: [] }
    return { sourceSnapshotId: held, trades: Number(span!.n), bars, latest }
  } finally {
    c.closeSync()
    duck.closeSync()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
