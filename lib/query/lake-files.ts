import type { DuckDBConnection } from '@duckdb/node-api'
import { ErrorCode, WorkbenchError, errorMessage } from '../errors/index'
import { duckdbType, readLakeFilesSql, sqlString, type NameMapping } from '../iceberg/duckdb-sql'
import type { Schema, TableMetadata } from '../iceberg/spec-types'
import { columnNamesById } from '../iceberg/table-scan'
import type { ScanPlan } from '../iceberg/table-scan'

/**
 * The SELECT that reads a scan plan's data files (downloaded to `local`, in plan order) as the
 * spec says (readLakeFilesSql). A table with a name mapping may hold files without Parquet field
 * ids (pyiceberg's add_files): their footers say which, and those are read by the mapping. A
 * file whose footer has exactly the table's columns is read by name (D84). Each footer is read
 * once per process (`footersOf`), not per query.
 */
export async function lakeFilesSql(conn: DuckDBConnection, plan: Pick<ScanPlan, 'files' | 'schema'>, local: readonly string[], metadata: TableMetadata | undefined): Promise<string> {
  const nameMapping = nameMappingOf(metadata)
  const footers = await footersOf(conn, local)
  const expected = expectedColumns(plan.schema)
  const files = plan.files.map((f, i) => {
    const path = local[i]!
    const footer = footers.get(path)
    // Files without field ids are read by the name mapping, where the table has one.
    const withoutFieldIds = nameMapping && footer && !footer.fieldIds ? footer.columns.map((c) => c.name) : undefined
    return { local: path, specId: f.specId, partition: f.partition, ...(withoutFieldIds ? { withoutFieldIds } : sameColumns(footer?.columns, expected) ? { schemaColumns: true } : {}) }
  })
  return readLakeFilesSql(files, plan.schema, metadata?.['partition-specs'] ?? [], nameMapping)
}

/** A top-level column of a Parquet file as DuckDB reads it by name: its name, field id, and type. */
interface FileColumn {
  readonly name: string
  readonly fieldId: number | undefined
  readonly type: string
}

/** What the engine keeps of a file's footer: its top-level columns, and whether any schema element has a field id. */
interface Footer {
  readonly columns: readonly FileColumn[]
  readonly fieldIds: boolean
}

/**
 * Per local file, its footer (a downloaded data file never changes: the lake writes new files and
 * never rewrites one). Kept for the process, the oldest dropped past a bound.
 */
const footerCache = new Map<string, Footer>()
const footersKept = 50_000

/** The footer of each file (read once per file). */
async function footersOf(conn: DuckDBConnection, local: readonly string[]): Promise<Map<string, Footer>> {
  const missing = [...new Set(local.filter((l) => !footerCache.has(l)))]
  if (missing.length > 0) {
    // The footer's schema elements depth first, each file's root first: a group's children follow it.
    const ids = new Map<string, { top: Array<{ name: string; fieldId: number | undefined }>; fieldIds: boolean }>()
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
      ids.set(String(rows[i]![0]), { top, fieldIds: rows.slice(i, end).some((r) => r[2] !== null) })
      i = end
    }
    for (const path of missing) {
      const types = (await conn.runAndReadAll(`SELECT * FROM read_parquet(${sqlString(path)}) LIMIT 0`)).columnTypes().map((t) => t.toString())
      const { top, fieldIds } = ids.get(path) ?? { top: [], fieldIds: false }
      // A column DuckDB does not show one for (none known) leaves the type empty: never the schema's.
      footerCache.set(path, { columns: top.map((c, k) => ({ ...c, type: top.length === types.length ? types[k]! : '' })), fieldIds })
    }
    for (const key of footerCache.keys()) {
      if (footerCache.size <= footersKept) break
      footerCache.delete(key)
    }
  }
  return new Map(local.flatMap((l) => { const f = footerCache.get(l); return f ? [[l, f] as const] : [] }))
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
