import * as avro from 'avsc'
import { bigintLong } from '../avro/avsc-types'
import { createObjectContainerReader, writeObjectContainer } from '../avro/object-container'
import { decodeTwosComplement, twosComplementLength, writeTwosComplement } from '../avro/twos-complement'
import { ErrorCode, WorkbenchError, errorMessage } from '../errors/index'
import { avroName, manifestEntrySchema, manifestFileSchema, type PartitionTupleField } from './manifest-schemas'
import { compareValues, encodeSingleValue, type SingleValue } from './single-value'
import { EntryStatus, FileContent, ManifestContent } from './spec-types'
import type { DataFile, ManifestEntry, ManifestFile, PartitionFieldSummary, PartitionSpec, PartitionValue, PrimitiveType, Schema } from './spec-types'

/**
 * Iceberg manifests and manifest lists as Avro object container files, both ways: the mapping
 * between their Avro records and the camelCase types of `spec-types`. Pure: the schemas are in
 * `manifest-schemas`, the file layout is lib/avro's `object-container`, no IO. Writes format v2
 * as the Java library does (same Avro schemas, field ids, record names and header keys); reads
 * v1 and v2 files from Spark, the Iceberg Java API, Athena and the workbench itself. Every long
 * is a bigint, so 63-bit snapshot ids are exact.
 */

export type { PartitionTupleField } from './manifest-schemas'

/** What `encodeManifest` writes: the entries of one manifest and the table state they belong to. */
export interface ManifestWriteOptions {
  /** The table schema the entries were written with; stored as the `schema` header. */
  readonly schema: Schema
  /** The partition spec of every entry; stored as the `partition-spec` and `partition-spec-id` headers. */
  readonly spec: PartitionSpec
  /** The result type of each of `spec`'s fields, in spec order. */
  readonly partitionType: readonly PartitionTupleField[]
  readonly content: ManifestContent
  readonly formatVersion: 2
  readonly entries: readonly ManifestEntry[]
}

/** What `encodeManifestList` writes: the manifests of one snapshot. */
export interface ManifestListWriteOptions {
  readonly snapshotId: bigint
  readonly parentSnapshotId?: bigint
  /** The snapshot's sequence number; manifests written for this commit with sequence number -1 take it. */
  readonly sequenceNumber: bigint
  readonly formatVersion: 2
  readonly manifests: readonly ManifestFile[]
}

/** A decoded manifest: its header metadata (every key, UTF-8) and its entries as written (nothing inherited yet). */
export interface DecodedManifest {
  readonly metadata: Record<string, string>
  readonly entries: ManifestEntry[]
}

/** A manifest entry with its snapshot id and sequence numbers resolved (see `inheritEntry`). */
export type InheritedManifestEntry = ManifestEntry & { readonly snapshotId: bigint; readonly sequenceNumber: bigint; readonly fileSequenceNumber: bigint }

// --- Avro types ---------------------------------------------------------------------------------

/** What avsc passes a logical type's constructor. */
type LogicalSchema = ConstructorParameters<typeof avro.types.LogicalType>[0]

/**
 * Avro `decimal` (on fixed, as Iceberg writes it, or on bytes) ↔ the unscaled value as bigint:
 * a partition tuple keeps decimals unscaled. Layout: two's complement, big-endian, sign-extended
 * to the fixed size (https://avro.apache.org/docs/1.11.1/specification/#decimal).
 */
class UnscaledDecimalType extends avro.types.LogicalType {
  private readonly size: number | undefined

  constructor(schema: LogicalSchema, opts?: object) {
    super(schema, opts)
    const underlying = this.underlyingType
    this.size = underlying instanceof avro.types.FixedType ? underlying.size : undefined
  }

  /** Empty bytes (possible on `bytes`, never on a fixed) are refused: see lib/avro's twos-complement. */
  protected override _fromValue(bytes: Buffer): bigint {
    return decodeTwosComplement(bytes)
  }

  /** undefined tells avsc the value does not fit (it then names the field). */
  protected override _toValue(value: unknown): Buffer | undefined {
    if (typeof value !== 'bigint') return undefined
    const length = twosComplementLength(value)
    if (this.size !== undefined && length > this.size) return undefined
    const out = Buffer.alloc(this.size ?? length)
    writeTwosComplement(value, out, 0, out.length)
    return out
  }
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Avro `uuid` (on fixed[16], as Iceberg writes it, or on string) ↔ the canonical lowercase
 * string, the form `single-value` gives uuids. Writes also take the 16 bytes.
 */
class UuidType extends avro.types.LogicalType {
  private readonly onFixed: boolean

  constructor(schema: LogicalSchema, opts?: object) {
    super(schema, opts)
    this.onFixed = this.underlyingType instanceof avro.types.FixedType
  }

  protected override _fromValue(value: Buffer | string): string {
    return typeof value === 'string' ? value.toLowerCase() : formatUuid(value)
  }

  protected override _toValue(value: unknown): Buffer | string | undefined {
    const bytes =
      value instanceof Uint8Array && value.length === 16 ? toBuffer(value) : typeof value === 'string' && uuidPattern.test(value) ? Buffer.from(value.replace(/-/g, ''), 'hex') : undefined
    if (bytes === undefined) return undefined
    return this.onFixed ? bytes : formatUuid(bytes)
  }
}

/** Every long (timestamps too) is a bigint. */
function typeHook(schema: unknown): avro.Type | undefined {
  const type = typeof schema === 'object' && schema !== null && !Array.isArray(schema) ? (schema as { type?: unknown }).type : schema
  return type === 'long' ? bigintLong : undefined
}

function createType(schema: unknown, what: string): avro.Type {
  try {
    return avro.Type.forSchema(schema as avro.schema.AvroSchema, { typeHook, logicalTypes: { decimal: UnscaledDecimalType, uuid: UuidType } })
  } catch (err) {
    throw new WorkbenchError(ErrorCode.SchemaIncompatible, `${what}: the Avro schema is not usable: ${errorMessage(err)}`, false, { cause: err })
  }
}

const manifestFileType = createType(manifestFileSchema, 'manifest_file schema')

/** Manifests and manifest lists are read with the same hooks and logical types as they are written. */
const containers = createObjectContainerReader(createType)

// --- manifests ----------------------------------------------------------------------------------

interface AvroKeyValue<V> {
  key: number
  value: V
}

/** A `data_file` as Avro decodes it; fields a v1 writer leaves out are optional. */
interface AvroDataFile {
  content?: number
  file_path: string
  file_format: string
  partition: Record<string, unknown>
  record_count: bigint
  file_size_in_bytes: bigint
  column_sizes?: AvroIntMap<bigint> | null
  value_counts?: AvroIntMap<bigint> | null
  null_value_counts?: AvroIntMap<bigint> | null
  nan_value_counts?: AvroIntMap<bigint> | null
  lower_bounds?: AvroIntMap<Buffer> | null
  upper_bounds?: AvroIntMap<Buffer> | null
  key_metadata?: Buffer | null
  split_offsets?: bigint[] | null
  equality_ids?: number[] | null
  sort_order_id?: number | null
  referenced_data_file?: string | null
}

/** An Iceberg int-keyed map: key/value records (as Iceberg writes it) or, from other writers, an Avro map. */
type AvroIntMap<V> = ReadonlyArray<AvroKeyValue<V>> | Readonly<Record<string, V>>

interface AvroManifestEntry {
  status: number
  snapshot_id?: bigint | null
  sequence_number?: bigint | null
  file_sequence_number?: bigint | null
  data_file: AvroDataFile
}

/**
 * Encodes one manifest (the layout is above `manifestEntrySchema` in manifest-schemas) with the header keys Java
 * writes — `schema`, `schema-id`, `partition-spec`, `partition-spec-id`, `format-version` "2",
 * `content` "data" or "deletes" — deflate-compressed. Throws RECORD_INVALID naming the entry
 * and field of any value that does not fit, and for a data file in a delete manifest or back.
 */
export async function encodeManifest(opts: ManifestWriteOptions): Promise<Uint8Array> {
  const { schema, spec, partitionType, content, entries } = opts
  if (opts.formatVersion !== 2) throw new WorkbenchError(ErrorCode.SchemaIncompatible, `manifests are written as format version 2, got ${String(opts.formatVersion)}`)
  if (content !== ManifestContent.Data && content !== ManifestContent.Deletes) throw new WorkbenchError(ErrorCode.RecordInvalid, `manifest content must be 0 (data) or 1 (deletes), got ${String(content)}`)
  checkPartitionType(spec, partitionType)
  const names = partitionType.map((field) => avroName(field.name))
  const avroSchema = manifestEntrySchema(partitionType)
  const records = entries.map((entry, i) => toAvroManifestEntry(entry, content, partitionType, names, i))
  const meta: Record<string, string> = {
    schema: JSON.stringify(schema),
    'schema-id': String(schema['schema-id']),
    'partition-spec': JSON.stringify(spec.fields.map((f) => ({ name: f.name, transform: f.transform, 'source-id': f['source-id'], 'field-id': f['field-id'] }))),
    'partition-spec-id': String(spec['spec-id']),
    'format-version': '2',
    content: content === ManifestContent.Deletes ? 'deletes' : 'data',
  }
  return writeObjectContainer(records, { schema: avroSchema, type: createType(avroSchema, 'manifest_entry schema'), meta, what: 'manifest' })
}

/**
 * Decodes a manifest written by any v1 or v2 writer, with the schema in its header. Entries are
 * as written: inherited snapshot ids and sequence numbers are `undefined` (see `inheritEntry`);
 * v1 files have no sequence numbers and only data files (content 0). Partition tuples are in
 * spec order (the order of the writer's partition record) as `PartitionValue`s: decimals
 * unscaled (bigint), uuids as canonical strings, binary and fixed as Uint8Array.
 */
export async function decodeManifest(bytes: Uint8Array): Promise<DecodedManifest> {
  const { meta, type, records } = containers.read(bytes, 'manifest')
  const dataFileType = recordField(type, 'data_file')
  const partitionType = dataFileType && recordField(dataFileType, 'partition')
  if (!(partitionType instanceof avro.types.RecordType)) {
    throw new WorkbenchError(ErrorCode.RecordInvalid, `manifest: the writer schema has no data_file.partition record; is this a manifest list? (avro.schema record ${JSON.stringify(type.name ?? type.typeName)})`)
  }
  const partitionNames = partitionType.fields.map((f) => f.name)
  return { metadata: meta, entries: records.map((r) => fromAvroManifestEntry(r as AvroManifestEntry, partitionNames)) }
}

function recordField(type: avro.Type, name: string): avro.Type | undefined {
  return type instanceof avro.types.RecordType ? type.field(name)?.type : undefined
}

function checkPartitionType(spec: PartitionSpec, partitionType: readonly PartitionTupleField[]): void {
  const specIds = spec.fields.map((f) => f['field-id']).join(', ')
  const typeIds = partitionType.map((f) => f.id).join(', ')
  if (specIds !== typeIds) {
    throw new WorkbenchError(ErrorCode.SchemaIncompatible, `partitionType must list spec ${spec['spec-id']}'s fields in order: expected field ids [${specIds}], got [${typeIds}]`)
  }
}

function toAvroManifestEntry(entry: ManifestEntry, content: ManifestContent, partitionType: readonly PartitionTupleField[], names: readonly string[], index: number): AvroManifestEntry {
  const file = entry.dataFile
  const what = `manifest entry ${index} (${file.filePath})`
  const isDelete = file.content !== FileContent.Data
  if (isDelete !== (content === ManifestContent.Deletes)) {
    throw new WorkbenchError(ErrorCode.RecordInvalid, `${what} has file content ${file.content} but the manifest holds ${content === ManifestContent.Deletes ? 'deletes (content 1 or 2)' : 'data (content 0)'}: write data and delete files to separate manifests`)
  }
  if (file.partition.length !== partitionType.length) {
    throw new WorkbenchError(ErrorCode.RecordInvalid, `${what} has ${file.partition.length} partition values; the spec has ${partitionType.length} fields`)
  }
  const partition: Record<string, unknown> = {}
  partitionType.forEach((field, i) => {
    partition[names[i] ?? ''] = toAvroPartitionValue(field, file.partition[i] ?? null, what)
  })
  return {
    status: entry.status,
    snapshot_id: entry.snapshotId ?? null,
    sequence_number: entry.sequenceNumber ?? null,
    file_sequence_number: entry.fileSequenceNumber ?? null,
    data_file: {
      content: file.content,
      file_path: file.filePath,
      file_format: file.fileFormat,
      partition,
      record_count: file.recordCount,
      file_size_in_bytes: file.fileSizeInBytes,
      column_sizes: toAvroIntMap(file.columnSizes, (v) => v),
      value_counts: toAvroIntMap(file.valueCounts, (v) => v),
      null_value_counts: toAvroIntMap(file.nullValueCounts, (v) => v),
      nan_value_counts: toAvroIntMap(file.nanValueCounts, (v) => v),
      lower_bounds: toAvroIntMap(file.lowerBounds, toBuffer),
      upper_bounds: toAvroIntMap(file.upperBounds, toBuffer),
      key_metadata: null,
      split_offsets: file.splitOffsets ? [...file.splitOffsets] : null,
      equality_ids: file.equalityIds ? [...file.equalityIds] : null,
      sort_order_id: file.sortOrderId ?? null,
    },
  }
}

function toAvroIntMap<V, A>(map: ReadonlyMap<number, V> | undefined, convert: (value: V) => A): Array<AvroKeyValue<A>> | null {
  if (map === undefined) return null
  const pairs: Array<AvroKeyValue<A>> = []
  for (const [key, value] of map) pairs.push({ key, value: convert(value) })
  return pairs
}

/** What JS value each partition type takes (see `PartitionValue`). */
function partitionValueKind(type: PrimitiveType): 'int' | 'bigint' | 'float' | 'boolean' | 'string' | 'uuid' | 'bytes' {
  if (type === 'int' || type === 'date') return 'int'
  if (type === 'long' || type.startsWith('time') || type.startsWith('decimal')) return 'bigint'
  if (type === 'float' || type === 'double') return 'float'
  if (type === 'boolean' || type === 'string' || type === 'uuid') return type
  return 'bytes' // binary, fixed[L]
}

function toAvroPartitionValue(field: PartitionTupleField, value: PartitionValue, what: string): unknown {
  if (value === null) return null
  const kind = partitionValueKind(field.type)
  const ok =
    kind === 'int'
      ? typeof value === 'number' && Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff
      : kind === 'bigint'
        ? typeof value === 'bigint'
        : kind === 'float'
          ? typeof value === 'number'
          : kind === 'bytes'
            ? value instanceof Uint8Array
            : kind === 'uuid'
              ? (typeof value === 'string' && uuidPattern.test(value)) || (value instanceof Uint8Array && value.length === 16)
              : typeof value === kind
  if (!ok) {
    const expected = { int: 'a 32-bit integer number', bigint: 'a bigint', float: 'a number', boolean: 'a boolean', string: 'a string', uuid: 'a uuid string (or its 16 bytes)', bytes: 'a Uint8Array' }[kind]
    const shown = typeof value === 'bigint' ? `${value}n` : value instanceof Uint8Array ? `${value.length} bytes` : JSON.stringify(value)
    throw new WorkbenchError(ErrorCode.RecordInvalid, `${what}: partition field ${field.name} (${field.type}) takes ${expected}${field.type.startsWith('decimal') ? ' (the unscaled value)' : ''} or null, got ${typeof value} ${shown}`)
  }
  return value instanceof Uint8Array && kind !== 'uuid' ? toBuffer(value) : value
}

function fromAvroManifestEntry(r: AvroManifestEntry, partitionNames: readonly string[]): ManifestEntry {
  const f = r.data_file
  const what = `manifest entry for ${f.file_path}`
  if (r.status !== EntryStatus.Existing && r.status !== EntryStatus.Added && r.status !== EntryStatus.Deleted) {
    throw new WorkbenchError(ErrorCode.RecordInvalid, `${what} has status ${r.status}; expected 0 (EXISTING), 1 (ADDED) or 2 (DELETED)`)
  }
  const content = f.content ?? FileContent.Data
  if (content !== FileContent.Data && content !== FileContent.PositionDeletes && content !== FileContent.EqualityDeletes) {
    throw new WorkbenchError(ErrorCode.RecordInvalid, `${what} has content ${content}; expected 0 (data), 1 (position deletes) or 2 (equality deletes)`)
  }
  const format = f.file_format.toUpperCase()
  // PUFFIN holds v3 deletion vectors: position deletes, which the scan then refuses as deletes.
  if (format === 'PUFFIN' && content !== FileContent.PositionDeletes) {
    throw new WorkbenchError(ErrorCode.RecordInvalid, `${what} is a PUFFIN file with content ${content}; PUFFIN holds deletion vectors (content 1), not data or equality deletes`)
  }
  if (format !== 'PARQUET' && format !== 'AVRO' && format !== 'ORC' && format !== 'PUFFIN') {
    throw new WorkbenchError(ErrorCode.RecordInvalid, `${what} has file_format ${JSON.stringify(f.file_format)}; the workbench reads PARQUET, AVRO and ORC files (and PUFFIN deletion vectors, to refuse them)`)
  }
  const dataFile: DataFile = {
    content,
    filePath: f.file_path,
    fileFormat: format,
    partition: partitionNames.map((name) => fromAvroPartitionValue(f.partition[name], name, what)),
    recordCount: f.record_count,
    fileSizeInBytes: f.file_size_in_bytes,
    ...optionalMap('columnSizes', f.column_sizes, (v: bigint) => v),
    ...optionalMap('valueCounts', f.value_counts, (v: bigint) => v),
    ...optionalMap('nullValueCounts', f.null_value_counts, (v: bigint) => v),
    ...optionalMap('nanValueCounts', f.nan_value_counts, (v: bigint) => v),
    ...optionalMap('lowerBounds', f.lower_bounds, copyBytes),
    ...optionalMap('upperBounds', f.upper_bounds, copyBytes),
    ...(f.split_offsets ? { splitOffsets: [...f.split_offsets] } : {}),
    ...(f.equality_ids ? { equalityIds: [...f.equality_ids] } : {}),
    ...(typeof f.sort_order_id === 'number' ? { sortOrderId: f.sort_order_id } : {}),
    ...(typeof f.referenced_data_file === 'string' ? { referencedDataFile: f.referenced_data_file } : {}),
  }
  return {
    status: r.status,
    ...(typeof r.snapshot_id === 'bigint' ? { snapshotId: r.snapshot_id } : {}),
    ...(typeof r.sequence_number === 'bigint' ? { sequenceNumber: r.sequence_number } : {}),
    ...(typeof r.file_sequence_number === 'bigint' ? { fileSequenceNumber: r.file_sequence_number } : {}),
    dataFile,
  }
}

function optionalMap<K extends string, A, V>(key: K, map: AvroIntMap<A> | null | undefined, convert: (value: A) => V): { [P in K]?: ReadonlyMap<number, V> } {
  if (map === null || map === undefined) return {}
  const out = new Map<number, V>()
  if (Array.isArray(map)) {
    for (const pair of map as ReadonlyArray<AvroKeyValue<A>>) out.set(pair.key, convert(pair.value))
  } else {
    for (const [k, v] of Object.entries(map as Readonly<Record<string, A>>)) out.set(Number(k), convert(v))
  }
  return { [key]: out } as unknown as { [P in K]?: ReadonlyMap<number, V> }
}

function fromAvroPartitionValue(value: unknown, name: string, what: string): PartitionValue {
  if (value === null || value === undefined) return null
  if (Buffer.isBuffer(value)) return copyBytes(value)
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string' || typeof value === 'boolean') return value
  throw new WorkbenchError(ErrorCode.RecordInvalid, `${what}: partition field ${name} holds a ${typeof value}; expected a primitive value`)
}

// --- manifest lists -----------------------------------------------------------------------------

/** A `manifest_file` as Avro decodes it. v1 writers leave out content and the sequence numbers and name the counts `*_data_files_count`. */
interface AvroManifestFile {
  manifest_path: string
  manifest_length: bigint
  partition_spec_id: number
  content?: number
  sequence_number?: bigint
  min_sequence_number?: bigint
  added_snapshot_id: bigint
  added_files_count?: number | null
  existing_files_count?: number | null
  deleted_files_count?: number | null
  added_data_files_count?: number | null
  existing_data_files_count?: number | null
  deleted_data_files_count?: number | null
  added_rows_count?: bigint | null
  existing_rows_count?: bigint | null
  deleted_rows_count?: bigint | null
  partitions?: AvroPartitionSummary[] | null
  key_metadata?: Buffer | null
}

interface AvroPartitionSummary {
  contains_null: boolean
  contains_nan?: boolean | null
  lower_bound?: Buffer | null
  upper_bound?: Buffer | null
}

/**
 * Encodes one snapshot's manifest list (the layout is above `manifestFileSchema` in manifest-schemas) with the
 * header keys Java writes: `snapshot-id`, `parent-snapshot-id` ("null" when there is none),
 * `sequence-number`, `format-version` "2". A manifest written for this commit may carry
 * sequence number -1 (unassigned): it is written as `sequenceNumber`, as Java does.
 */
export async function encodeManifestList(opts: ManifestListWriteOptions): Promise<Uint8Array> {
  if (opts.formatVersion !== 2) throw new WorkbenchError(ErrorCode.SchemaIncompatible, `manifest lists are written as format version 2, got ${String(opts.formatVersion)}`)
  const records = opts.manifests.map((m) => toAvroManifestFile(m, opts))
  const meta: Record<string, string> = {
    'snapshot-id': opts.snapshotId.toString(),
    'parent-snapshot-id': opts.parentSnapshotId === undefined ? 'null' : opts.parentSnapshotId.toString(),
    'sequence-number': opts.sequenceNumber.toString(),
    'format-version': '2',
  }
  return writeObjectContainer(records, { schema: manifestFileSchema, type: manifestFileType, meta, what: `manifest list of snapshot ${opts.snapshotId}` })
}

/** Decodes a manifest list of any v1 or v2 writer. v1 lists have no content or sequence numbers: data, 0. */
export async function decodeManifestList(bytes: Uint8Array): Promise<ManifestFile[]> {
  const { type, records } = containers.read(bytes, 'manifest list')
  if (!(type instanceof avro.types.RecordType) || type.field('manifest_path') === undefined) {
    throw new WorkbenchError(ErrorCode.RecordInvalid, `manifest list: the writer schema has no manifest_path field; is this a manifest? (avro.schema record ${JSON.stringify(type.name ?? type.typeName)})`)
  }
  return records.map((r) => fromAvroManifestFile(r as AvroManifestFile))
}

function toAvroManifestFile(m: ManifestFile, list: ManifestListWriteOptions): AvroManifestFile {
  const assigned = (n: bigint, field: string): bigint => {
    if (n !== -1n) return n
    if (m.addedSnapshotId !== list.snapshotId) {
      throw new WorkbenchError(ErrorCode.RecordInvalid, `manifest ${m.manifestPath} has an unassigned ${field} (-1) but was added by snapshot ${m.addedSnapshotId}, not ${list.snapshotId}: only this commit's own manifests take its sequence number`)
    }
    return list.sequenceNumber
  }
  return {
    manifest_path: m.manifestPath,
    manifest_length: m.manifestLength,
    partition_spec_id: m.partitionSpecId,
    content: m.content,
    sequence_number: assigned(m.sequenceNumber, 'sequence_number'),
    min_sequence_number: assigned(m.minSequenceNumber, 'min_sequence_number'),
    added_snapshot_id: m.addedSnapshotId,
    added_files_count: m.addedFilesCount,
    existing_files_count: m.existingFilesCount,
    deleted_files_count: m.deletedFilesCount,
    added_rows_count: m.addedRowsCount,
    existing_rows_count: m.existingRowsCount,
    deleted_rows_count: m.deletedRowsCount,
    partitions: m.partitions
      ? m.partitions.map((p) => ({
          contains_null: p.containsNull,
          contains_nan: p.containsNan ?? null,
          lower_bound: p.lowerBound ? toBuffer(p.lowerBound) : null,
          upper_bound: p.upperBound ? toBuffer(p.upperBound) : null,
        }))
      : null,
    key_metadata: m.keyMetadata ? toBuffer(m.keyMetadata) : null,
  }
}

function fromAvroManifestFile(r: AvroManifestFile): ManifestFile {
  const content = r.content ?? ManifestContent.Data
  if (content !== ManifestContent.Data && content !== ManifestContent.Deletes) {
    throw new WorkbenchError(ErrorCode.RecordInvalid, `manifest list entry ${r.manifest_path} has content ${content}; expected 0 (data) or 1 (deletes)`)
  }
  return {
    manifestPath: r.manifest_path,
    manifestLength: r.manifest_length,
    partitionSpecId: r.partition_spec_id,
    content,
    sequenceNumber: r.sequence_number ?? 0n,
    minSequenceNumber: r.min_sequence_number ?? 0n,
    addedSnapshotId: r.added_snapshot_id,
    // v1 counts are optional (unknown); 0 is what a reader can safely assume of them.
    addedFilesCount: r.added_files_count ?? r.added_data_files_count ?? 0,
    existingFilesCount: r.existing_files_count ?? r.existing_data_files_count ?? 0,
    deletedFilesCount: r.deleted_files_count ?? r.deleted_data_files_count ?? 0,
    addedRowsCount: r.added_rows_count ?? 0n,
    existingRowsCount: r.existing_rows_count ?? 0n,
    deletedRowsCount: r.deleted_rows_count ?? 0n,
    ...(r.partitions ? { partitions: r.partitions.map(fromAvroPartitionSummary) } : {}),
    ...(r.key_metadata ? { keyMetadata: copyBytes(r.key_metadata) } : {}),
  }
}

function fromAvroPartitionSummary(p: AvroPartitionSummary): PartitionFieldSummary {
  return {
    containsNull: p.contains_null,
    ...(typeof p.contains_nan === 'boolean' ? { containsNan: p.contains_nan } : {}),
    ...(p.lower_bound ? { lowerBound: copyBytes(p.lower_bound) } : {}),
    ...(p.upper_bound ? { upperBound: copyBytes(p.upper_bound) } : {}),
  }
}

// --- inheritance and summaries ------------------------------------------------------------------

const statusNames = ['EXISTING', 'ADDED', 'DELETED']

/**
 * The entry with what it inherits from its manifest list entry filled in
 * (https://iceberg.apache.org/spec/#sequence-number-inheritance and #snapshot-id-inheritance):
 * a null snapshot id is the manifest's `addedSnapshotId`; null sequence numbers of an ADDED
 * entry are the manifest's sequence number. In v1 manifests (sequence number 0) every entry's
 * sequence numbers are 0. An EXISTING entry with a data sequence number but no file sequence
 * number (older v2 writers) gets the data sequence number for both. Throws RECORD_INVALID for a
 * non-ADDED entry with no sequence number, or a manifest whose own number is still unassigned (-1).
 */
export function inheritEntry(entry: ManifestEntry, manifest: ManifestFile): InheritedManifestEntry {
  const where = `${statusNames[entry.status] ?? entry.status} entry for ${entry.dataFile.filePath} in ${manifest.manifestPath}`
  const inherit = (own: bigint | undefined, field: string): bigint | undefined => {
    if (own !== undefined) return own
    if (manifest.sequenceNumber === 0n) return 0n
    if (entry.status !== EntryStatus.Added) return undefined
    if (manifest.sequenceNumber < 0n) {
      throw new WorkbenchError(ErrorCode.RecordInvalid, `${where} inherits its ${field}, but the manifest's sequence number is unassigned (${manifest.sequenceNumber}): read manifests through a committed manifest list`)
    }
    return manifest.sequenceNumber
  }
  const sequenceNumber = inherit(entry.sequenceNumber, 'sequence_number')
  if (sequenceNumber === undefined) {
    throw new WorkbenchError(ErrorCode.RecordInvalid, `${where} has no sequence_number: only ADDED entries inherit the manifest's (spec: Sequence Number Inheritance); the manifest is corrupt`)
  }
  const fileSequenceNumber = inherit(entry.fileSequenceNumber, 'file_sequence_number') ?? sequenceNumber
  return { ...entry, snapshotId: entry.snapshotId ?? manifest.addedSnapshotId, sequenceNumber, fileSequenceNumber }
}

/**
 * The manifest list's per-partition-field summary of `entries`, as Java's ManifestWriter computes
 * it over every entry it writes (ADDED, EXISTING and DELETED): whether any value is null, whether
 * any is NaN (always a boolean, false for non-float fields), and the lowest and highest other
 * values in the single-value binary encoding (absent when there are none).
 */
export function manifestPartitionSummaries(partitionType: readonly PartitionTupleField[], entries: readonly ManifestEntry[]): PartitionFieldSummary[] {
  return partitionType.map((field, i) => {
    let containsNull = false
    let containsNan = false
    let lower: SingleValue | undefined
    let upper: SingleValue | undefined
    for (const entry of entries) {
      const value = entry.dataFile.partition[i]
      if (value === undefined) {
        throw new WorkbenchError(ErrorCode.RecordInvalid, `${entry.dataFile.filePath} has ${entry.dataFile.partition.length} partition values; the spec has ${partitionType.length} fields`)
      }
      if (value === null) containsNull = true
      else if (typeof value === 'number' && Number.isNaN(value)) containsNan = true
      else {
        if (lower === undefined || compareValues(field.type, value, lower) < 0) lower = value
        if (upper === undefined || compareValues(field.type, value, upper) > 0) upper = value
      }
    }
    return {
      containsNull,
      containsNan,
      ...(lower === undefined ? {} : { lowerBound: encodeSingleValue(field.type, lower) }),
      ...(upper === undefined ? {} : { upperBound: encodeSingleValue(field.type, upper) }),
    }
  })
}

// --- bytes --------------------------------------------------------------------------------------

/** A view of `bytes` as a Buffer (no copy), what avsc takes for bytes and fixed. */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** A plain Uint8Array copy: decoded values must not pin the whole decompressed block. */
function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes)
}

function formatUuid(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
