import * as path from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import type { Admin } from 'kafkajs'
import { createHighWaterMarks, type HighWaterMarks } from '../kafka/high-water-marks'
import { ErrorCode, WorkbenchError, isWorkbenchError, settleWithin } from '../errors/index'
import type { Schema } from '../iceberg/spec-types'
import type { Logger } from '../logger/index'
import { createManifestReader } from '../iceberg/manifest-io'
import { schemaById } from '../iceberg/table-metadata'
import { createConnectionPool } from './connection-pool'
import { createRefreshLoop } from './engine-refresh'
import { createTableStates, tableKeeping, topicsOf, type TableState } from './engine-tables'
import { engineTables, type EngineTable, type LatestIndexRequest, type QueryEngine, type QueryEngineDeps, type QueryEngineOptions, type QueryOptions, type QueryResult } from './engine-types'
import { createDataFileCache } from './file-cache'
import { createKafkaTail, type KafkaTail } from './kafka-tail'
import { createLakeSlices } from './lake-slices'
import { createLatestIndexes } from './latest-read'
import type { QueryRow } from './query-result'
import { runQuery, type QueryContext, type QueryHolds } from './query-run'
import { createTableLoader, listSnapshots } from './table-loader'
import { createTailPins } from './tail-pins'
import { marketTailStream } from './tail-streams'

// The engine's contract and option types live in engine-types.ts (its parts import them without
// importing the engine); they are re-exported here, where callers have always found them.
export { engineTables } from './engine-types'
export type { EngineTable, EngineTopics, LatestIndexRequest, QueryEngine, QueryEngineDeps, QueryEngineOptions, QueryOptions, QueryParam, QueryResult, ReadBoundary, SnapshotInfo, TableRead, TailRead } from './engine-types'
export { bindParameters } from './query-parameters'
export { lagRecords, lowestOffsets } from './engine-tables'
export { trimTarget } from './tail-pins'

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

  const tables = createTableStates(options)
  const keeping = tableKeeping(tables, BigInt(options.maxRollupLagRecords ?? 2_000_000))
  const loader = createTableLoader(deps.catalog, options.namespace)
  await Promise.all([...tables.values()].map(loader.load))

  // Connections: one per query at a time, plus the tail's own.
  const pool = await createConnectionPool(duck, options.concurrency ?? 4)
  // Each query opened every file's footer again; the engine's files never change under a path (a
  // data file is immutable, the cache names its copy by it), and DuckDB re-reads a footer whose
  // file's modification time moved. The latest trade per symbol (three small files) 2.3 -> 2.0 ms.
  await pool.connections[0]!.run('SET GLOBAL parquet_metadata_cache = true')

  const { tail, tailConnection, admin, marks } = await openEngineKafka(duck, options, deps, tables, keeping.keptFrom, log)

  const pins = createTailPins(tail, tables, keeping.keptFrom, m)
  let closed = false
  // Read by the engine's own runs (no refresh of their own: they run inside one).
  const latest = createLatestIndexes({ namespace: options.namespace, tables, tail, marks, metrics: m, log, query: (sql, qo) => run(sql, qo) })
  const loop = createRefreshLoop({
    refreshMs,
    idleMs: options.tailIdleMs ?? 60_000,
    log,
    reload: async () => {
      await Promise.all([...tables.values()].map(loader.load))
      // Before the trim: a rollup's reads start at its snapshot's offsets, so the tail's folded
      // blocks are split there while every record of the block is still kept (D90).
      if (tail) for (const t of tables.values()) if (t.derived && t.loaded) for (const topic of topicsOf(t)) await tail.alignFolds(topic, t.offsets.get(topic) ?? new Map())
      await pins.trim()
      await latest.refresh()
    },
  })

  const slices = createLakeSlices({ dir: path.join(options.cacheDir, 'slices'), max: options.slices ?? 64, connect: () => duck.connect(), cache, logger: log, ...(m ? { metrics: m } : {}) })
  const context: QueryContext = { namespace: options.namespace, tables, keeping, tail, marks, io: deps.io, manifests, cache, slices, loader, pins, metrics: m, onSql: deps.onSql }

  /** One query, without the refresh a query after a rest waits for. */
  async function run<T extends QueryRow = QueryRow>(sql: string, qo: QueryOptions = {}): Promise<QueryResult<T>> {
    if (closed) throw new WorkbenchError(ErrorCode.ConfigInvalid, 'the query engine is closed')
    const kind = qo.kind ?? 'sql'
    const started = performance.now()
    const timeoutMs = qo.timeoutMs ?? defaultTimeout
    const maxRows = qo.maxRows ?? defaultMaxRows
    if (!Number.isInteger(maxRows) || maxRows < 0) throw new WorkbenchError(ErrorCode.QueryInvalid, `maxRows must be a non-negative integer, not ${maxRows}`)
    const reads = qo.tables ?? Object.fromEntries(engineTables.filter((n) => new RegExp(`\\b${n}\\b`, 'i').test(sql)).map((n) => [n, {}]))
    const params = qo.params ?? {}
    for (const k of Object.keys(params)) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new WorkbenchError(ErrorCode.QueryInvalid, `parameter name ${JSON.stringify(k)} is not an identifier`)
    const conn = await pool.acquire()
    const held: QueryHolds = { pins: [], files: [], slices: [] }
    const timer = setTimeout(() => conn.interrupt(), timeoutMs)
    try {
      const result = await runQuery<T>(context, conn, { sql, reads, params, timeoutMs, maxRows, started }, held)
      m?.get('queryDuration').labels(kind).observe(result.timings.totalMs / 1000)
      return result
    } catch (err) {
      m?.get('queryErrors').labels(isWorkbenchError(err) ? err.code : 'INTERNAL').inc()
      throw err
    } finally {
      clearTimeout(timer)
      pins.unpin(held.pins)
      cache.release(held.files)
      slices.release(held.slices)
      pool.release(conn)
      if (m) {
        m.get('queryCacheBytes').set(cache.stats.bytes)
        const downloads = cache.stats.downloads
        if (downloads > downloadsCounted) m.get('queryCacheDownloads').inc(downloads - downloadsCounted)
        downloadsCounted = downloads
      }
    }
  }

  const query = async <T extends QueryRow = QueryRow>(sql: string, qo: QueryOptions = {}): Promise<QueryResult<T>> => {
    await loop.queryArrives()
    return run<T>(sql, qo)
  }

  const readable = (name: EngineTable): boolean => {
    const t = tables.get(name)
    if (!t) return false
    return !t.derived || (keeping.keptFor(t) && keeping.tailHolds(t, tail))
  }
  // The index's lake part, before the first read (the refresh loop keeps it after).
  await latest.refresh()

  return {
    query,
    cache,
    refresh: loop.refresh,
    async latestRows<T extends QueryRow = QueryRow>(request: LatestIndexRequest) {
      if (closed) throw new WorkbenchError(ErrorCode.ConfigInvalid, 'the query engine is closed')
      await loop.queryArrives()
      // Only while the rollup is exact now, as its SQL reads it (readable), from the index.
      if (!readable(request.table)) return undefined
      const result = await latest.read<T>(request)
      if (result) m?.get('queryDuration').labels(request.kind ?? 'latest').observe(result.timings.totalMs / 1000)
      return result
    },
    readable,
    tailPositions(name, which = 'hot') {
      const t = tables.get(name)
      const topic = which === 'hot' ? t?.topic : t?.deferredTopic
      return tail && topic ? tail.positions(topic) : undefined
    },
    async snapshots(name, so = {}) {
      const t = tables.get(name)
      if (!t) throw new WorkbenchError(ErrorCode.QueryInvalid, `no table ${name}: the engine reads ${engineTables.join(', ')}`)
      return listSnapshots(t, loader, so.current === true)
    },
    async close() {
      if (closed) return
      closed = true
      await loop.stop()
      await tail?.close()
      if (marks) await settleWithin(marks.close(), 5000)
      if (admin) await settleWithin(admin.disconnect(), 5000)
      await slices.close()
      for (const c of [...pool.connections, ...(tailConnection ? [tailConnection] : [])]) c.closeSync()
      duck.closeSync()
    },
  }
}

/**
 * The engine's Kafka side: the admin and the high-water marks it takes, and the tail with its own
 * connection, started at the offsets the tables hold (both need topics, Kafka and a serde; the
 * admin is made, not connected, without a serde, and closed with the engine either way).
 */
async function openEngineKafka(
  duck: DuckDBInstance,
  options: QueryEngineOptions,
  deps: QueryEngineDeps,
  tables: ReadonlyMap<EngineTable, TableState>,
  keptFrom: (topic: string) => Map<number, bigint>,
  log: Logger,
): Promise<{ tail: KafkaTail | undefined; tailConnection: DuckDBConnection | undefined; admin: Admin | undefined; marks: HighWaterMarks | undefined }> {
  let tail: KafkaTail | undefined
  let marks: HighWaterMarks | undefined
  let tailConnection: DuckDBConnection | undefined
  const admin = deps.kafka && options.topics ? deps.kafka.admin() : undefined
  if (options.topics && deps.kafka && deps.serde && admin) {
    const serde = deps.serde
    tailConnection = await duck.connect()
    await admin.connect()
    marks = await createHighWaterMarks(deps.kafka, admin)
    tail = await createKafkaTail({
      connection: tailConnection,
      kafka: deps.kafka,
      logger: log,
      ...(options.tailIdleMs !== undefined ? { idleAfterMs: options.tailIdleMs } : {}),
      streams: [...tables.values()]
        .filter((t) => !t.derived)
        .flatMap((t) => {
          // The rollups of this table's records: the tail keeps their partial rows folded as it reads.
          const folds = [...tables.values()].flatMap((d) => (d.derived?.from === t.name ? [{ name: d.name, partialSql: d.derived.tailSql }] : []))
          // A rollup of the latest row per key: the tail notes it as it reads (D91).
          const latest = [...tables.values()].find((d) => d.derived?.from === t.name && d.derived.latest)?.derived?.latest
          return topicsOf(t).map((topic) => marketTailStream(t.name as 'trades' | 'quotes', { topic, schema: tableSchema(t), start: keptFrom(topic), serde, folds, ...(latest ? { latest } : {}) }))
        }),
    })
    log.info('Kafka tail started', Object.fromEntries([...tables.values()].filter((t) => !t.derived).flatMap(topicsOf).map((topic) => [topic, describe(tail!.positions(topic).next)])))
  }
  return { tail, tailConnection, admin, marks }
}

function tableSchema(t: TableState): Schema {
  return t.loaded ? schemaById(t.loaded.metadata) : t.design.schema
}

function describe(offsets: ReadonlyMap<number, bigint>): string {
  return [...offsets].map(([p, o]) => `${p}:${o}`).join(',') || 'nothing'
}
