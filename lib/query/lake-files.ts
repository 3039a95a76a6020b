import type { DuckDBConnection } from '@duckdb/node-api'
import { ErrorCode, WorkbenchError, errorMessage } from '../errors/index'
import { readLakeFilesSql, sqlString, type NameMapping } from '../iceberg/duckdb-sql'
import type { TableMetadata } from '../iceberg/spec-types'
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
  const files = plan.files.map((f, i) => ({ local: local[i]!, specId: f.specId, partition: f.partition, ...(idless.has(local[i]!) ? { withoutFieldIds: idless.get(local[i]!)! } : {}) }))
  return readLakeFilesSql(files, plan.schema, metadata?.['partition-specs'] ?? [], nameMapping)
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
