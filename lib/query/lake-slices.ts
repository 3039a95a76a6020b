import * as fs from 'node:fs'
import * as path from 'node:path'
import { createHash, randomUUID } from 'node:crypto'
import type { DuckDBConnection } from '@duckdb/node-api'
import { errorMessage } from '../errors/index'
import { quoteIdent, sqlString } from '../iceberg/duckdb-sql'
import { bindFilter, type BoundFilter, type ScanFilter } from '../iceberg/scan-filter'
import type { NestedField, TableMetadata } from '../iceberg/spec-types'
import type { ScanPlan } from '../iceberg/table-scan'
import type { Logger } from '../logger/index'
import type { Metrics } from '../metrics/index'
import { processWorkDir } from '../sink/work-dir'
import type { DataFileCache } from './file-cache'
import { lakeFilesSql } from './lake-files'
import { confinedSpans, minuteFiles, sliceMinuteMicros, slicePays, spanMinutes, type MinuteFiles } from './slice-plan'

/**
 * Minute slices of the lake (docs/decisions.md, D93): for a read confined to a few minutes of a
 * market table's time (the minutes the one-minute rollup cannot answer at a range's edges), the
 * rows of each minute's data files, decoded once and written to a small local Parquet file,
 * instead of the whole row groups of every file that reaches into the minute, on every query.
 *
 * A slice is named by what fixes its rows: the table's schema, the minute, and the data files
 * (immutable: a path is written once). So it is exact for any snapshot that reads those files,
 * and never stale. A minute is sliced the second time a read asks for it (a one-off read does not
 * pay for a slice), after that read, in the background, one at a time. A read uses the slices
 * there are; its other minutes read their files, each bounded to its minute, so every row comes
 * from exactly one place.
 */
export interface LakeSlices {
  /**
   * The SELECT of a read's lake rows with the slices built for its minutes, holding them (in
   * `held`) until `release`; undefined when the read is not confined to a few minutes of
   * `timeColumn` or no slice of it is built yet (the caller reads its files as always).
   */
  lakeSql(conn: DuckDBConnection, read: SliceRead, held: string[]): Promise<{ readonly sql: string; readonly minutes: number } | undefined>
  release(paths: readonly string[]): void
  /** Waits for the build under way, closes its connection and removes the slices. */
  close(): Promise<void>
  readonly stats: { readonly slices: number; readonly bytes: number; readonly built: number }
}

/** A table read as the engine planned it. */
export interface SliceRead {
  /** The Iceberg table, for slice names. */
  readonly table: string
  readonly plan: Pick<ScanPlan, 'files' | 'schema'>
  /** Local copies of the plan's files, in its order, and their locations. */
  readonly local: readonly string[]
  readonly locations: readonly string[]
  readonly metadata: TableMetadata | undefined
  readonly filter: ScanFilter | undefined
  readonly timeColumn: string
}

export interface LakeSlicesOptions {
  /** Folder under which this engine keeps its slices (in a folder of its own, removed at close). */
  readonly dir: string
  /** Slices kept (least recently used dropped past it); 0 turns slicing off. */
  readonly max: number
  /** A connection for the builds (asked for at the first one). */
  readonly connect: () => Promise<DuckDBConnection>
  readonly cache: DataFileCache
  readonly logger: Logger
  readonly metrics?: Metrics
}

/** A read touching more minutes than this is not sliced. */
const maxMinutes = 4
/** A minute whose files hold fewer rows than this is read from them (about a row group: no decoding to save). */
const minSourceRows = 16_384
/** Minutes seen once, remembered for admission. */
const seenKept = 1024

interface Slice {
  readonly path: string
  readonly bytes: number
  holders: number
}

export function createLakeSlices(options: LakeSlicesOptions): LakeSlices {
  // A folder per engine (two engines of one process may name the same slice) in the process's own,
  // whose folders of processes that are gone (a kill -9) are removed first.
  const dir = path.join(processWorkDir(options.dir), randomUUID().slice(0, 8))
  fs.mkdirSync(dir)
  const log = options.logger
  const counter = options.metrics?.get('queryLakeSlices')
  // Map order is recency order: a hit moves its slice to the end.
  const slices = new Map<string, Slice>()
  const byPath = new Map<string, Slice>()
  const seen = new Set<string>()
  const building = new Set<string>()
  const stats = { slices: 0, bytes: 0, built: 0 }
  let queue: Promise<void> = Promise.resolve()
  let conn: DuckDBConnection | undefined
  let closed = false

  const take = (key: string): string | undefined => {
    const s = slices.get(key)
    if (!s) return undefined
    slices.delete(key)
    slices.set(key, s)
    s.holders++
    return s.path
  }
  // The second ask of a minute builds it: a one-off read does not pay for a slice.
  const admit = (key: string): boolean => {
    if (options.max <= 0 || closed || building.has(key)) return false
    if (seen.delete(key)) return true
    seen.add(key)
    if (seen.size > seenKept) seen.delete(seen.values().next().value!)
    return false
  }
  const evict = (): void => {
    for (const [key, s] of slices) {
      if (slices.size <= options.max) break
      if (s.holders > 0) continue
      slices.delete(key)
      byPath.delete(s.path)
      fs.rmSync(s.path, { force: true })
    }
    stats.slices = slices.size
    stats.bytes = [...slices.values()].reduce((n, s) => n + s.bytes, 0)
  }
  const build = async (key: string, sql: string, column: string, locations: readonly string[]): Promise<void> => {
    if (closed) return
    // A new path for every build: DuckDB's Parquet metadata cache knows a file by its path and
    // modification time, so a slice dropped and written again must not take its old path.
    const target = path.join(dir, `${createHash('sha256').update(key).digest('hex').slice(0, 24)}-${randomUUID().slice(0, 8)}.parquet`)
    const partial = `${target}.part`
    let acquired = false
    try {
      // The files stay in the data cache while the slice is written (the SQL names their copies).
      await options.cache.acquire(locations)
      acquired = true
      conn ??= await options.connect()
      await conn.run(`COPY (${sql} ORDER BY ${quoteIdent(column)}) TO ${sqlString(partial)} (FORMAT parquet, COMPRESSION zstd)`)
      fs.renameSync(partial, target)
      const s: Slice = { path: target, bytes: fs.statSync(target).size, holders: 0 }
      slices.set(key, s)
      byPath.set(target, s)
      stats.built++
      counter?.labels('built').inc()
      evict()
    } catch (err) {
      fs.rmSync(partial, { force: true })
      counter?.labels('failed').inc()
      log.warn('a minute slice was not written: its minute is read from the data files', { error: errorMessage(err) })
    } finally {
      if (acquired) options.cache.release(locations)
      building.delete(key)
    }
  }

  return {
    stats,
    async lakeSql(c, read, held) {
      const minutes = options.max > 0 ? confinedMinutes(read) : undefined
      if (!minutes) return undefined
      const { groups, field } = minutes
      const column = field.name
      // A minute's SQL over its files, made once per read (an admitted minute not yet sliced is read by it too).
      const fromFiles = new Map<bigint, Promise<string>>()
      const filesSql = (g: MinuteFiles): Promise<string> => {
        let sql = fromFiles.get(g.minute)
        if (sql === undefined) fromFiles.set(g.minute, (sql = minuteSql(c, read, g, field)))
        return sql
      }
      const hits = new Map<bigint, string>()
      for (const g of groups) {
        if (!slicePays(g, minSourceRows)) continue
        const key = sliceKey(read, g)
        const hit = take(key)
        if (hit !== undefined) {
          hits.set(g.minute, hit)
          held.push(hit)
          counter?.labels('hit').inc()
          continue
        }
        counter?.labels('miss').inc()
        if (!admit(key)) continue
        building.add(key)
        const sql = await filesSql(g)
        const locations = g.files.map((i) => read.locations[i]!)
        queue = queue.then(() => build(key, sql, column, locations))
      }
      if (hits.size === 0) return undefined
      const parts: string[] = []
      for (const g of groups) {
        const hit = hits.get(g.minute)
        if (hit !== undefined) parts.push(`SELECT * FROM read_parquet(${sqlString(hit)}, hive_partitioning = false)`)
        else if (g.files.length > 0) parts.push(await filesSql(g))
      }
      return { sql: parts.join(' UNION ALL '), minutes: hits.size }
    },
    release(paths) {
      for (const p of paths) {
        const s = byPath.get(p)
        if (s && s.holders > 0) s.holders--
      }
      evict()
    },
    async close() {
      closed = true
      await queue
      conn?.closeSync()
      conn = undefined
      slices.clear()
      byPath.clear()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** The read's minutes and the files of each, when it is confined to a few minutes of its time column. */
function confinedMinutes(read: SliceRead): { groups: MinuteFiles[]; field: NestedField } | undefined {
  const field = read.plan.schema.fields.find((f) => f.name === read.timeColumn)
  if (read.filter === undefined || read.plan.files.length === 0 || (field?.type !== 'timestamptz' && field?.type !== 'timestamp')) return undefined
  let bound: BoundFilter
  try {
    bound = bindFilter(read.filter, read.plan.schema)
  } catch {
    return undefined
  }
  const minutes = spanMinutes(confinedSpans(bound, field.id), maxMinutes)
  return minutes ? { groups: minuteFiles(read.plan.files, field.id, field.type, minutes), field } : undefined
}

/** What fixes a slice's rows: the table's schema, the minute and the (immutable) data files. */
function sliceKey(read: SliceRead, g: MinuteFiles): string {
  const files = g.files.map((i) => read.locations[i]!).sort()
  return JSON.stringify([read.table, read.plan.schema['schema-id'], read.timeColumn, String(g.minute), files])
}

/** The rows of one minute of the read's files, read from the files. */
async function minuteSql(conn: DuckDBConnection, read: SliceRead, g: MinuteFiles, field: NestedField): Promise<string> {
  const files = await lakeFilesSql(conn, { files: g.files.map((i) => read.plan.files[i]!), schema: read.plan.schema }, g.files.map((i) => read.local[i]!), read.metadata)
  const type = field.type === 'timestamptz' ? 'make_timestamptz' : 'make_timestamp'
  const col = quoteIdent(field.name)
  return `SELECT * FROM (${files}) WHERE ${col} >= ${type}(${g.minute}) AND ${col} < ${type}(${g.minute + sliceMinuteMicros})`
}
