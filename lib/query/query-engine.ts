import { microsOf } from '../market/timestamp'
import * as path from 'node:path'
import { BIGINT, DuckDBInstance, HUGEINT, listValue, timestampTZValue, type DuckDBConnection, type DuckDBPreparedStatement, type DuckDBType, type DuckDBValue } from '@duckdb/node-api'
import type { Kafka } from 'kafkajs'
import type { Table } from 'apache-arrow'
import type { RecordSerde } from '../avro/index'
import { ErrorCode, WorkbenchError, errorMessage, isWorkbenchError, settleWithin } from '../errors/index'
import type { LoadedTable, RestCatalogClient } from '../iceberg/catalog-rest'
import { quoteIdent } from '../iceberg/duckdb-sql'
import { lakeFilesSql } from './lake-files'
import type { FileIO } from '../iceberg/file-io'
import { createManifestReader } from '../iceberg/manifest-io'
import type { ScanFilter } from '../iceberg/scan-filter'
import type { Schema, Snapshot, TableMetadata } from '../iceberg/spec-types'
import { quotesTable, tradesTable, type TableDesign } from '../iceberg/table-design'
import { currentSnapshot, schemaById } from '../iceberg/table-metadata'
import { columnNamesById, planScan } from '../iceberg/table-scan'
import type { Logger } from '../logger/index'
import type { Metrics } from '../metrics/index'
import { partialTableOffsets, tableOffsets, type SnapshotOffsets } from '../sink/snapshot-offsets'
import { createDataFileCache, type DataFileCache } from './file-cache'
import { createKafkaTail, type KafkaTail } from './kafka-tail'
import { marketTailStream } from './tail-streams'
import { arrowTableOf, columnsOfChunks, readChunks, rowsOfChunks, type QueryColumn, type QueryRow } from './query-result'
import { latestTradesTable, partialLatestSql } from '../rollup/latest-trades'
import { minuteBarsTable, partialBarsSql } from '../rollup/minute-bars'

/**
 * The query engine: SQL in DuckDB over the Iceberg tables `trades` and `quotes`, and, for reads
 * of the present, the Kafka tail the lake does not hold yet.
 *
 * For each table a query reads, the engine pins a snapshot S, plans the scan (only files that
 * survive partition and column-bound pruning are read, from a local cache of the immutable data
 * files), and — in hybrid mode — takes the read_committed high-water mark H of every partition
 * of the table's topic at query start, waits until its tail consumer has read up to H, and adds
 * the tail records at offsets [S's committed offsets, H). S holds exactly the records below its
 * offsets, so the union has no gap and no duplicate (docs/decisions.md, "Hybrid queries").
 * With the load shedder's deferred topics, the tail of each is read the same way from the
 * deferred offsets S records: shed records are visible before the sink backfills them, and
 * once only after (docs/decisions.md, "Shed data stays visible").
 * The SQL sees a view per table, with the table's columns and `_source` ('lake' or 'kafka').
 */
export interface QueryEngine {
  /**
   * Runs one SQL statement over the views `trades` and `quotes`. Values come in only as named
   * parameters (`$symbol`), never spliced into the text. Tables read are those named in
   * `options.tables`, else those the SQL mentions.
   */
  query<T extends QueryRow = QueryRow>(sql: string, options?: QueryOptions): Promise<QueryResult<T>>
  /**
   * The snapshots of a table, oldest first, with the Kafka offsets each holds. With `current`,
   * only the current one (none for an empty table), without loading the whole history.
   */
  snapshots(table: EngineTable, options?: { readonly current?: boolean }): Promise<SnapshotInfo[]>
  /** Reloads table metadata now (it is also refreshed in the background). */
  refresh(): Promise<void>
  /**
   * Where the tail of a table's hot topic (or its deferred topic) stands, and whether it reads or
   * rests for want of queries (undefined without Kafka, or without that topic).
   */
  tailPositions(table: EngineTable, topic?: 'hot' | 'deferred'): { next: ReadonlyMap<number, bigint>; kept: ReadonlyMap<number, bigint>; reading: boolean } | undefined
  /**
   * Whether a read of the present of `table` now is exact: always for the market tables; for a
   * rollup, when it exists and the engine reads the tail and still keeps it from the rollup's
   * offsets (a rollup far behind the trades is not kept for: read the trades instead).
   */
  readable(table: EngineTable): boolean
  readonly cache: DataFileCache
  close(): Promise<void>
}

/** The tables SQL can name: the market tables, and the rollups kept of the trades (D74). */
export type EngineTable = 'trades' | 'quotes' | 'bars_1m' | 'trades_latest'
export const engineTables: readonly EngineTable[] = ['trades', 'quotes', 'bars_1m', 'trades_latest']

/**
 * A table the rollup keeps of another's rows (docs/decisions.md, D74). Its snapshots hold the
 * source's records below their offsets, as partial rows; in hybrid reads the source topic's tail
 * past those offsets is aggregated the same way at query time. Its metadata is reloaded at most
 * every `derivedRefreshMs`: its offsets only bound what the tail keeps.
 */
interface DerivedTable {
  readonly from: EngineTable
  readonly design: TableDesign<unknown>
  /** The partial rows of source rows in `relation`, in the table's column order. */
  readonly tailSql: (relation: string) => string
}

const derivedTables: Readonly<Partial<Record<EngineTable, DerivedTable>>> = {
  bars_1m: { from: 'trades', design: minuteBarsTable as unknown as TableDesign<unknown>, tailSql: partialBarsSql },
  trades_latest: { from: 'trades', design: latestTradesTable as unknown as TableDesign<unknown>, tailSql: partialLatestSql },
}

const derivedRefreshMs = 5_000

/** A parameter value: strings, numbers, bigints (64-bit ids), booleans, Dates (as TIMESTAMPTZ), string lists, null. */
export type QueryParam = string | number | bigint | boolean | Date | null | readonly string[]

/** How one table is read. */
export interface TableRead {
  /** Rows wanted: prunes files (the SQL must still filter rows). */
  readonly filter?: ScanFilter
  /** Time travel: read this snapshot (no Kafka tail). */
  readonly snapshotId?: bigint
  /** Time travel: read the snapshot current at this time, ms since the epoch (no Kafka tail). */
  readonly asOfTimestampMs?: number
  /** Add the Kafka tail (default: true when reading the present and the engine has Kafka). */
  readonly tail?: boolean
}

export interface QueryOptions {
  readonly params?: Readonly<Record<string, QueryParam>>
  readonly tables?: Readonly<Partial<Record<EngineTable, TableRead>>>
  /** Default: the engine's timeoutMs. */
  readonly timeoutMs?: number
  /** Rows returned at most; more are cut off and `truncated` is set (default: the engine's maxRows). */
  readonly maxRows?: number
  /** A label for metrics (bounded set: the analytics function names, `sql`). */
  readonly kind?: string
}

/** Where a read of one table drew its rows from: the snapshot and, in hybrid mode, the tail. */
export interface ReadBoundary {
  /** `namespace.table`. */
  readonly table: string
  /** The pinned snapshot (undefined when the table has none yet). */
  readonly snapshotId: bigint | undefined
  readonly snapshotTimestampMs: number | undefined
  /** Data files read, and skipped by pruning. */
  readonly filesScanned: number
  readonly filesPruned: number
  /** Records in the files read (before the SQL's own filtering). */
  readonly lakeRecords: bigint
  /** Locations of the data files read. */
  readonly files: readonly string[]
  /** The tail read of the hot topic: offsets [from, to) per partition, and the records in that range. */
  readonly tail?: TailRead
  /** The same for the load shedder's deferred topic (records shed and not yet backfilled into the snapshot). */
  readonly deferredTail?: TailRead
}

/** A tail read of one topic: offsets [from, to) per partition, and the records in that range. */
export interface TailRead {
  readonly topic: string
  readonly from: Readonly<Record<number, bigint>>
  readonly to: Readonly<Record<number, bigint>>
  readonly records: number
}

export interface QueryResult<T extends QueryRow = QueryRow> {
  readonly rows: T[]
  readonly columns: QueryColumn[]
  /** True when the result had more than maxRows rows. */
  readonly truncated: boolean
  readonly boundaries: Readonly<Partial<Record<EngineTable, ReadBoundary>>>
  /** Milliseconds: planning (metadata, manifests, downloads; tables in parallel), then waiting for the tail to reach the high-water mark, then running the SQL. */
  readonly timings: { readonly planMs: number; readonly tailMs: number; readonly executeMs: number; readonly totalMs: number }
  /** The same rows as an Arrow table, at full precision (Decimal128, Int64, µs timestamps). */
  toArrow(): Table
}

/** A snapshot as `snapshots()` lists it. */
export interface SnapshotInfo {
  readonly snapshotId: bigint
  readonly parentId: bigint | undefined
  readonly timestampMs: number
  readonly operation: string
  readonly addedRecords: number
  readonly totalRecords: number
  readonly addedFiles: number
  readonly totalFiles: number
  /** Bytes of the live data files at this snapshot (Iceberg's `total-files-size`). */
  readonly totalFilesBytes: number
  readonly current: boolean
  /** Kafka offsets the table holds at this snapshot, per partition. */
  readonly offsets: Readonly<Record<number, bigint>>
  /** The same for the deferred topic (when the engine reads one; empty before the first backfill). */
  readonly deferredOffsets?: Readonly<Record<number, bigint>>
}

export interface QueryEngineOptions {
  /** Iceberg namespace of the tables (config.sink.namespace). */
  readonly namespace: string
  /** Iceberg table names, when not `trades` and `quotes`. */
  readonly tables?: Readonly<Partial<Record<EngineTable, string>>>
  /**
   * Topics feeding the tables: given (with deps.kafka and deps.serde), queries of the present are
   * hybrid. The deferred topics (the load shedder's, backfilled by the sink) are read as tail too.
   */
  readonly topics?: EngineTopics
  /** Folder of the data file cache. */
  readonly cacheDir: string
  /** Default 4 GiB. */
  readonly cacheMaxBytes?: number
  /** How often table metadata is reloaded in the background (default 1000 ms). */
  readonly refreshMs?: number
  /** The Kafka tail rests after this long with no query (default 60 000 ms; 0: it always reads). */
  readonly tailIdleMs?: number
  /**
   * The tail keeps records from a rollup's offsets while it lags its source by at most this many
   * records per topic (default 2,000,000); beyond, reads of it go to the source (D74).
   */
  readonly maxRollupLagRecords?: number
  /** Default per-query timeout (default 30 s). */
  readonly timeoutMs?: number
  /** Default row limit (default 1,000,000). */
  readonly maxRows?: number
  /** Queries at the same time; each has its own DuckDB connection (default 4). */
  readonly concurrency?: number
  /** DuckDB threads (default: all cores) and memory limit (default '2GB'). */
  readonly threads?: number
  readonly memoryLimit?: string
}

/** The Kafka topics of the tables: the hot ones, and the load shedder's deferred ones when there are. */
export interface EngineTopics {
  readonly trades: string
  readonly quotes: string
  readonly deferredTrades?: string
  readonly deferredQuotes?: string
}

export interface QueryEngineDeps {
  readonly catalog: RestCatalogClient
  readonly io: FileIO
  readonly logger: Logger
  readonly metrics?: Metrics
  /** For hybrid reads. */
  readonly kafka?: Kafka
  readonly serde?: RecordSerde
  /** Sees every SQL text the engine sends to DuckDB for queries (tests prove no value is spliced in; debugging). */
  readonly onSql?: (sql: string) => void
}

interface TableState {
  readonly name: EngineTable
  readonly icebergName: string
  readonly design: TableDesign<unknown>
  readonly derived: DerivedTable | undefined
  readonly topic: string | undefined
  readonly deferredTopic: string | undefined
  /** The table at its current snapshot only (`snapshots=refs`): time travel loads the whole history. */
  loaded: LoadedTable | undefined
  /** Offsets the table holds per topic at `loaded`'s current snapshot, set with it. */
  offsets: ReadonlyMap<string, SnapshotOffsets>
  loadedAt: number
}

interface Pin {
  readonly topic: string
  readonly offsets: SnapshotOffsets
}

/** Creates the engine; with topics, Kafka and a serde it starts the tail consumer (a few seconds). */
export async function createQueryEngine(options: QueryEngineOptions, deps: QueryEngineDeps): Promise<QueryEngine> {
  const log = deps.logger.child('query')
  const m = deps.metrics
  const refreshMs = options.refreshMs ?? 1000
  const defaultTimeout = options.timeoutMs ?? 30_000
  const defaultMaxRows = options.maxRows ?? 1_000_000
  const manifests = createManifestReader(deps.io)
  const cache = createDataFileCache({ io: deps.io, dir: options.cacheDir, maxBytes: options.cacheMaxBytes })
  /** Cache downloads already added to k2_query_cache_downloads_total. */
  let downloadsCounted = 0
  const duck = await DuckDBInstance.create(':memory:', {
    ...(options.threads ? { threads: String(options.threads) } : {}),
    memory_limit: options.memoryLimit ?? '2GB',
    // DuckDB plans an ASOF join whose probe side it estimates under this many rows as a nested
    // loop: with filtered inputs it underestimates (2,975 trades × 1,490 quotes took 100 ms, the
    // ASOF operator 10 ms; bench:peers asof_join).
    asof_loop_join_threshold: '0',
    temp_directory: path.join(options.cacheDir, 'duckdb-spill'),
  })

  const tables = new Map<EngineTable, TableState>()
  for (const name of engineTables) {
    const derived = derivedTables[name]
    const market = derived?.from ?? name
    const design = derived?.design ?? ((market === 'trades' ? tradesTable : quotesTable) as unknown as TableDesign<unknown>)
    const topic = market === 'trades' ? options.topics?.trades : market === 'quotes' ? options.topics?.quotes : undefined
    const deferredTopic = market === 'trades' ? options.topics?.deferredTrades : options.topics?.deferredQuotes
    tables.set(name, { name, icebergName: options.tables?.[name] ?? design.name, design, derived, topic, deferredTopic, loaded: undefined, offsets: new Map(), loadedAt: 0 })
  }
  const maxRollupLag = BigInt(options.maxRollupLagRecords ?? 2_000_000)
  /** Whether the tail keeps `t`'s records: a market table always, a rollup while it lags its source by at most maxRollupLag per topic. */
  const keptFor = (t: TableState): boolean => {
    if (!t.derived) return true
    const source = tables.get(t.derived.from)!
    return t.loaded !== undefined && topicsOf(t).every((topic) => lagRecords(source.offsets.get(topic) ?? new Map(), t.offsets.get(topic) ?? new Map()) <= maxRollupLag)
  }
  /** Per topic, the lowest offsets of the tables the tail keeps records for. */
  const keptFrom = (topic: string): Map<number, bigint> =>
    lowestOffsets([...tables.values()].filter((t) => topicsOf(t).includes(topic) && keptFor(t)).map((t) => t.offsets.get(topic) ?? new Map()))

  // One conditional GET per table and refresh: between commits the catalog answers 304 and the
  // client hands back the metadata it holds. The answer holds the current snapshot only: the
  // whole history of a table that keeps 6 h of commits is ~1 MB to parse after every commit, and
  // was the largest cost of a tail-reading API after the tail itself. Offsets come from that
  // snapshot, or from the ones known at its parent; the whole history is loaded only when a
  // commit without offsets (a foreign writer) hides them (partialTableOffsets).
  const load = async (t: TableState): Promise<void> => {
    if (t.derived && t.loaded && Date.now() - t.loadedAt < derivedRefreshMs) return
    const ns = [options.namespace]
    try {
      const before = t.loaded ? currentSnapshot(t.loaded.metadata) : undefined
      let loaded = await deps.catalog.loadTable(ns, t.icebergName, { snapshots: 'refs' })
      let offsets = new Map<string, SnapshotOffsets>()
      for (const topic of topicsOf(t)) {
        const known = before && t.loaded ? { snapshotId: before['snapshot-id'], offsets: t.offsets.get(topic) ?? new Map<number, bigint>() } : undefined
        const o = partialTableOffsets(loaded.metadata, topic, known)
        if (o === undefined) {
          loaded = await deps.catalog.loadTable(ns, t.icebergName)
          offsets = new Map(topicsOf(t).map((x) => [x, tableOffsets(loaded.metadata, x)]))
          break
        }
        offsets.set(topic, o)
      }
      t.loaded = loaded
      t.offsets = offsets
    } catch (err) {
      if (!isWorkbenchError(err, ErrorCode.NotFound)) throw err
      t.loaded = undefined
      t.offsets = new Map()
    }
    t.loadedAt = Date.now()
  }
  await Promise.all([...tables.values()].map(load))

  // Connections: one per query at a time, plus the tail's own.
  const pool: DuckDBConnection[] = []
  const idle: DuckDBConnection[] = []
  const queue: Array<(c: DuckDBConnection) => void> = []
  for (let i = 0; i < (options.concurrency ?? 4); i++) {
    const c = await duck.connect()
    pool.push(c)
    idle.push(c)
  }
  const acquire = (): Promise<DuckDBConnection> => {
    const c = idle.pop()
    if (c) return Promise.resolve(c)
    return new Promise((resolve) => queue.push(resolve))
  }
  const releaseConnection = (c: DuckDBConnection): void => {
    const next = queue.shift()
    if (next) next(c)
    else idle.push(c)
  }

  let tail: KafkaTail | undefined
  let tailConnection: DuckDBConnection | undefined
  const admin = deps.kafka && options.topics ? deps.kafka.admin() : undefined
  if (options.topics && deps.kafka && deps.serde && admin) {
    const serde = deps.serde
    tailConnection = await duck.connect()
    await admin.connect()
    tail = await createKafkaTail({
      connection: tailConnection,
      kafka: deps.kafka,
      logger: log,
      ...(options.tailIdleMs !== undefined ? { idleAfterMs: options.tailIdleMs } : {}),
      streams: [...tables.values()]
        .filter((t) => !t.derived)
        .flatMap((t) => topicsOf(t).map((topic) => marketTailStream(t.name as 'trades' | 'quotes', { topic, schema: tableSchema(t), start: keptFrom(topic), serde }))),
    })
    log.info('Kafka tail started', Object.fromEntries([...tables.values()].filter((t) => !t.derived).flatMap(topicsOf).map((topic) => [topic, describe(tail!.positions(topic).next)])))
  }

  // Pins: offsets of snapshots running queries read; the tail keeps everything from the lowest.
  const pins = new Set<Pin>()
  const trimTails = async (): Promise<void> => {
    if (!tail) return
    for (const t of tables.values()) {
      if (!t.loaded || t.derived) continue
      for (const topic of topicsOf(t)) {
        const target = trimTarget(keptFrom(topic), [...pins].filter((pin) => pin.topic === topic).map((pin) => pin.offsets))
        await tail.trim(topic, target)
        if (m) {
          const { next, kept } = tail.positions(topic)
          let n = 0n
          for (const [p, o] of next) n += o - (kept.get(p) ?? 0n)
          m.get('queryTailKept').labels(topic).set(Number(n))
        }
      }
    }
  }

  let closed = false
  let refreshing: Promise<void> | undefined
  let refreshedAt = performance.now()
  // With no query for tailIdleMs the engine rests along with its tail: metadata is reloaded every
  // restingRefreshMs (at most 10 s; trims follow the lake), and the next query reloads it first.
  const idleMs = options.tailIdleMs ?? 60_000
  const restingRefreshMs = Math.max(refreshMs, Math.min(10_000, idleMs))
  let lastQueryAt = performance.now()
  const resting = (): boolean => idleMs > 0 && performance.now() - lastQueryAt > idleMs
  const refresh = (): Promise<void> => {
    refreshing ??= (async () => {
      refreshedAt = performance.now()
      try {
        await Promise.all([...tables.values()].map(load))
        await trimTails()
      } finally {
        refreshing = undefined
      }
    })()
    return refreshing
  }
  const timer = setInterval(() => {
    if (closed || (resting() && performance.now() - refreshedAt < restingRefreshMs)) return
    refresh().catch((err: unknown) => log.warn('refreshing table metadata failed; queries use the last loaded snapshot', { error: errorMessage(err) }))
  }, refreshMs)
  timer.unref()

  function tableSchema(t: TableState): Schema {
    return t.loaded ? schemaById(t.loaded.metadata) : t.design.schema
  }

  /** The whole history (one 304 while it is unchanged), for time travel and the snapshot list. */
  const loadHistory = async (t: TableState): Promise<TableMetadata | undefined> => {
    try {
      return (await deps.catalog.loadTable([options.namespace], t.icebergName)).metadata
    } catch (err) {
      if (!isWorkbenchError(err, ErrorCode.NotFound)) throw err
      return undefined
    }
  }

  /** The metadata a read plans from: the current snapshot, or the whole history for time travel. */
  const metadataFor = async (t: TableState, read: TableRead): Promise<TableMetadata | undefined> => {
    if (read.snapshotId === undefined && read.asOfTimestampMs === undefined) return t.loaded?.metadata
    const meta = await loadHistory(t)
    if (!meta) throw new WorkbenchError(ErrorCode.NotFound, `table ${options.namespace}.${t.icebergName} does not exist: nothing to time-travel in`)
    return meta
  }

  const query = async <T extends QueryRow = QueryRow>(sql: string, qo: QueryOptions = {}): Promise<QueryResult<T>> => {
    if (closed) throw new WorkbenchError(ErrorCode.ConfigInvalid, 'the query engine is closed')
    const kind = qo.kind ?? 'sql'
    const started = performance.now()
    const timeoutMs = qo.timeoutMs ?? defaultTimeout
    const maxRows = qo.maxRows ?? defaultMaxRows
    if (!Number.isInteger(maxRows) || maxRows < 0) throw new WorkbenchError(ErrorCode.QueryInvalid, `maxRows must be a non-negative integer, not ${maxRows}`)
    // The first query after a rest reads the lake as fresh as a busy engine's (one 304 when unchanged).
    const wasResting = resting()
    lastQueryAt = performance.now()
    if (wasResting && performance.now() - refreshedAt > refreshMs) {
      await refresh().catch((err: unknown) => log.warn('refreshing table metadata failed; the query uses the last loaded snapshot', { error: errorMessage(err) }))
    }
    const reads = qo.tables ?? Object.fromEntries(engineTables.filter((n) => new RegExp(`\\b${n}\\b`, 'i').test(sql)).map((n) => [n, {}]))
    const params = qo.params ?? {}
    for (const k of Object.keys(params)) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new WorkbenchError(ErrorCode.QueryInvalid, `parameter name ${JSON.stringify(k)} is not an identifier`)
    const conn = await acquire()
    const heldFiles: string[] = []
    const heldPins: Pin[] = []
    const boundaries: Partial<Record<EngineTable, ReadBoundary>> = {}
    let planMs = 0
    let tailMs = 0
    const timer = setTimeout(() => conn.interrupt(), timeoutMs)
    try {
      // Pin every hybrid table's snapshot before any await: the tail then keeps the records from
      // the snapshot's offsets however far the background refresh moves on while this query runs.
      const prepared = (Object.entries(reads) as Array<[EngineTable, TableRead]>).map(([name, read]) => {
        const t = tables.get(name)
        if (!t) throw new WorkbenchError(ErrorCode.QueryInvalid, `no table ${name}: the engine reads ${engineTables.join(', ')}`)
        const travelling = read.snapshotId !== undefined || read.asOfTimestampMs !== undefined
        if (read.tail === true && travelling) throw new WorkbenchError(ErrorCode.QueryInvalid, `table ${name}: a time-travel read has no Kafka tail (tail: true with a snapshot)`)
        const hybrid = (read.tail ?? true) && !travelling && tail !== undefined && t.topic !== undefined
        let pinnedSnapshot: Snapshot | undefined
        const meta = t.loaded?.metadata
        const froms: Pin[] = []
        if (hybrid && t.derived && !tailHolds(t)) {
          throw new WorkbenchError(ErrorCode.Conflict, `${t.icebergName} lags ${t.derived.from} too far (or does not exist yet) for the Kafka tail this engine keeps to complete it: read ${t.derived.from} instead`)
        }
        if (hybrid) {
          pinnedSnapshot = meta ? currentSnapshot(meta) : undefined
          for (const topic of topicsOf(t)) {
            const pin: Pin = { topic, offsets: t.offsets.get(topic) ?? new Map() }
            pins.add(pin)
            heldPins.push(pin)
            froms.push(pin)
          }
        }
        return { name, read, t, hybrid, froms, pinnedSnapshot, meta }
      })
      // Then, for all tables at once: plan and fetch the files, and take the high-water marks.
      const planStart = performance.now()
      const settled = await Promise.allSettled(
        prepared.map(async ({ name, read, t, hybrid, froms, pinnedSnapshot, meta }) => {
          // The high-water marks of the hot and the deferred topic, taken together at query start.
          const highWaters = froms.map(({ topic }) => admin!.fetchTopicOffsets(topic))
          for (const h of highWaters) h.catch(() => undefined)
          const metadata = hybrid ? meta : await metadataFor(t, read)
          const plan =
            metadata && (!hybrid || pinnedSnapshot)
              ? await planScan({ metadata, io: deps.io, manifests }, { snapshotId: hybrid ? pinnedSnapshot?.['snapshot-id'] : read.snapshotId, asOfTimestampMs: read.asOfTimestampMs, filter: read.filter })
              : { snapshot: undefined, schema: metadata ? schemaById(metadata) : t.design.schema, files: [], stats: { manifestsTotal: 0, manifestsPruned: 0, filesTotal: 0, filesPruned: 0 } }
          const locations = plan.files.map((f) => f.path)
          const local = await cache.acquire(locations)
          heldFiles.push(...locations)
          const planned = performance.now()
          const tails = hybrid ? await readTails(tail!, froms, highWaters, timeoutMs) : undefined
          if (tails) m?.get('queryTailRecords').labels(name).inc(tails.reads.reduce((n, r) => n + r.records, 0))
          return { name, t, plan, metadata, locations, local, tails, planMs: planned - planStart, tailMs: performance.now() - planned }
        }),
      )
      // Settled, not raced: every table's files are held (and released below) even when one fails.
      const planned = settled.map((r) => {
        if (r.status === 'rejected') throw r.reason
        return r.value
      })
      for (const { name, t, plan, metadata, locations, local, tails, planMs: p, tailMs: w } of planned) {
        planMs = Math.max(planMs, p)
        tailMs = Math.max(tailMs, w)
        const names = columnNamesById(plan.schema)
        const columns = plan.schema.fields.map((f) => quoteIdent(names.get(f.id) ?? f.name))
        const lake = `SELECT ${columns.join(', ')}, 'lake' AS _source FROM (${await lakeFilesSql(conn, plan, local, metadata)})`
        const tailRows = tails && t.derived ? t.derived.tailSql(`(${tails.sql})`) : tails?.sql
        const view = tails ? `${lake} UNION ALL SELECT ${columns.join(', ')}, 'kafka' AS _source FROM (${tailRows})` : lake
        const createView = `CREATE OR REPLACE TEMP VIEW ${name} AS ${view}`
        deps.onSql?.(createView)
        await conn.run(createView)
        boundaries[name] = {
          table: `${options.namespace}.${t.icebergName}`,
          snapshotId: plan.snapshot?.['snapshot-id'],
          snapshotTimestampMs: plan.snapshot?.['timestamp-ms'],
          filesScanned: plan.files.length,
          filesPruned: plan.stats.filesPruned + plan.stats.manifestsPruned,
          lakeRecords: plan.files.reduce((a, f) => a + f.recordCount, 0n),
          files: locations,
          ...(tails?.reads[0] ? { tail: tails.reads[0] } : {}),
          ...(tails?.reads[1] ? { deferredTail: tails.reads[1] } : {}),
        }
        m?.get('queryFilesScanned').labels(name).inc(plan.files.length)
        m?.get('queryFilesPruned').labels(name).inc(plan.stats.filesPruned)
      }

      const execStart = performance.now()
      let result
      let read
      try {
        deps.onSql?.(sql)
        const statement = await conn.prepare(sql)
        bindParameters(statement, params)
        result = await statement.run()
        read = await readChunks(result, maxRows)
      } catch (err) {
        const message = errorMessage(err)
        if (/interrupt/i.test(message)) throw new WorkbenchError(ErrorCode.Timeout, `the query ran longer than ${timeoutMs} ms and was stopped`, true)
        throw new WorkbenchError(ErrorCode.QueryInvalid, `DuckDB refused the query: ${message}`, false, { cause: err })
      }
      const executeMs = performance.now() - execStart
      const count = Math.min(read.rows, maxRows)
      const names = result.deduplicatedColumnNames()
      const types = result.columnTypes()
      const rows = rowsOfChunks(names, types, read.chunks, count) as T[]
      const chunks = read.chunks
      const totalMs = performance.now() - started
      m?.get('queryDuration').labels(kind).observe(totalMs / 1000)
      return {
        rows,
        columns: names.map((n, i) => ({ name: n, type: types[i]!.toString() })),
        truncated: read.rows > maxRows,
        boundaries,
        timings: { planMs, tailMs, executeMs, totalMs },
        toArrow: () => arrowTableOf(names, types, columnsOfChunks(chunks, names.length), count),
      }
    } catch (err) {
      m?.get('queryErrors').labels(isWorkbenchError(err) ? err.code : 'INTERNAL').inc()
      throw err
    } finally {
      clearTimeout(timer)
      for (const pin of heldPins) pins.delete(pin)
      cache.release(heldFiles)
      releaseConnection(conn)
      if (m) {
        m.get('queryCacheBytes').set(cache.stats.bytes)
        const downloads = cache.stats.downloads
        if (downloads > downloadsCounted) m.get('queryCacheDownloads').inc(downloads - downloadsCounted)
        downloadsCounted = downloads
      }
    }
  }

  /** Whether the tail still holds every record from a rollup's offsets (it exists, and reads were kept for it). */
  function tailHolds(t: TableState): boolean {
    if (!tail || !t.loaded || !currentSnapshot(t.loaded.metadata)) return false
    return topicsOf(t).every((topic) => {
      const kept = tail!.positions(topic).kept
      const from = t.offsets.get(topic) ?? new Map<number, bigint>()
      return [...kept].every(([p, k]) => (from.get(p) ?? 0n) >= k)
    })
  }

  return {
    query,
    cache,
    refresh,
    readable(name) {
      const t = tables.get(name)
      if (!t) return false
      return !t.derived || (keptFor(t) && tailHolds(t))
    },
    tailPositions(name, which = 'hot') {
      const t = tables.get(name)
      const topic = which === 'hot' ? t?.topic : t?.deferredTopic
      return tail && topic ? tail.positions(topic) : undefined
    },
    async snapshots(name, so = {}) {
      const t = tables.get(name)
      if (!t) throw new WorkbenchError(ErrorCode.QueryInvalid, `no table ${name}: the engine reads ${engineTables.join(', ')}`)
      // The current snapshot too, so that a query right after this list reads at least its newest.
      const [meta] = so.current ? [(await load(t), t.loaded?.metadata)] : await Promise.all([loadHistory(t), load(t)])
      if (!meta) return []
      const current = currentSnapshot(meta)?.['snapshot-id']
      // The current snapshot's offsets are those the engine reads it with (its metadata holds no parents to fill gaps from).
      const offsetsAt = (topic: string, s: Snapshot): SnapshotOffsets => (so.current ? (t.offsets.get(topic) ?? new Map()) : tableOffsets(meta, topic, s))
      return [...meta.snapshots]
        .filter((s) => !so.current || s['snapshot-id'] === current)
        .sort((a, b) => a['timestamp-ms'] - b['timestamp-ms'])
        .map((s) => ({
          snapshotId: s['snapshot-id'],
          parentId: s['parent-snapshot-id'],
          timestampMs: s['timestamp-ms'],
          operation: s.summary.operation,
          addedRecords: Number(s.summary['added-records'] ?? 0),
          totalRecords: Number(s.summary['total-records'] ?? 0),
          addedFiles: Number(s.summary['added-data-files'] ?? 0),
          totalFiles: Number(s.summary['total-data-files'] ?? 0),
          totalFilesBytes: Number(s.summary['total-files-size'] ?? 0),
          current: s['snapshot-id'] === current,
          offsets: t.topic ? Object.fromEntries(offsetsAt(t.topic, s)) : {},
          ...(t.deferredTopic ? { deferredOffsets: Object.fromEntries(offsetsAt(t.deferredTopic, s)) } : {}),
        }))
    },
    async close() {
      if (closed) return
      closed = true
      clearInterval(timer)
      // A refresh stuck on the catalog or the broker must not hold the close (it ends with the connections).
      if (refreshing) await settleWithin(refreshing, 15_000)
      await tail?.close()
      if (admin) await settleWithin(admin.disconnect(), 5000)
      for (const c of [...pool, ...(tailConnection ? [tailConnection] : [])]) c.closeSync()
      duck.closeSync()
    },
  }
}

/**
 * Binds named parameters to a prepared statement, those it uses only: Dates as TIMESTAMPTZ (µs; a
 * Timestamp keeps its own µs),
 * bigints as BIGINT (HUGEINT beyond 64 bits), string lists as VARCHAR[], the rest as DuckDB
 * infers. Throws QUERY_INVALID for an invalid Date.
 */
export function bindParameters(prepared: DuckDBPreparedStatement, params: Readonly<Record<string, QueryParam | undefined>>): void {
  const values: Record<string, DuckDBValue> = {}
  const types: Record<string, DuckDBType> = {}
  for (let i = 1; i <= prepared.parameterCount; i++) {
    const name = prepared.parameterName(i)
    if (!(name in params)) continue
    const v = params[name]
    if (v instanceof Date) {
      if (Number.isNaN(v.getTime())) throw new WorkbenchError(ErrorCode.QueryInvalid, `parameter $${name} is an invalid Date`)
      values[name] = timestampTZValue(microsOf(v)) // to the µs for a Timestamp
    } else if (Array.isArray(v)) {
      values[name] = listValue(v.map(String))
    } else if (typeof v === 'bigint') {
      // 64-bit ids and µs stay BIGINT (DuckDB would otherwise bind a bigint as HUGEINT).
      values[name] = v
      types[name] = v >= -(2n ** 63n) && v < 2n ** 63n ? BIGINT : HUGEINT
    } else values[name] = (v ?? null) as DuckDBValue
  }
  prepared.bind(values, types)
}

/** Records between `to` and `from` (`to` ahead), summed over partitions; a partition `from` lacks counts from 0. */
export function lagRecords(to: SnapshotOffsets, from: SnapshotOffsets): bigint {
  let n = 0n
  for (const [p, o] of to) {
    const d = o - (from.get(p) ?? 0n)
    if (d > 0n) n += d
  }
  return n
}

/** Per partition, the lowest of `offsets` (a partition one of them lacks is at 0 there). */
export function lowestOffsets(offsets: readonly SnapshotOffsets[]): Map<number, bigint> {
  const out = new Map<number, bigint>()
  const partitions = new Set(offsets.flatMap((o) => [...o.keys()]))
  for (const p of partitions) out.set(p, offsets.reduce((lo, o) => { const v = o.get(p) ?? 0n; return v < lo ? v : lo }, offsets[0]?.get(p) ?? 0n))
  return out
}

/** The topics whose tail a table reads: its hot topic, then its deferred one. */
function topicsOf(t: { readonly topic: string | undefined; readonly deferredTopic: string | undefined }): string[] {
  return t.topic === undefined ? [] : t.deferredTopic === undefined ? [t.topic] : [t.topic, t.deferredTopic]
}

/**
 * Where the tail of a topic can be trimmed to: the current snapshot's offsets, lowered to those
 * of any snapshot a running query pinned (a partition a pin does not name is pinned at 0).
 */
export function trimTarget(current: SnapshotOffsets, pinned: readonly SnapshotOffsets[]): Map<number, bigint> {
  const target = new Map(current)
  for (const pin of pinned) {
    for (const [p, o] of target) {
      const at = pin.get(p) ?? 0n
      if (at < o) target.set(p, at)
    }
  }
  return target
}

/**
 * The tail reads of one table, per topic (hot first, then deferred): offsets [the pinned
 * snapshot's, the high-water mark at query start), once the tail has reached the mark, and the
 * SQL selecting all of them.
 */
async function readTails(
  tail: KafkaTail,
  froms: readonly Pin[],
  highWaters: ReadonlyArray<Promise<Array<{ partition: number; high: string }>>>,
  timeoutMs: number,
): Promise<{ sql: string; reads: TailRead[] }> {
  const reads: TailRead[] = []
  const sqls: string[] = []
  for (const [i, { topic, offsets: from }] of froms.entries()) {
    const to = new Map<number, bigint>()
    for (const p of await highWaters[i]!) to.set(p.partition, BigInt(p.high))
    await tail.waitFor(topic, to, timeoutMs)
    sqls.push(tail.selectSql(topic, from, to))
    reads.push({ topic, from: Object.fromEntries([...to.keys()].map((p) => [p, from.get(p) ?? 0n])), to: Object.fromEntries(to), records: tail.count(topic, from, to) })
  }
  return { sql: sqls.join(' UNION ALL '), reads }
}

function describe(offsets: ReadonlyMap<number, bigint>): string {
  return [...offsets].map(([p, o]) => `${p}:${o}`).join(',') || 'nothing'
}

