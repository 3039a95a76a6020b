import * as fs from 'node:fs'
import * as path from 'node:path'
import { randomUUID } from 'node:crypto'
import { BIGINT, INTEGER, VARCHAR, DuckDBDataChunk, type DuckDBAppender, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api'
import { fieldIdsClause, quoteIdent, stagedColumn, type StagedColumn } from './duckdb-sql'
import { ErrorCode, WorkbenchError } from '../errors/index'
import { encodeSingleValue, parsePrimitiveType, type ParsedPrimitiveType } from './single-value'
import { fieldsById, partitionType, type PartitionFieldType } from './table-metadata'
import { applyTransform, parseTransform, transformResultType } from './transforms'
import { defaultRowGroupRows } from './table-design'
import { FileContent, type DataFile, type NestedField, type PartitionSpec, type PartitionValue, type Schema, type SortOrder } from './spec-types'

/** A Parquet data file written locally, with the Iceberg metrics its manifest entry needs. */
export interface WrittenDataFile {
  /** The local file; the caller uploads it and then deletes it. */
  readonly localPath: string
  /** Path of the file under the table's `data/` folder: `<partition path>/<name>.parquet`. */
  readonly relativePath: string
  /** The data file entry, with `filePath` still to be set to the uploaded location. */
  readonly dataFile: Omit<DataFile, 'filePath'>
}

export interface ParquetWriterOptions {
  /** A DuckDB connection the writer may create temporary tables in (one writer per connection). */
  readonly connection: DuckDBConnection
  /** The table's schema, spec and sort order as the catalog returned them (field ids are the catalog's). */
  readonly schema: Schema
  readonly spec: PartitionSpec
  readonly sortOrder: SortOrder
  /** Folder for the local Parquet files before upload. */
  readonly workDir: string
  /** Rows per Parquet row group: smaller groups prune finer, larger ones compress better (default defaultRowGroupRows: D85). */
  readonly rowGroupSize?: number
  /** Staging table name, unique per connection (default `stage_<random>`). */
  readonly stageName?: string
}

/**
 * Stages rows in DuckDB and writes them as Iceberg data files: one Parquet file per partition,
 * sorted by the table's sort order, zstd with Parquet v2 encodings (delta-packed ids and times),
 * field ids on every column (`FIELD_IDS`), and the manifest metrics: column sizes and value and
 * null counts from DuckDB's `RETURN_STATS`, bounds computed as typed values in SQL and encoded in
 * Iceberg's single-value binary form.
 */
export interface ParquetDataWriter {
  /** Appends rows (values in schema field order, see TableDesign.row). */
  append(rows: readonly (readonly unknown[])[]): void
  /**
   * Stages every row of local Parquet files written with this table's schema (compaction), all
   * in one partition, whose tuple is given.
   */
  stageParquet(localPaths: readonly string[], partition: readonly PartitionValue[]): Promise<void>
  /** Rows staged since the last write. */
  readonly stagedRows: number
  /** Writes the staged rows as data files (one per partition) and empties the stage. */
  writeFiles(): Promise<WrittenDataFile[]>
  /** Drops the staged rows without writing them. */
  clear(): Promise<void>
  close(): Promise<void>
}

function duckTypeOf(type: string): DuckDBType {
  const p = parsePrimitiveType(type)
  if (p.kind === 'string') return VARCHAR
  if (p.kind === 'long' || p.kind === 'timestamp' || p.kind === 'timestamptz') return BIGINT
  return INTEGER
}

/** The Hive-style partition path Iceberg writers use: `event_day=2026-11-22/symbol_bucket=3`. */
export function partitionPath(fields: readonly PartitionFieldType[], values: readonly PartitionValue[]): string {
  return fields
    .map((f, i) => {
      const v = values[i]
      let text: string
      if (v === null || v === undefined) text = 'null'
      else if (f.type === 'date' && typeof v === 'number') text = new Date(v * 86_400_000).toISOString().slice(0, 10)
      else text = String(v)
      return `${encodeURIComponent(f.name)}=${encodeURIComponent(text)}`
    })
    .join('/')
}

/** A partition field's transform, applied to its source column as rows are staged. */
interface PartitionFunction {
  /** Position of the source column in a row. */
  readonly index: number
  readonly fn: (v: unknown) => PartitionValue
}

/** Bounds are kept for the columns of a primitive type; `i` is the column's place in the stage. */
interface BoundableColumn {
  readonly c: StagedColumn
  readonly i: number
}

/**
 * The stage and what writing it out needs: staged columns are `c0…`, partition values `p0…`
 * after them; `selectSql` turns the staged columns into the table's, `sortSql` orders a file.
 */
interface StageLayout {
  readonly connection: DuckDBConnection
  readonly stage: string
  readonly schema: Schema
  readonly sortOrder: SortOrder
  readonly parts: readonly PartitionFieldType[]
  readonly columns: readonly StagedColumn[]
  readonly partFns: readonly PartitionFunction[]
  readonly stageTypes: readonly DuckDBType[]
  readonly stageCols: readonly string[]
  readonly boundable: readonly BoundableColumn[]
  readonly selectSql: string
  readonly sortSql: readonly string[]
  readonly rowGroupSize: number
  readonly workDir: string
}

/** One row of the partition query: the partition's `p<i>`, its count `n`, and `lo<i>`, `hi<i>`, `nn<i>` per boundable column. */
type PartitionGroup = Record<string, DuckDBValue>

/** A writer of Parquet data files through DuckDB (see ParquetDataWriter). */
export async function createParquetDataWriter(options: ParquetWriterOptions): Promise<ParquetDataWriter> {
  const { connection, schema, spec, sortOrder } = options
  const rowGroupSize = options.rowGroupSize ?? defaultRowGroupRows
  const stage = options.stageName ?? `stage_${randomUUID().replace(/-/g, '').slice(0, 12)}`
  const columns = schema.fields.map(stagedColumn)
  const parts = partitionType(schema, spec, transformResultType)
  const partFns = partitionFunctions(schema, parts)
  const stageTypes = [...columns.map((c) => c.stageType), ...parts.map((p) => duckTypeOf(p.type))]
  const stageCols = [...columns.map((_, i) => `c${i}`), ...parts.map((_, i) => `p${i}`)]
  await connection.run(`CREATE OR REPLACE TABLE ${stage} (${stageCols.map((c, i) => `${c} ${stageTypes[i]!.toString()}`).join(', ')})`)
  let appender: DuckDBAppender = await connection.createAppender(stage)
  let staged = 0
  fs.mkdirSync(options.workDir, { recursive: true })

  const layout: StageLayout = {
    connection,
    stage,
    schema,
    sortOrder,
    parts,
    columns,
    partFns,
    stageTypes,
    stageCols,
    boundable: columns.map((c, i) => ({ c, i })).filter(({ c }) => c.parsed !== undefined),
    selectSql: columns.map((c, i) => `${c.convert(`c${i}`)} AS ${quoteIdent(c.field.name)}`).join(', '),
    sortSql: sortClauses(schema, sortOrder),
    rowGroupSize,
    workDir: options.workDir,
  }

  const clear = async (): Promise<void> => {
    appender.closeSync()
    await connection.run(`DELETE FROM ${stage}`)
    appender = await connection.createAppender(stage)
    staged = 0
  }

  return {
    get stagedRows() {
      return staged
    },

    append(rows) {
      appendRows(layout, appender, rows)
      staged += rows.length
    },

    async writeFiles() {
      if (staged === 0) return []
      appender.flushSync()
      const out = await writePartitionFiles(layout)
      await clear()
      return out
    },

    clear,

    async stageParquet(localPaths, partition) {
      if (localPaths.length === 0) return
      appender.flushSync()
      const files = localPaths.map((p) => `'${p.replace(/'/g, "''")}'`).join(', ')
      const cols = [...columns.map((c) => c.unconvert(quoteIdent(c.field.name))), ...partition.map((v) => (v === null ? 'NULL' : sqlLiteral(v)))]
      await connection.run(`INSERT INTO ${stage} SELECT ${cols.join(', ')} FROM read_parquet([${files}])`)
      const n = await connection.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM ${stage}`)
      staged = Number(n.getRowObjects()[0]!.n)
    },

    async close() {
      try {
        appender.closeSync()
      } catch {
        // already closed
      }
      await connection.run(`DROP TABLE IF EXISTS ${stage}`)
    },
  }
}

/** Each partition field's transform of its top-level source column. */
function partitionFunctions(schema: Schema, parts: readonly PartitionFieldType[]): PartitionFunction[] {
  const fieldIndex = new Map(schema.fields.map((f, i) => [f.id, i]))
  return parts.map((p) => {
    const index = fieldIndex.get(p.sourceId)
    if (index === undefined) throw new WorkbenchError(ErrorCode.ConfigInvalid, `partition field ${p.name} has a source (${p.sourceId}) that is not a top-level column`)
    const transform = parseTransform(p.transform)
    const sourceType = parsePrimitiveType(p.sourceType)
    const fn = (v: PartitionValue): PartitionValue => applyTransform(transform, sourceType, v)
    // Strings (symbols) repeat: cache their transform (a murmur3 hash for buckets).
    if (parsePrimitiveType(p.sourceType).kind === 'string') {
      const cache = new Map<unknown, PartitionValue>()
      return { index, fn: (v: unknown): PartitionValue => {
        let r = cache.get(v)
        if (r === undefined) {
          r = fn(v as PartitionValue)
          if (cache.size < 100_000) cache.set(v, r)
        }
        return r
      } }
    }
    return { index, fn: (v: unknown): PartitionValue => fn(v as PartitionValue) }
  })
}

/** ORDER BY terms of the table's sort order; only identity transforms can be sorted by in SQL. */
function sortClauses(schema: Schema, sortOrder: SortOrder): string[] {
  const byId = fieldsById(schema)
  return sortOrder.fields
    .map((f) => {
      const field = byId.get(f['source-id'])
      if (!field || f.transform !== 'identity') return undefined
      return `${quoteIdent(field.name)} ${f.direction === 'desc' ? 'DESC' : 'ASC'} ${f['null-order'] === 'nulls-last' ? 'NULLS LAST' : 'NULLS FIRST'}`
    })
    .filter((x): x is string => x !== undefined)
}

/** Stages rows as DataChunks of 2,048 rows (DuckDB's vector size): staged columns, then partition values. */
function appendRows(layout: StageLayout, appender: DuckDBAppender, rows: readonly (readonly unknown[])[]): void {
  const { columns, partFns, stageTypes } = layout
  const width = layout.stageCols.length
  for (let start = 0; start < rows.length; start += 2048) {
    const end = Math.min(rows.length, start + 2048)
    const cols: unknown[][] = []
    for (let k = 0; k < width; k++) cols.push(new Array(end - start))
    for (let r = start; r < end; r++) {
      const row = rows[r]!
      const j = r - start
      for (let k = 0; k < columns.length; k++) cols[k]![j] = columns[k]!.stage(row[k])
      for (let k = 0; k < partFns.length; k++) cols[columns.length + k]![j] = partFns[k]!.fn(row[partFns[k]!.index])
    }
    const chunk = DuckDBDataChunk.create(stageTypes, end - start)
    chunk.setColumns(cols as never)
    appender.appendDataChunk(chunk)
  }
}

/** Writes one file per partition of the stage; on any failure none is handed on. */
async function writePartitionFiles(layout: StageLayout): Promise<WrittenDataFile[]> {
  const groups = await queryPartitionGroups(layout)
  // Every partition's COPY is sent at once: the connection runs them one after another, but
  // each no longer waits for the event loop to come round between them. With the loop busy
  // (the sink decoding records in 50 ms slices) one after another took 2.5 s for 16 files of
  // a 30 s batch at rate 1, at once 0.25 s (docs/bench/sink.md, commit path).
  const settled = await Promise.allSettled(groups.map((g) => writePartitionFile(layout, g)))
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) {
    // No file of a failed write is handed on: remove the ones that were written.
    for (const r of settled) if (r.status === 'fulfilled') fs.rmSync(r.value.localPath, { force: true })
    throw failed.reason
  }
  return settled.map((r) => (r as PromiseFulfilledResult<WrittenDataFile>).value)
}

/** The stage's partitions with their row counts and, per boundable column, min, max and non-null count. */
async function queryPartitionGroups(layout: StageLayout): Promise<PartitionGroup[]> {
  const partCols = layout.parts.map((_, i) => `p${i}`)
  // Bounds, counts and partitions in one pass over the stage.
  const aggregates = [
    'count(*) AS n',
    ...layout.boundable.flatMap(({ c, i }) => {
      const v = c.convert(`c${i}`)
      const asStored = c.parsed!.kind === 'timestamptz' || c.parsed!.kind === 'timestamp' ? (x: string) => `epoch_us(${x})` : (x: string) => x
      return [`${asStored(`min(${v})`)} AS lo${i}`, `${asStored(`max(${v})`)} AS hi${i}`, `count(c${i}) AS nn${i}`]
    }),
  ]
  const groups = await layout.connection.runAndReadAll(`SELECT ${[...partCols, ...aggregates].join(', ')} FROM ${layout.stage}${partCols.length ? ` GROUP BY ${partCols.join(', ')}` : ''}`)
  return groups.getRowObjects()
}

/** COPYs one partition's rows, sorted, into a local Parquet file and returns it with its metrics. */
async function writePartitionFile(layout: StageLayout, g: PartitionGroup): Promise<WrittenDataFile> {
  const { schema, parts, sortSql } = layout
  const partCols = parts.map((_, i) => `p${i}`)
  const partition = partCols.map((c) => normalisePartitionValue(g[c]))
  const where = partCols.map((c, i) => (partition[i] === null ? `${c} IS NULL` : `${c} = ${sqlLiteral(partition[i]!)}`))
  const relative = `${parts.length ? `${partitionPath(parts, partition)}/` : ''}${randomUUID()}.parquet`
  const localPath = path.join(layout.workDir, relative.replace(/\//g, '__'))
  const copy = await layout.connection.runAndReadAll(
    `COPY (SELECT ${layout.selectSql} FROM ${layout.stage}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}${sortSql.length ? ` ORDER BY ${sortSql.join(', ')}` : ''}) TO '${localPath.replace(/'/g, "''")}' (FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION V2, ROW_GROUP_SIZE ${layout.rowGroupSize}, FIELD_IDS ${fieldIdsClause(schema.fields)}, RETURN_STATS)`,
  )
  const stats = copy.getRowObjects()[0]!
  const recordCount = BigInt(String(g.n))
  return {
    localPath,
    relativePath: relative,
    dataFile: {
      content: FileContent.Data,
      fileFormat: 'PARQUET',
      partition,
      recordCount,
      fileSizeInBytes: BigInt(String(stats.file_size_bytes)),
      ...fileMetrics(layout, g, stats, recordCount),
      sortOrderId: layout.sortOrder['order-id'],
    },
  }
}

/**
 * A file's column metrics: sizes and counts from DuckDB's RETURN_STATS, then counts and bounds
 * of the boundable columns from the partition query (typed values, in single-value form).
 */
function fileMetrics(
  layout: StageLayout,
  g: PartitionGroup,
  stats: PartitionGroup,
  recordCount: bigint,
): Pick<DataFile, 'columnSizes' | 'valueCounts' | 'nullValueCounts' | 'lowerBounds' | 'upperBounds'> {
  const columnSizes = new Map<number, bigint>()
  const valueCounts = new Map<number, bigint>()
  const nullValueCounts = new Map<number, bigint>()
  const lowerBounds = new Map<number, Uint8Array>()
  const upperBounds = new Map<number, Uint8Array>()
  for (const [key, entries] of mapEntries(stats.column_statistics)) {
    const id = columnId(layout.schema.fields, key)
    if (id === undefined) continue
    const s = new Map(mapEntries(entries).map(([k, v]) => [String(k), String(v)]))
    if (s.has('column_size_bytes')) columnSizes.set(id, BigInt(s.get('column_size_bytes')!))
    if (s.has('num_values')) valueCounts.set(id, BigInt(s.get('num_values')!))
    if (s.has('null_count')) nullValueCounts.set(id, BigInt(s.get('null_count')!))
  }
  for (const { c, i } of layout.boundable) {
    const id = c.field.id
    valueCounts.set(id, recordCount)
    nullValueCounts.set(id, recordCount - BigInt(String(g[`nn${i}`])))
    const lo = boundValue(c.parsed!, g[`lo${i}`])
    const hi = boundValue(c.parsed!, g[`hi${i}`])
    // Strings longer than 16 characters would need truncated bounds; we write none (always correct).
    if (lo !== undefined && hi !== undefined && !(typeof lo === 'string' && (lo.length > 16 || (hi as string).length > 16))) {
      lowerBounds.set(id, encodeSingleValue(c.parsed!, lo))
      upperBounds.set(id, encodeSingleValue(c.parsed!, hi))
    }
  }
  return { columnSizes, valueCounts, nullValueCounts, lowerBounds, upperBounds }
}

function normalisePartitionValue(v: unknown): PartitionValue {
  if (v === null || v === undefined) return null
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string' || typeof v === 'boolean') return v
  throw new WorkbenchError(ErrorCode.RecordInvalid, `unexpected partition value ${String(v)}`)
}

/** Partition values are our own ints, bigints or strings; strings are quoted for SQL. */
function sqlLiteral(v: Exclude<PartitionValue, null>): string {
  if (typeof v === 'number' || typeof v === 'bigint') return String(v)
  if (typeof v === 'string') return `'${v.replace(/'/g, "''")}'`
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE'
  throw new WorkbenchError(ErrorCode.RecordInvalid, 'binary partition values are not supported by the DuckDB writer')
}

function boundValue(p: ParsedPrimitiveType, v: unknown): Exclude<PartitionValue, null> | undefined {
  if (v === null || v === undefined) return undefined
  switch (p.kind) {
    case 'decimal':
      return (v as { value: bigint }).value
    case 'long':
    case 'timestamp':
    case 'timestamptz':
      return BigInt(v as bigint)
    case 'int':
    case 'date':
      return typeof v === 'number' ? v : Number((v as { days?: number }).days ?? v)
    case 'double':
    case 'float':
      // NaN bounds are not written (spec: NaN is excluded from bounds).
      return Number.isNaN(v as number) ? undefined : (v as number)
    default:
      return v as Exclude<PartitionValue, null>
  }
}

/** DuckDB MAP values come back as `{ entries: [{ key, value }] }`. */
function mapEntries(v: unknown): Array<[unknown, unknown]> {
  const entries = (v as { entries?: Array<{ key: unknown; value: unknown }> } | null)?.entries ?? []
  return entries.map((e) => [e.key, e.value])
}

/** The field id of a RETURN_STATS column key: `"price"` or `"trade_conditions"."element"`. */
function columnId(fields: readonly NestedField[], key: unknown): number | undefined {
  const parts = String(key)
    .split('.')
    .map((p) => p.replace(/^"|"$/g, '').replace(/""/g, '"'))
  const top = fields.find((f) => f.name === parts[0])
  if (!top) return undefined
  if (parts.length === 1) return top.id
  const t = top.type
  if (typeof t === 'object' && t.type === 'list' && parts.length === 2) return t['element-id']
  return undefined
}
