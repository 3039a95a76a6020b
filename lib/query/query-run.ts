import { StatementType, type DuckDBConnection } from '@duckdb/node-api'
import { ErrorCode, WorkbenchError, errorMessage } from '../errors/index'
import { quoteIdent } from '../iceberg/duckdb-sql'
import type { FileIO } from '../iceberg/file-io'
import type { HighWaterMarks } from '../kafka/high-water-marks'
import type { ManifestReader } from '../iceberg/manifest-io'
import type { Snapshot, TableMetadata } from '../iceberg/spec-types'
import { currentSnapshot, schemaById } from '../iceberg/table-metadata'
import { columnNamesById, planScan } from '../iceberg/table-scan'
import type { Metrics } from '../metrics/index'
import type { SnapshotOffsets } from '../sink/snapshot-offsets'
import { marketTimeColumn, topicsOf, type Pin, type TableKeeping, type TableState } from './engine-tables'
import { engineTables, type EngineTable, type QueryParam, type QueryResult, type ReadBoundary, type TableRead, type TailRead } from './engine-types'
import type { DataFileCache } from './file-cache'
import type { KafkaTail } from './kafka-tail'
import type { LakeSlices } from './lake-slices'
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
  /** Minute slices of lake files, for reads confined to a few minutes (D93). */
  readonly slices: LakeSlices
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

/** What a running query holds and its caller releases, even when it fails: pins, cached files and minute slices. */
export interface QueryHolds {
  readonly pins: Pin[]
  readonly files: string[]
  readonly slices: string[]
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
 * files, reads the tail (optimistically where it is caught up, D89), creates a view per table,
 * and runs the SQL.
 */
export async function runQuery<T extends QueryRow>(ctx: QueryContext, conn: DuckDBConnection, q: QueryRequest, held: QueryHolds): Promise<QueryResult<T>> {
  const prepared = pinReads(ctx, q.reads, held.pins)
  const planStart = performance.now()
  const marks = takeMarks(ctx, prepared)
  const scans = await planScans(ctx, prepared, held.files)
  const planMs = performance.now() - planStart
  const session = sessionOf(conn)
  const tailStart = performance.now()
  // Optimistic: the tail as far as it stands when it is caught up with its fetches; the marks,
  // taken at query start, are checked after the run, and a run that read less is run again at them.
  const readNow = marks.size > 0 ? await tailNow(ctx.tail!, marks) : undefined
  let tailMs = performance.now() - tailStart
  let pass = await runPass(ctx, session, q, scans, readNow ?? (await marksReached(ctx.tail, marks, q.timeoutMs)), readNow !== undefined, held)
  let reran = false
  let optimistic = readNow !== undefined
  if (!pass.ran) {
    // Not a SELECT (a COPY, a CREATE … AS): it runs once, at the marks, as it must not run twice.
    optimistic = false
    const waitStart = performance.now()
    const ends = await marksReached(ctx.tail, marks, q.timeoutMs)
    tailMs += performance.now() - waitStart
    pass = await runPass(ctx, session, q, scans, ends, false, held)
  }
  if (optimistic && readNow) {
    const checkStart = performance.now()
    const covered = coversMarks(prepared, readNow, await settledMarks(marks))
    tailMs += performance.now() - checkStart
    if (!covered) {
      const waitStart = performance.now()
      const ends = await marksReached(ctx.tail, marks, q.timeoutMs)
      tailMs += performance.now() - waitStart
      const first = pass.executeMs
      pass = await runPass(ctx, session, q, scans, ends, false, held)
      pass.executeMs += first
      reran = true
    }
  }
  if (marks.size > 0) ctx.metrics?.get('queryTailReads').labels(!optimistic ? 'marks' : reran ? 'rerun' : 'tail').inc()
  if (!pass.ran) throw new WorkbenchError(ErrorCode.CheckFailed, 'a query ended without running: a pass that may run any statement did not')
  const { result, read, executeMs } = pass
  const boundaries: Partial<Record<EngineTable, ReadBoundary>> = Object.fromEntries(pass.boundaries)
  for (const r of pass.tailReads) ctx.metrics?.get('queryTailRecords').labels(r.name).inc(r.records)
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

/** Where each topic's tail reads end: offsets per partition (exclusive). */
type TailEnds = ReadonlyMap<string, SnapshotOffsets>

/**
 * One run of the SQL over the tail read up to `ends`: its result, rows read, and where each table's
 * rows came from. With `selectOnly` (an optimistic read, which may run again), a statement that is
 * not a SELECT is not run (`ran` false).
 */
async function runPass(ctx: QueryContext, session: QuerySession, q: QueryRequest, scans: readonly PlannedScan[], ends: TailEnds, selectOnly: boolean, held: QueryHolds) {
  const reads = scans.map((s) => ({ ...s, tails: s.hybrid ? readTails(ctx.tail!, s.name, s.t.derived ? s.name : undefined, s.froms, ends) : undefined }))
  await session.tailBounds(reads.flatMap((r) => r.tails?.bounds ?? []))
  const boundaries: Array<[EngineTable, ReadBoundary]> = []
  for (const r of reads) boundaries.push([r.name, await createView(ctx, session, r, held)])
  const execStart = performance.now()
  let result
  let read
  try {
    ctx.onSql?.(q.sql)
    const statement = await session.prepared(q.sql)
    if (selectOnly && statement.statementType !== StatementType.SELECT) return { ran: false as const, boundaries, tailReads: [], executeMs: 0 }
    bindParameters(statement, q.params)
    result = await statement.run()
    read = await readChunks(result, q.maxRows)
  } catch (err) {
    session.forget(q.sql)
    const message = errorMessage(err)
    if (/interrupt/i.test(message)) throw new WorkbenchError(ErrorCode.Timeout, `the query ran longer than ${q.timeoutMs} ms and was stopped`, true)
    throw new WorkbenchError(ErrorCode.QueryInvalid, `DuckDB refused the query: ${message}`, false, { cause: err })
  }
  const tailReads = reads.flatMap((r) => (r.tails ? [{ name: r.name, records: r.tails.reads.reduce((n, t) => n + t.records, 0) }] : []))
  return { ran: true as const, result, read, boundaries, tailReads, executeMs: performance.now() - execStart }
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

/**
 * The high-water marks of every topic the hybrid reads take, asked for together at query start,
 * once per topic: bars read the trades topics for the rollup's tail and for the edge minutes, at
 * the same marks.
 */
function takeMarks(ctx: QueryContext, prepared: readonly PreparedRead[]): Map<string, Promise<SnapshotOffsets>> {
  const marks = new Map<string, Promise<SnapshotOffsets>>()
  for (const { froms } of prepared) {
    for (const { topic } of froms) {
      if (marks.has(topic)) continue
      const mark = topicMarks(ctx.marks!, topic)
      mark.catch(() => undefined)
      marks.set(topic, mark)
    }
  }
  return marks
}

/** Every partition's high-water mark of `topic`, taken now, as offsets. */
export async function topicMarks(marks: HighWaterMarks, topic: string): Promise<SnapshotOffsets> {
  return new Map((await marks.of(topic)).map((p) => [p.partition, BigInt(p.high)]))
}

/** Where a tail read from `from` ends at `ends`, per partition: never below its snapshot (a tail behind the lake reads nothing there). */
export function readEnds(from: SnapshotOffsets, ends: SnapshotOffsets): Map<number, bigint> {
  const to = new Map<number, bigint>()
  for (const [p, end] of ends) {
    const begin = from.get(p) ?? 0n
    to.set(p, end > begin ? end : begin)
  }
  return to
}

/**
 * Where the tail stands on every topic in `marks`, when it is caught up with its fetches on all of
 * them (kafka-tail.ts readNow); undefined when it is not on one (the query then waits for its marks).
 */
async function tailNow(tail: KafkaTail, marks: ReadonlyMap<string, unknown>): Promise<TailEnds | undefined> {
  const ends = new Map<string, SnapshotOffsets>()
  for (const topic of marks.keys()) {
    const at = await tail.readNow(topic)
    if (!at) return undefined
    ends.set(topic, at)
  }
  return ends
}

/** The marks, once the tail has reached them on every topic. */
async function marksReached(tail: KafkaTail | undefined, marks: ReadonlyMap<string, Promise<SnapshotOffsets>>, timeoutMs: number): Promise<TailEnds> {
  const ends = await settledMarks(marks)
  for (const [topic, to] of ends) await tail!.waitFor(topic, to, timeoutMs)
  return ends
}

async function settledMarks(marks: ReadonlyMap<string, Promise<SnapshotOffsets>>): Promise<Map<string, SnapshotOffsets>> {
  const ends = new Map<string, SnapshotOffsets>()
  for (const [topic, mark] of marks) ends.set(topic, await mark)
  return ends
}

/**
 * Whether a read of the tail up to `read` holds every record below the marks, for every hybrid
 * read: per partition, the marks are at most where the read ends, or where its snapshot (the lake)
 * already holds the records to.
 */
export function coversMarks(prepared: ReadonlyArray<Pick<PreparedRead, 'froms'>>, read: TailEnds, marks: TailEnds): boolean {
  for (const { froms } of prepared) {
    for (const { topic, offsets: from } of froms) {
      const at = read.get(topic)
      for (const [p, mark] of marks.get(topic) ?? []) {
        const end = at?.get(p) ?? 0n
        const lake = from.get(p) ?? 0n
        if (mark > end && mark > lake) return false
      }
    }
  }
  return true
}

/** Then, for all tables at once: plan and fetch the files. */
async function planScans(ctx: QueryContext, prepared: readonly PreparedRead[], heldFiles: string[]) {
  const settled = await Promise.allSettled(
    prepared.map(async ({ name, read, t, hybrid, froms, pinnedSnapshot, meta }) => {
      const metadata = hybrid ? meta : await ctx.loader.metadataFor(t, read)
      const plan =
        metadata && (!hybrid || pinnedSnapshot)
          ? await planScan({ metadata, io: ctx.io, manifests: ctx.manifests }, { snapshotId: hybrid ? pinnedSnapshot?.['snapshot-id'] : read.snapshotId, asOfTimestampMs: read.asOfTimestampMs, filter: read.filter })
          : { snapshot: undefined, schema: metadata ? schemaById(metadata) : t.design.schema, files: [], stats: { manifestsTotal: 0, manifestsPruned: 0, filesTotal: 0, filesPruned: 0 } }
      const locations = plan.files.map((f) => f.path)
      const local = await ctx.cache.acquire(locations)
      heldFiles.push(...locations)
      return { name, t, hybrid, froms, plan, metadata, locations, local, filter: read.filter }
    }),
  )
  // Settled, not raced: every table's files are held (and released below) even when one fails.
  return settled.map((r) => {
    if (r.status === 'rejected') throw r.reason
    return r.value
  })
}

type PlannedScan = Awaited<ReturnType<typeof planScans>>[number]

/**
 * The view of one table (its lake files, and the tail past the pinned snapshot, its ranges in the
 * session's bounds table), and where its rows came from. The view's text changes only with the
 * files, so the session keeps it from one query to the next.
 */
async function createView(ctx: QueryContext, session: QuerySession, { name, t, plan, metadata, locations, local, filter, tails }: PlannedScan & { tails: TailReads | undefined }, held: QueryHolds): Promise<ReadBoundary> {
  const names = columnNamesById(plan.schema)
  const columns = plan.schema.fields.map((f) => quoteIdent(names.get(f.id) ?? f.name))
  // A market table's read confined to a few minutes reads the slices built of them (D93).
  const sliced = t.derived ? undefined : await ctx.slices.lakeSql(session.connection, { table: `${ctx.namespace}.${t.icebergName}`, plan, local, locations, metadata, filter, timeColumn: marketTimeColumn }, held.slices)
  const lake = `SELECT ${columns.join(', ')}, 'lake' AS _source FROM (${sliced?.sql ?? (await lakeFilesSql(session.connection, plan, local, metadata))})`
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
    ...(sliced ? { lakeSlices: sliced.minutes } : {}),
    ...(tails?.reads[0] ? { tail: tails.reads[0] } : {}),
    ...(tails?.reads[1] ? { deferredTail: tails.reads[1] } : {}),
  }
}

/** A table's tail reads: the SQL selecting them (undefined when there are none), each topic's read, and their ranges for the bounds table. */
interface TailReads {
  readonly sql: string | undefined
  readonly reads: TailRead[]
  readonly bounds: TailBound[]
}

/**
 * The tail reads of one table, per topic (hot first, then deferred): offsets [the pinned
 * snapshot's, where the read ends), the rows there being readable already; the SQL selecting
 * all of them (the same text whatever the offsets) and the ranges it reads. For a rollup
 * (`fold`), the SQL selects its partial rows, from the tail's folded blocks where whole ones fit
 * in the range.
 */
function readTails(tail: KafkaTail, scope: string, fold: string | undefined, froms: readonly Pin[], ends: TailEnds): TailReads {
  const reads: TailRead[] = []
  const sqls: string[] = []
  const bounds: TailBound[] = []
  for (const { topic, offsets: from } of froms) {
    const to = readEnds(from, ends.get(topic) ?? new Map())
    tail.checkKept(topic, from, to)
    const records = tail.count(topic, from, to)
    // Where the tail folds this topic, its `_seq` bounds skip the rows before the read, folded or not.
    const folded = records > 0 ? tail.foldedRanges(topic, from, to) : undefined
    // A topic with nothing to read stays out of the view (a lake at rest reads no tail at all).
    if (records > 0) {
      // A rollup's read with every record in whole blocks has no fold of its own to plan (D90).
      sqls.push(fold !== undefined ? tail.foldedSql(topic, fold, tailBoundsTable, scope, records > (folded?.records ?? 0)) : tail.boundedSql(topic, tailBoundsTable, scope))
      // Every partition of the topic has a row (the ends name them all), so none keeps an earlier query's range.
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
