import type { DuckDBConnection } from '@duckdb/node-api'
import { ErrorCode, WorkbenchError, errorMessage } from '../errors/index'
import { duckdbType, readLakeFilesSql, sqlString, type NameMapping } from '../iceberg/duckdb-sql'
import type { Schema, TableMetadata } from '../iceberg/spec-types'
import { columnNamesById } from '../iceberg/table-scan'
import type { ScanPlan } from '../iceberg/table-scan'

/**
 * The SELECT that reads a scan plan's data files (downloaded to `local`, in plan order) as the
 * spec says (readLakeFilesSql). A table with a name mapping may hold files without Parquet field
 * ids (pyiceberg's add_files): their footers say which, and those are read by the mapping.
 * Tables without one (the workbench's own) skip that probe.
 */
export async function lakeFilesSql(conn: DuckDBConnection, plan: Pick<ScanPlan, 'files' | 'schema'>, local: readonly string[], metadata: TableMetadata | undefined): Promise<string> {
  const nameMapping = nameMappingOf(metadata)
  const idless = nameMapping ? await filesWithoutFieldIds(conn, local) : new Map<string, string[]>()
  const columns = await fileColumnsOf(conn, local)
  const expected = expectedColumns(plan.schema)
  const files = plan.files.map((f, i) => {
    const path = local[i]!
    const withoutFieldIds = idless.get(path)
    return { local: path, specId: f.specId, partition: f.partition, ...(withoutFieldIds ? { withoutFieldIds } : sameColumns(columns.get(path), expected) ? { schemaColumns: true } : {}) }
  })
  return readLakeFilesSql(files, plan.schema, metadata?.['partition-specs'] ?? [], nameMapping)
}

/** A top-level column of a Parquet file as DuckDB reads it by name: its name, field id, and type. */
interface FileColumn {
  readonly name: string
  readonly fieldId: number | undefined
  readonly type: string
}

/**
 * Per local file, its top-level columns (a downloaded data file never changes: the lake writes
 * new files and never rewrites one). Kept for the process, the oldest dropped past a bound.
 */
const fileColumnsCache = new Map<string, readonly FileColumn[]>()
const fileColumnsKept = 50_000

/** The top-level columns of each file, from its footer (read once per file). */
async function fileColumnsOf(conn: DuckDBConnection, local: readonly string[]): Promise<Map<string, readonly FileColumn[]>> {
  const missing = [...new Set(local.filter((l) => !fileColumnsCache.has(l)))]
  if (missing.length > 0) {
    // The footer's schema elements depth first, each file's root first: a group's children follow it.
    const ids = new Map<string, Array<{ name: string; fieldId: number | undefined }>>()
    const rows = (await conn.runAndReadAll(`SELECT file_name, name, field_id, num_children FROM parquet_schema([${missing.map(sqlString).join(', ')}])`)).getRows()
    const skip = (at: number): number => {
      let next = at + 1
      for (let k = 0; k < Number(rows[at]![3] ?? 0); k++) next = skip(next)
      return next
    }
    for (let i = 0; i < rows.length; ) {
      const end = skip(i)
      const top: Array<{ name: string; fieldId: number | undefined }> = []
      for (let j = i + 1; j < end; j = skip(j)) top.push({ name: String(rows[j]![1]), fieldId: rows[j]![2] === null ? undefined : Number(rows[j]![2]) })
      ids.set(String(rows[i]![0]), top)
      i = end
    }
    for (const path of missing) {
      const types = (await conn.runAndReadAll(`SELECT * FROM read_parquet(${sqlString(path)}) LIMIT 0`)).columnTypes().map((t) => t.toString())
      const top = ids.get(path) ?? []
      fileColumnsCache.set(path, top.length === types.length ? top.map((c, k) => ({ ...c, type: types[k]! })) : [])
    }
    for (const key of fileColumnsCache.keys()) {
      if (fileColumnsCache.size <= fileColumnsKept) break
      fileColumnsCache.delete(key)
    }
  }
  return new Map(local.map((l) => [l, fileColumnsCache.get(l) ?? []]))
}

/** A type's text as DuckDB prints it, whichever alias or spacing the SQL gave it. */
const typeText = (t: string): string => t.toUpperCase().replace(/\s+/g, '').replace(/TIMESTAMPTZ/g, 'TIMESTAMPWITHTIMEZONE')

function expectedColumns(schema: Schema): FileColumn[] {
  const names = columnNamesById(schema)
  return schema.fields.map((f) => ({ name: names.get(f.id) ?? f.name, fieldId: f.id, type: duckdbType(f.type) }))
}

/** Whether a file has exactly the schema's columns, in order: the same names, field ids and types. */
function sameColumns(file: readonly FileColumn[] | undefined, expected: readonly FileColumn[]): boolean {
  return (
    file !== undefined &&
    file.length === expected.length &&
    file.every((c, i) => c.name === expected[i]!.name && c.fieldId === expected[i]!.fieldId && typeText(c.type) === typeText(expected[i]!.type))
  )
}

/** The table's `schema.name-mapping.default` (spec: Column Projection), parsed; undefined when it has none. */
function nameMappingOf(metadata: TableMetadata | undefined): NameMapping | undefined {
  const text = metadata?.properties?.['schema.name-mapping.default']
  if (text === undefined) return undefined
  try {
    return JSON.parse(text) as NameMapping
  } catch (err) {
    throw new WorkbenchError(ErrorCode.QueryInvalid, `the table's schema.name-mapping.default is not JSON (${errorMessage(err)}): its files without field ids cannot be read`)
  }
}

/** Of the given local Parquet files, those without field ids, with their column names (from their footers). */
async function filesWithoutFieldIds(conn: DuckDBConnection, local: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>()
  if (local.length === 0) return out
  const r = await conn.runAndReadAll(`SELECT file_name, list(name) AS names, count(field_id) AS ids FROM parquet_schema([${local.map(sqlString).join(', ')}]) GROUP BY file_name`)
  for (const row of r.getRowObjects()) if (Number(row.ids) === 0) out.set(String(row.file_name), ((row.names as { items: unknown[] }).items ?? []).map(String))
  return out
}
