import type { DuckDBConnection } from '@duckdb/node-api'
import { ErrorCode, WorkbenchError, errorMessage } from '../errors/index'
import { quoteIdent } from '../iceberg/duckdb-sql'
import type { FileIO } from '../iceberg/file-io'
import type { HighWaterMarks } from '../kafka/high-water-marks'
import type { ManifestReader } from '../iceberg/manifest-io'
import type { Snapshot, TableMetadata } from '../iceberg/spec-types'
import { currentSnapshot, schemaById } from '../iceberg/table-metadata'
import { columnNamesById, planScan } from '../iceberg/table-scan'
import type { Metrics } from '../metrics/index'
import { topicsOf, type Pin, type TableKeeping, type TableState } from './engine-tables'
import { engineTables, type EngineTable, type QueryParam, type QueryResult, type ReadBoundary, type TableRead, type TailRead } from './engine-types'
import type { DataFileCache } from './file-cache'
import type { KafkaTail } from './kafka-tail'
import { lakeFilesSql } from './lake-files'
import { arrowTableOf, columnsOfChunks, readChunks, rowsOfChunks, type QueryRow } from './query-result'
import { bindParameters } from './query-parameters'
import type { TableLoader } from './table-loader'
import { sessionOf, tailBoundsTable, type QuerySession, type TailBound } from './query-session'
import type { TailPins } from './tail-pins'

/** What a query reads with: the engine's tables, tail, caches and pins. */
export interface QueryContext {
  readonly namespace: string
  readonly tables: ReadonlyMap<EngineTable, TableState>
  readonly keeping: TableKeeping
  readonly tail: KafkaTail | undefined
  /** Takes the topics' high-water marks at query start (with the tail: hybrid reads). */
  readonly marks: HighWaterMarks | undefined
  readonly io: FileIO
  readonly manifests: ManifestReader
  readonly cache: DataFileCache
  readonly loader: TableLoader
  readonly pins: TailPins
  readonly metrics: Metrics | undefined
  readonly onSql: ((sql: string) => void) | undefined
}

/** One query, checked: its SQL, tables to read, parameters and limits. */
export interface QueryRequest {
  readonly sql: string
  readonly reads: Readonly<Partial<Record<EngineTable, TableRead>>>
  readonly params: Readonly<Record<string, QueryParam>>
  readonly timeoutMs: number
  readonly maxRows: number
  /** performance.now() when the query came. */
  readonly started: number
}

/** What a running query holds and its caller releases, even when it fails: pins and cached files. */
export interface QueryHolds {
  readonly pins: Pin[]
  readonly files: string[]
}

interface PreparedRead {
  readonly name: EngineTable
  readonly read: TableRead
  readonly t: TableState
  readonly hybrid: boolean
  readonly froms: Pin[]
  readonly pinnedSnapshot: Snapshot | undefined
  readonly meta: TableMetadata | undefined
}

/**
 * Runs one query on `conn`: pins the hybrid tables' snapshots, plans and fetches every table's
 * files and tail reads, creates a view per table, and runs the SQL.
 */
export async function runQuery<T extends QueryRow>(ctx: QueryContext, conn: DuckDBConnection, q: QueryRequest, held: QueryHolds): Promise<QueryResult<T>> {
  const prepared = pinReads(ctx, q.reads, held.pins)
  const planned = await planReads(ctx, prepared, q.timeoutMs, held.files)
  const session = sessionOf(conn)
  await session.tailBounds(planned.flatMap((p) => p.tails?.bounds ?? []))
  const boundaries: Partial<Record<EngineTable, ReadBoundary>> = {}
  let planMs = 0
  let tailMs = 0
  for (const p of planned) {
    planMs = Math.max(planMs, p.planMs)
    tailMs = Math.max(tailMs, p.tailMs)
    boundaries[p.name] = await createView(ctx, session, p)
  }

  const execStart = performance.now()
  let result
  let read
  try {
    ctx.onSql?.(q.sql)
    const statement = await session.prepared(q.sql)
    bindParameters(statement, q.params)
    result = await statement.run()
    read = await readChunks(result, q.maxRows)
  } catch (err) {
    session.forget(q.sql)
    const message = errorMessage(err)
    if (/interrupt/i.test(message)) throw new WorkbenchError(ErrorCode.Timeout, `the query ran longer than ${q.timeoutMs} ms and was stopped`, true)
    throw new WorkbenchError(ErrorCode.QueryInvalid, `DuckDB refused the query: ${message}`, false, { cause: err })
  }
  const executeMs = performance.now() - execStart
  const count = Math.min(read.rows, q.maxRows)
  const names = result.deduplicatedColumnNames()
  const types = result.columnTypes()
  const rows = rowsOfChunks(names, types, read.chunks, count) as T[]
  const chunks = read.chunks
  const totalMs = performance.now() - q.started
  return {
    rows,
    columns: names.map((n, i) => ({ name: n, type: types[i]!.toString() })),
    truncated: read.rows > q.maxRows,
    boundaries,
    timings: { planMs, tailMs, executeMs, totalMs },
    toArrow: () => arrowTableOf(names, types, columnsOfChunks(chunks, names.length), count),
  }
}

/**
 * Pin every hybrid table's snapshot before any await: the tail then keeps the records from
 * the snapshot's offsets however far the background refresh moves on while this query runs.
 */
function pinReads(ctx: QueryContext, reads: Readonly<Partial<Record<EngineTable, TableRead>>>, heldPins: Pin[]): PreparedRead[] {
  return (Object.entries(reads) as Array<[EngineTable, TableRead]>).map(([name, read]) => {
    const t = ctx.tables.get(name)
    if (!t) throw new WorkbenchError(ErrorCode.QueryInvalid, `no table ${name}: the engine reads ${engineTables.join(', ')}`)
    const travelling = read.snapshotId !== undefined || read.asOfTimestampMs !== undefined
    if (read.tail === true && travelling) throw new WorkbenchError(ErrorCode.QueryInvalid, `table ${name}: a time-travel read has no Kafka tail (tail: true with a snapshot)`)
    const hybrid = (read.tail ?? true) && !travelling && ctx.tail !== undefined && t.topic !== undefined
    let pinnedSnapshot: Snapshot | undefined
    const meta = t.loaded?.metadata
    const froms: Pin[] = []
    if (hybrid && t.derived && !ctx.keeping.tailHolds(t, ctx.tail)) {
      throw new WorkbenchError(ErrorCode.Conflict, `${t.icebergName} lags ${t.derived.from} too far (or does not exist yet) for the Kafka tail this engine keeps to complete it: read ${t.derived.from} instead`)
    }
    if (hybrid) {
      pinnedSnapshot = meta ? currentSnapshot(meta) : undefined
      for (const topic of topicsOf(t)) {
        const pin = ctx.pins.pin(topic, t.offsets.get(topic) ?? new Map())
        heldPins.push(pin)
        froms.push(pin)
      }
    }
    return { name, read, t, hybrid, froms, pinnedSnapshot, meta }
  })
}

/** Then, for all tables at once: plan and fetch the files, and take the high-water marks. */
async function planReads(ctx: QueryContext, prepared: readonly PreparedRead[], timeoutMs: number, heldFiles: string[]) {
  const planStart = performance.now()
  // The high-water marks of every topic read, taken together at query start, once per topic: bars
  // read the trades topics for the rollup's tail and for the edge minutes, at the same marks.
  const marks = new Map<string, Promise<Array<{ partition: number; high: string }>>>()
  const highWater = (topic: string): Promise<Array<{ partition: number; high: string }>> => {
    let mark = marks.get(topic)
    if (!mark) {
      marks.set(topic, (mark = ctx.marks!.of(topic)))
      mark.catch(() => undefined)
    }
    return mark
  }
  const settled = await Promise.allSettled(
    prepared.map(async ({ name, read, t, hybrid, froms, pinnedSnapshot, meta }) => {
      const highWaters = froms.map(({ topic }) => highWater(topic))
      const metadata = hybrid ? meta : await ctx.loader.metadataFor(t, read)
      const plan =
        metadata && (!hybrid || pinnedSnapshot)
          ? await planScan({ metadata, io: ctx.io, manifests: ctx.manifests }, { snapshotId: hybrid ? pinnedSnapshot?.['snapshot-id'] : read.snapshotId, asOfTimestampMs: read.asOfTimestampMs, filter: read.filter })
          : { snapshot: undefined, schema: metadata ? schemaById(metadata) : t.design.schema, files: [], stats: { manifestsTotal: 0, manifestsPruned: 0, filesTotal: 0, filesPruned: 0 } }
      const locations = plan.files.map((f) => f.path)
      const local = await ctx.cache.acquire(locations)
      heldFiles.push(...locations)
      const planned = performance.now()
      const tails = hybrid ? await readTails(ctx.tail!, name, t.derived ? name : undefined, froms, highWaters, timeoutMs) : undefined
      if (tails) ctx.metrics?.get('queryTailRecords').labels(name).inc(tails.reads.reduce((n, r) => n + r.records, 0))
      return { name, t, plan, metadata, locations, local, tails, planMs: planned - planStart, tailMs: performance.now() - planned }
    }),
  )
  // Settled, not raced: every table's files are held (and released below) even when one fails.
  return settled.map((r) => {
    if (r.status === 'rejected') throw r.reason
    return r.value
  })
}

type PlannedRead = Awaited<ReturnType<typeof planReads>>[number]

/**
 * The view of one table (its lake files, and the tail past the pinned snapshot, its ranges in the
 * session's bounds table), and where its rows came from. The view's text changes only with the
 * files, so the session keeps it from one query to the next.
 */
async function createView(ctx: QueryContext, session: QuerySession, { name, t, plan, metadata, locations, local, tails }: PlannedRead): Promise<ReadBoundary> {
  const names = columnNamesById(plan.schema)
  const columns = plan.schema.fields.map((f) => quoteIdent(names.get(f.id) ?? f.name))
  const lake = `SELECT ${columns.join(', ')}, 'lake' AS _source FROM (${await lakeFilesSql(session.connection, plan, local, metadata)})`
  // A rollup's tail SQL gives its partial rows already (folded blocks and the rest folded now).
  const tail = tails?.sql !== undefined ? `SELECT ${columns.join(', ')}, 'kafka' AS _source FROM (${tails.sql})` : undefined
  // Without a lake file to read, a table's view is its tail alone: the tail stores the lake's types
  // (tail-columns.ts), and an empty typed part cost binding on every run (D88). A rollup's partial
  // rows are typed by its SQL, so its view keeps the lake's types from the empty part.
  const view = tail === undefined ? lake : plan.files.length === 0 && !t.derived ? tail : `${lake} UNION ALL ${tail}`
  if (await session.view(name, view)) ctx.onSql?.(`CREATE OR REPLACE TEMP VIEW ${name} AS ${view}`)
  ctx.metrics?.get('queryFilesScanned').labels(name).inc(plan.files.length)
  ctx.metrics?.get('queryFilesPruned').labels(name).inc(plan.stats.filesPruned)
  return {
    table: `${ctx.namespace}.${t.icebergName}`,
    snapshotId: plan.snapshot?.['snapshot-id'],
    snapshotTimestampMs: plan.snapshot?.['timestamp-ms'],
    filesScanned: plan.files.length,
    filesPruned: plan.stats.filesPruned + plan.stats.manifestsPruned,
    lakeRecords: plan.files.reduce((a, f) => a + f.recordCount, 0n),
    files: locations,
    ...(tails?.reads[0] ? { tail: tails.reads[0] } : {}),
    ...(tails?.reads[1] ? { deferredTail: tails.reads[1] } : {}),
  }
}

/**
 * The tail reads of one table, per topic (hot first, then deferred): offsets [the pinned
 * snapshot's, the high-water mark at query start), once the tail has reached the mark; the SQL
 * selecting all of them (the same text whatever the offsets) and the ranges it reads. For a
 * rollup (`fold`), the SQL selects its partial rows, from the tail's folded blocks where whole
 * ones fit in the range.
 */
async function readTails(
  tail: KafkaTail,
  scope: string,
  fold: string | undefined,
  froms: readonly Pin[],
  highWaters: ReadonlyArray<Promise<Array<{ partition: number; high: string }>>>,
  timeoutMs: number,
): Promise<{ sql: string | undefined; reads: TailRead[]; bounds: TailBound[] }> {
  const reads: TailRead[] = []
  const sqls: string[] = []
  const bounds: TailBound[] = []
  for (const [i, { topic, offsets: from }] of froms.entries()) {
    const to = new Map<number, bigint>()
    for (const p of await highWaters[i]!) to.set(p.partition, BigInt(p.high))
    await tail.waitFor(topic, to, timeoutMs)
    tail.checkKept(topic, from, to)
    const records = tail.count(topic, from, to)
    // Where the tail folds this topic, its `_seq` bounds skip the rows before the read, folded or not.
    const folded = records > 0 ? tail.foldedRanges(topic, from, to) : undefined
    // A topic with nothing to read stays out of the view (a lake at rest reads no tail at all).
    if (records > 0) {
      sqls.push(fold !== undefined ? tail.foldedSql(topic, fold, tailBoundsTable, scope) : tail.boundedSql(topic, tailBoundsTable, scope))
      // Every partition of the topic has a row (the high-water marks name them all), so none keeps an earlier query's range.
      for (const [partition, end] of to) {
        const begin = from.get(partition) ?? 0n
        const f = folded?.ranges.get(partition)
        const whole = fold !== undefined && f !== undefined
        bounds.push({
          scope,
          topic,
          partition,
          begin,
          end,
          foldedFrom: whole ? f.from : begin,
          foldedTo: whole ? f.to : begin,
          headSeqFrom: whole ? f.headSeqFrom : 0n,
          headSeqTo: whole ? f.headSeqTo : 0n,
          restSeqFrom: whole ? f.restSeqFrom : (f?.headSeqFrom ?? 0n),
        })
      }
    }
    reads.push({ topic, from: Object.fromEntries([...to.keys()].map((p) => [p, from.get(p) ?? 0n])), to: Object.fromEntries(to), records, ...(fold !== undefined && folded ? { folded: folded.records } : {}) })
  }
  return { sql: sqls.length > 0 ? sqls.join(' UNION ALL ') : undefined, reads, bounds }
}
