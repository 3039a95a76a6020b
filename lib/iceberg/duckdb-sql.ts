import { BIGINT, BOOLEAN, DECIMAL, DOUBLE, DuckDBDecimalValue, FLOAT, INTEGER, VARCHAR, type DuckDBType } from '@duckdb/node-api'
import { decimalUnscaled } from '../avro/decimal'
import { ErrorCode, WorkbenchError } from '../errors/index'
import { parsePrimitiveType, type ParsedPrimitiveType } from './single-value'
import type { IcebergType, NestedField, PartitionSpec, PartitionValue, PartitionValues, Schema } from './spec-types'
import { columnNamesById } from './table-scan'

/**
 * How Iceberg columns meet DuckDB: the SQL type of each Iceberg type, reading data files by
 * field id, and the staged form in which writers and the Kafka tail append values (strings for
 * decimals, µs as BIGINT for timestamps) with the SQL that turns it into the Iceberg type.
 */

/** A double-quoted SQL identifier. */
export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`

/** `FIELD_IDS` for DuckDB's Parquet COPY: every column's Iceberg field id, and the element id of lists. */
export function fieldIdsClause(fields: readonly NestedField[]): string {
  const parts = fields.map((f) => {
    const t = f.type
    if (typeof t === 'object' && t.type === 'list') return `${quoteIdent(f.name)}: {__duckdb_field_id: ${f.id}, element: ${t['element-id']}}`
    return `${quoteIdent(f.name)}: ${f.id}`
  })
  return `{${parts.join(', ')}}`
}

/** A single-quoted SQL string literal (for names and paths the workbench itself made, never user input). */
export const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`

const simpleTypes: Readonly<Record<string, string>> = {
  boolean: 'BOOLEAN',
  int: 'INTEGER',
  long: 'BIGINT',
  float: 'FLOAT',
  double: 'DOUBLE',
  date: 'DATE',
  time: 'TIME',
  string: 'VARCHAR',
  uuid: 'UUID',
  binary: 'BLOB',
  timestamp: 'TIMESTAMP',
  timestamptz: 'TIMESTAMPTZ',
}

/** The DuckDB SQL type that reads an Iceberg type (primitives and lists of them). */
export function duckdbType(type: IcebergType): string {
  if (typeof type === 'object') {
    if (type.type === 'list' && typeof type.element === 'string') return `${duckdbType(type.element)}[]`
    throw new WorkbenchError(ErrorCode.ConfigInvalid, `the query engine reads primitive columns and lists of primitives, not ${JSON.stringify(type)}`)
  }
  const simple = simpleTypes[type]
  if (simple !== undefined) return simple
  const p = parsePrimitiveType(type)
  if (p.kind === 'decimal') return `DECIMAL(${p.precision}, ${p.scale})`
  if (p.kind === 'fixed') return 'BLOB'
  throw new WorkbenchError(ErrorCode.ConfigInvalid, `no DuckDB type for Iceberg type ${type}`)
}

/**
 * `read_parquet` over data files, each column matched by Parquet field id and named as `schema`
 * names it now (spec: column projection by id): a renamed column reads under its new name, a
 * column a file lacks (added later) reads as its `initial-default` (v3), or NULL. `paths` are
 * local files.
 */
export function readParquetByFieldId(paths: readonly string[], schema: Schema): string {
  checkColumnNames(schema)
  const names = columnNamesById(schema)
  const entries = schema.fields.map((f) => `${f.id}: {name: ${sqlString(names.get(f.id) ?? f.name)}, type: ${sqlString(duckdbType(f.type))}, default_value: ${mapDefault(f)}}`)
  return `read_parquet([${paths.map(sqlString).join(', ')}], hive_partitioning = false, schema = map {${entries.join(', ')}})`
}

/** A data file to read: its local path, and the partition tuple its manifest entry records. */
export interface LakeFile {
  readonly local: string
  readonly specId: number
  readonly partition: PartitionValues
  /**
   * The file's column names when it has no Parquet field ids (written by an engine that does not
   * write them, then added with pyiceberg's add_files): it is read by the table's name mapping.
   */
  readonly withoutFieldIds?: readonly string[]
  /**
   * The file has exactly the schema's columns, in order, with the same names, field ids and types
   * (its footer says so): it is read by name, without read_parquet's field-id map, which decoded
   * about half as fast in DuckDB 1.5 (docs/decisions.md, D84).
   */
  readonly schemaColumns?: boolean
}

/** spec: Column Projection, `schema.name-mapping.default`: the names a field had in files without ids. */
export type NameMapping = ReadonlyArray<{ readonly 'field-id'?: number; readonly names: readonly string[] }>

/**
 * A SELECT of every column of `schema` (named as it names them now) over the given files. Columns
 * that are identity-partitioned in a file's spec read from the manifest entry's partition tuple
 * (spec: "values for identity partition fields must be read from the partition", since writers
 * such as DuckDB and pyiceberg's add_files leave them out of the data files); files that share a
 * spec and those values share one `read_parquet`, so a table without identity partitions reads
 * in a single one. Throws QUERY_INVALID for names DuckDB cannot tell apart.
 */
export function readLakeFilesSql(files: readonly LakeFile[], schema: Schema, specs: readonly PartitionSpec[], nameMapping?: NameMapping): string {
  checkColumnNames(schema)
  const names = columnNamesById(schema)
  const columns = schema.fields.map((f) => quoteIdent(names.get(f.id) ?? f.name))
  if (files.length === 0) return `SELECT ${schema.fields.map((f, i) => `CAST(NULL AS ${duckdbType(f.type)}) AS ${columns[i]}`).join(', ')} WHERE false`
  const identity = new Map<number, Array<{ sourceId: number; position: number }>>()
  for (const spec of specs) {
    identity.set(
      spec['spec-id'],
      spec.fields.flatMap((pf, position) => (pf.transform === 'identity' && schema.fields.some((f) => f.id === pf['source-id']) ? [{ sourceId: pf['source-id'], position }] : [])),
    )
  }
  const groups = new Map<string, { constants: Map<number, PartitionValue>; byName?: readonly string[]; plain: boolean; paths: string[] }>()
  for (const file of files) {
    const constants = new Map<number, PartitionValue>()
    for (const { sourceId, position } of identity.get(file.specId) ?? []) constants.set(sourceId, file.partition[position] ?? null)
    const plain = file.schemaColumns === true && !file.withoutFieldIds
    const key = `${file.specId}|${[...constants].map(([id, v]) => `${id}=${partitionKey(v)}`).join('|')}|${file.withoutFieldIds ? JSON.stringify(file.withoutFieldIds) : plain ? 'plain' : 'ids'}`
    let group = groups.get(key)
    if (!group) groups.set(key, (group = { constants, plain, paths: [], ...(file.withoutFieldIds ? { byName: file.withoutFieldIds } : {}) }))
    group.paths.push(file.local)
  }
  return [...groups.values()]
    .map(({ constants, byName, plain, paths }) => {
      if (byName) return readByNameMapping(paths, byName, schema, columns, constants, nameMapping)
      const select = schema.fields.map((f, i) => (constants.has(f.id) ? `${valueSql(f.type, constants.get(f.id)!)} AS ${columns[i]}` : columns[i]))
      const read = plain ? `read_parquet([${paths.map(sqlString).join(', ')}], hive_partitioning = false)` : readParquetByFieldId(paths, schema)
      return `SELECT ${select.join(', ')} FROM ${read}`
    })
    .join(' UNION ALL ')
}

/**
 * Files without field ids, read by the table's name mapping (spec: "fields are resolved by name
 * using the mapping"): each field takes the first of its mapped names that the file has; one
 * the file lacks reads as its initial-default or NULL. Without a mapping such files are refused:
 * matching them by today's names could read a renamed column's old data as another's.
 */
function readByNameMapping(paths: readonly string[], fileColumns: readonly string[], schema: Schema, columns: readonly string[], constants: ReadonlyMap<number, PartitionValue>, nameMapping: NameMapping | undefined): string {
  if (!nameMapping) {
    throw new WorkbenchError(ErrorCode.QueryInvalid, `${paths.length} data ${paths.length === 1 ? 'file has' : 'files have'} no Parquet field ids and the table has no schema.name-mapping.default to read them by: refused rather than guess columns by name`)
  }
  const present = new Set(fileColumns)
  const select = schema.fields.map((f, i) => {
    if (constants.has(f.id)) return `${valueSql(f.type, constants.get(f.id)!)} AS ${columns[i]}`
    const name = nameMapping.find((m) => m['field-id'] === f.id)?.names.find((n) => present.has(n))
    return `${name === undefined ? initialDefaultSql(f) : `CAST(${quoteIdent(name)} AS ${duckdbType(f.type)})`} AS ${columns[i]}`
  })
  return `SELECT ${select.join(', ')} FROM read_parquet([${paths.map(sqlString).join(', ')}], hive_partitioning = false)`
}

/**
 * DuckDB resolves names without regard to case, so a table with columns that differ only by case
 * (`price` and `Price`, legal in Iceberg) would fail with a binder error or read the wrong one:
 * refused with the names.
 */
function checkColumnNames(schema: Schema): void {
  const seen = new Map<string, string>()
  for (const f of schema.fields) {
    const folded = f.name.toLowerCase()
    const other = seen.get(folded)
    if (other !== undefined) {
      throw new WorkbenchError(ErrorCode.QueryInvalid, `the table has columns ${JSON.stringify(other)} and ${JSON.stringify(f.name)}, which differ only by case: DuckDB, which reads the lake here, cannot tell them apart, so the table is not read (rename one)`)
    }
    seen.set(folded, f.name)
  }
}

const partitionKey = (v: PartitionValue): string => (v instanceof Uint8Array ? `b${Buffer.from(v).toString('hex')}` : `${typeof v}:${String(v)}`)

/** A partition value (decoded from a manifest) as a SQL expression of the column's DuckDB type. */
export function valueSql(type: IcebergType, v: PartitionValue): string {
  const t = duckdbType(type)
  if (v === null) return `CAST(NULL AS ${t})`
  if (v instanceof Uint8Array) return `CAST(from_hex(${sqlString(Buffer.from(v).toString('hex'))}) AS ${t})`
  if (typeof v === 'string') return `CAST(${sqlString(v)} AS ${t})`
  if (typeof v === 'boolean') return `CAST(${v ? 'true' : 'false'} AS ${t})`
  if (type === 'date') return `CAST(DATE '1970-01-01' + ${String(v)} AS DATE)`
  if (type === 'timestamp') return `make_timestamp(${String(v)}::BIGINT)`
  if (type === 'timestamptz') return `(to_timestamp(0) + INTERVAL (${String(v)}::BIGINT) MICROSECOND)`
  if (type === 'time') return `CAST(TIME '00:00:00' + INTERVAL (${String(v)}::BIGINT) MICROSECOND AS TIME)`
  return `CAST(${String(v)} AS ${t})`
}

/**
 * The default in read_parquet's schema map: every entry's value must have one type, so it is
 * given as text, which DuckDB casts to the entry's declared type.
 */
function mapDefault(f: NestedField): string {
  return f['initial-default'] === undefined || f['initial-default'] === null ? 'NULL::VARCHAR' : `CAST(${initialDefaultSql(f)} AS VARCHAR)`
}

/**
 * A v3 `initial-default` as SQL (NULL when there is none). Its JSON single-value form: numbers
 * and booleans as themselves, and strings for the rest (dates, times, decimals, uuids as text;
 * binary and fixed as hex), which DuckDB casts to the column's type.
 */
function initialDefaultSql(f: NestedField): string {
  const v = f['initial-default']
  if (v === undefined || v === null) return `CAST(NULL AS ${duckdbType(f.type)})`
  const t = duckdbType(f.type)
  if (typeof v === 'number' || typeof v === 'bigint') return `CAST(${String(v)} AS ${t})`
  if (typeof v === 'boolean') return `CAST(${v ? 'true' : 'false'} AS ${t})`
  if (typeof v === 'string') return f.type === 'binary' || (typeof f.type === 'string' && f.type.startsWith('fixed')) ? `from_hex(${sqlString(v)})` : `CAST(${sqlString(v)} AS ${t})`
  throw new WorkbenchError(ErrorCode.QueryInvalid, `column ${f.name} has an initial-default the workbench cannot read: ${JSON.stringify(v).slice(0, 80)}`)
}

/** How one column is appended (staged) and turned into its Iceberg type in SQL. */
export interface StagedColumn {
  readonly field: NestedField
  readonly parsed: ParsedPrimitiveType | undefined
  readonly stageType: DuckDBType
  /** SQL turning the staged column into the Iceberg type. */
  readonly convert: (col: string) => string
  /** SQL turning a column of a Parquet file back into the staged form. */
  readonly unconvert: (col: string) => string
  /** Converts one value into what the staging column holds. */
  readonly stage: (v: unknown) => unknown
}

const listSeparator = '\x1f'

/** The staged form of a column: what a DataChunk append takes for it, and the SQL around it. */
export function stagedColumn(field: NestedField): StagedColumn {
  const t = field.type
  if (typeof t === 'object') {
    if (t.type === 'list' && t.element === 'string') {
      return {
        field,
        parsed: undefined,
        stageType: VARCHAR,
        convert: (c) => `CASE WHEN ${c} = '' THEN []::VARCHAR[] ELSE string_split(${c}, chr(31)) END`,
        unconvert: (c) => `array_to_string(${c}, chr(31))`,
        stage: (v) => (v as readonly string[]).join(listSeparator),
      }
    }
    throw new WorkbenchError(ErrorCode.ConfigInvalid, `the DuckDB writer does not write column ${field.name} of type ${JSON.stringify(t)} (lists of strings and primitives only)`)
  }
  const p = parsePrimitiveType(t)
  const same = (c: string): string => c
  const asIs = (v: unknown): unknown => v
  switch (p.kind) {
    case 'string':
      return { field, parsed: p, stageType: VARCHAR, convert: same, unconvert: same, stage: asIs }
    case 'long':
      return { field, parsed: p, stageType: BIGINT, convert: same, unconvert: same, stage: asIs }
    case 'int':
      return { field, parsed: p, stageType: INTEGER, convert: same, unconvert: same, stage: asIs }
    case 'boolean':
      return { field, parsed: p, stageType: BOOLEAN, convert: same, unconvert: same, stage: asIs }
    case 'double':
      return { field, parsed: p, stageType: DOUBLE, convert: same, unconvert: same, stage: asIs }
    case 'float':
      return { field, parsed: p, stageType: FLOAT, convert: same, unconvert: same, stage: asIs }
    case 'timestamptz':
      return { field, parsed: p, stageType: BIGINT, unconvert: (c) => `epoch_us(${c})`, convert: (c) => `make_timestamptz(${c})`, stage: asIs }
    case 'timestamp':
      return { field, parsed: p, stageType: BIGINT, unconvert: (c) => `epoch_us(${c})`, convert: (c) => `make_timestamp(${c})`, stage: asIs }
    case 'date':
      return { field, parsed: p, stageType: INTEGER, unconvert: (c) => `(${c} - DATE '1970-01-01')`, convert: (c) => `(DATE '1970-01-01' + ${c})`, stage: asIs }
    case 'decimal':
      // Staged as the decimal itself, from the unscaled value: DuckDB's VARCHAR → DECIMAL(38, s)
      // cast costs ~14 µs a value (measured: 6 s for 415k quote sizes), and the writer cast each
      // value twice (bounds, then COPY), so a compaction of 16 files took 20 s of CPU.
      return { field, parsed: p, stageType: DECIMAL(p.precision, p.scale), convert: same, unconvert: same, stage: (v) => new DuckDBDecimalValue(stagedDecimalUnscaled(v, p.precision, p.scale), p.precision, p.scale) }
    default:
      throw new WorkbenchError(ErrorCode.ConfigInvalid, `the DuckDB writer does not write column ${field.name} of type ${t}`)
  }
}

/**
 * A decimal value as its unscaled integer at `scale` (`"67012.5"` → 6701250000000n at scale 8):
 * an exact decimal string, read by the Avro codec's rules (`decimalUnscaled`: no rounding, at most
 * `precision` digits), or a bigint that already is the unscaled value. RECORD_INVALID otherwise.
 */
export function stagedDecimalUnscaled(value: unknown, precision: number, scale: number): bigint {
  if (typeof value !== 'bigint') return decimalUnscaled(value, precision, scale)
  if ((value < 0n ? -value : value) >= 10n ** BigInt(precision)) throw new WorkbenchError(ErrorCode.RecordInvalid, `${value} needs more than the ${precision} digits of decimal(${precision},${scale})`)
  return value
}
