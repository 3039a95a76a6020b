import { ErrorCode, WorkbenchError } from '../errors/index'
import type { NestedField, PartitionSpec, PrimitiveType, Schema, Snapshot, SortOrder, TableMetadata } from './spec-types'

/**
 * Table metadata as read from the REST catalog (or a metadata.json file parsed losslessly),
 * normalised: snapshot ids and sequence numbers become bigint whatever their size (lossless
 * parsing leaves small ones as numbers), and optional lists default to empty.
 * spec: https://iceberg.apache.org/spec/#table-metadata-fields
 */
export function parseTableMetadata(raw: unknown): TableMetadata {
  if (typeof raw !== 'object' || raw === null) throw invalid('table metadata is not a JSON object')
  const m = raw as Record<string, unknown>
  const version = Number(m['format-version'])
  if (version !== 1 && version !== 2 && version !== 3) throw invalid(`format-version ${String(m['format-version'])} is not 1, 2 or 3`)
  if (typeof m.location !== 'string') throw invalid('location is missing')
  const schemas = (m.schemas as Schema[] | undefined) ?? (m.schema ? [{ ...(m.schema as Schema), 'schema-id': (m.schema as Schema)['schema-id'] ?? 0 }] : [])
  const specs: PartitionSpec[] =
    (m['partition-specs'] as PartitionSpec[] | undefined) ?? (m['partition-spec'] ? [{ 'spec-id': 0, fields: m['partition-spec'] as PartitionSpec['fields'] }] : [{ 'spec-id': 0, fields: [] }])
  const snapshots = ((m.snapshots as Array<Record<string, unknown>> | undefined) ?? []).map(parseSnapshot)
  const refs: Record<string, TableMetadata['refs'][string]> = {}
  for (const [name, ref] of Object.entries((m.refs as Record<string, Record<string, unknown>> | undefined) ?? {})) {
    refs[name] = { ...(ref as object), 'snapshot-id': toBigInt(ref['snapshot-id'], 'refs.snapshot-id'), type: ref.type === 'tag' ? 'tag' : 'branch' }
  }
  const current = m['current-snapshot-id']
  const currentId = current === undefined || current === null || toBigInt(current, 'current-snapshot-id') === -1n ? undefined : toBigInt(current, 'current-snapshot-id')
  // v1 tables may have no refs: the current snapshot is then main.
  if (refs.main === undefined && currentId !== undefined) refs.main = { 'snapshot-id': currentId, type: 'branch' }
  return {
    'format-version': version,
    'table-uuid': String(m['table-uuid'] ?? ''),
    location: m.location,
    'last-sequence-number': m['last-sequence-number'] === undefined ? 0n : toBigInt(m['last-sequence-number'], 'last-sequence-number'),
    'last-updated-ms': Number(m['last-updated-ms'] ?? 0),
    'last-column-id': Number(m['last-column-id'] ?? 0),
    schemas,
    'current-schema-id': Number(m['current-schema-id'] ?? schemas[0]?.['schema-id'] ?? 0),
    'partition-specs': specs,
    'default-spec-id': Number(m['default-spec-id'] ?? specs[0]?.['spec-id'] ?? 0),
    'last-partition-id': Number(m['last-partition-id'] ?? 999),
    properties: (m.properties as Record<string, string> | undefined) ?? {},
    'current-snapshot-id': currentId,
    snapshots,
    'snapshot-log': ((m['snapshot-log'] as Array<Record<string, unknown>> | undefined) ?? []).map((e) => ({ 'snapshot-id': toBigInt(e['snapshot-id'], 'snapshot-log'), 'timestamp-ms': Number(e['timestamp-ms']) })),
    'metadata-log': (m['metadata-log'] as TableMetadata['metadata-log'] | undefined) ?? [],
    'sort-orders': (m['sort-orders'] as SortOrder[] | undefined) ?? [{ 'order-id': 0, fields: [] }],
    'default-sort-order-id': Number(m['default-sort-order-id'] ?? 0),
    refs,
  }
}

function parseSnapshot(s: Record<string, unknown>): Snapshot {
  const parent = s['parent-snapshot-id']
  const summary = (s.summary as Record<string, string> | undefined) ?? { operation: 'append' }
  return {
    ...(s as object),
    'snapshot-id': toBigInt(s['snapshot-id'], 'snapshot-id'),
    'parent-snapshot-id': parent === undefined || parent === null ? undefined : toBigInt(parent, 'parent-snapshot-id'),
    'sequence-number': s['sequence-number'] === undefined ? 0n : toBigInt(s['sequence-number'], 'sequence-number'),
    'timestamp-ms': Number(s['timestamp-ms']),
    'manifest-list': String(s['manifest-list'] ?? ''),
    summary: summary as Snapshot['summary'],
    'schema-id': s['schema-id'] === undefined ? undefined : Number(s['schema-id']),
  }
}

function toBigInt(v: unknown, what: string): bigint {
  if (typeof v === 'bigint') return v
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v)
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v)
  throw invalid(`${what} is not an integer: ${String(v)}`)
}

function invalid(message: string): WorkbenchError {
  return new WorkbenchError(ErrorCode.RecordInvalid, `Iceberg table metadata: ${message}`)
}

/** The snapshot the `main` branch points at, or undefined for a table with no data yet. */
export function currentSnapshot(meta: TableMetadata): Snapshot | undefined {
  const id = meta.refs.main?.['snapshot-id'] ?? meta['current-snapshot-id']
  return id === undefined ? undefined : snapshotById(meta, id)
}

/** The snapshot with this id; NOT_FOUND (naming the ids there are) when it was expired or never existed. */
export function snapshotById(meta: TableMetadata, id: bigint): Snapshot {
  const s = meta.snapshots.find((x) => x['snapshot-id'] === id)
  if (!s) {
    const known = meta.snapshots.slice(-5).map((x) => String(x['snapshot-id']))
    throw new WorkbenchError(ErrorCode.NotFound, `snapshot ${id} is not in the table (expired, or from another table); the latest are ${known.join(', ') || 'none'}`)
  }
  return s
}

/**
 * The snapshot that was current at `timestampMs` (time travel `AS OF`), from the snapshot log:
 * the last entry at or before the time. NOT_FOUND when the table had no snapshot yet then.
 */
export function snapshotAsOf(meta: TableMetadata, timestampMs: number): Snapshot {
  let found: bigint | undefined
  for (const e of meta['snapshot-log']) if (e['timestamp-ms'] <= timestampMs) found = e['snapshot-id']
  if (found === undefined) {
    const first = meta['snapshot-log'][0]
    throw new WorkbenchError(
      ErrorCode.NotFound,
      `the table had no snapshot at ${new Date(timestampMs).toISOString()}; its history starts at ${first ? new Date(first['timestamp-ms']).toISOString() : 'no snapshot at all'}`,
    )
  }
  return snapshotById(meta, found)
}

/** The snapshot and its ancestors, newest first, as far as they are still in the metadata. */
export function ancestorsOf(meta: TableMetadata, snapshot: Snapshot | undefined): Snapshot[] {
  const byId = new Map(meta.snapshots.map((s) => [s['snapshot-id'], s]))
  const out: Snapshot[] = []
  let s = snapshot
  while (s) {
    out.push(s)
    s = s['parent-snapshot-id'] === undefined ? undefined : byId.get(s['parent-snapshot-id'])
  }
  return out
}

/** The schema with this id (default: the current schema). */
export function schemaById(meta: TableMetadata, id: number = meta['current-schema-id']): Schema {
  const s = meta.schemas.find((x) => x['schema-id'] === id)
  if (!s) throw invalid(`schema ${id} is not in the table's schemas`)
  return s
}

/** The partition spec with this id (default: the table's default spec). */
export function specById(meta: TableMetadata, id: number = meta['default-spec-id']): PartitionSpec {
  const s = meta['partition-specs'].find((x) => x['spec-id'] === id)
  if (!s) throw invalid(`partition spec ${id} is not in the table's specs`)
  return s
}

/** Top-level and nested fields by id (for bounds, which are keyed by field id). */
export function fieldsById(schema: Schema): Map<number, NestedField> {
  const out = new Map<number, NestedField>()
  const visit = (fields: readonly NestedField[]): void => {
    for (const f of fields) {
      out.set(f.id, f)
      const t = f.type
      if (typeof t === 'object' && t.type === 'struct') visit(t.fields)
      if (typeof t === 'object' && t.type === 'list') out.set(t['element-id'], { id: t['element-id'], name: 'element', required: t['element-required'], type: t.element })
      if (typeof t === 'object' && t.type === 'map') {
        out.set(t['key-id'], { id: t['key-id'], name: 'key', required: true, type: t.key })
        out.set(t['value-id'], { id: t['value-id'], name: 'value', required: t['value-required'], type: t.value })
      }
    }
  }
  visit(schema.fields)
  return out
}

/** A partition field with its result type: what manifests store in `data_file.partition`. */
export interface PartitionFieldType {
  readonly id: number
  readonly name: string
  readonly sourceId: number
  readonly transform: string
  readonly sourceType: PrimitiveType
  readonly type: PrimitiveType
}

/**
 * The partition tuple's fields for a spec over a schema (spec: Partitioning — "the partition
 * struct"), with each transform's result type.
 */
export function partitionType(schema: Schema, spec: PartitionSpec, resultType: (transform: string, sourceType: PrimitiveType) => PrimitiveType): PartitionFieldType[] {
  const fields = fieldsById(schema)
  return spec.fields.map((f) => {
    const source = fields.get(f['source-id'])
    const sourceType = source && typeof source.type === 'string' ? source.type : 'unknown'
    return { id: f['field-id'], name: f.name, sourceId: f['source-id'], transform: f.transform, sourceType, type: sourceType === 'unknown' ? 'int' : resultType(f.transform, sourceType) }
  })
}
