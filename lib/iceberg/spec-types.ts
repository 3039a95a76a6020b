/**
 * Apache Iceberg table format types, as the spec and the REST catalog write them in JSON
 * (https://iceberg.apache.org/spec/). Pure types: no IO here.
 *
 * 64-bit ids (snapshot ids, sequence numbers) are `bigint` once metadata has been normalised by
 * `parseTableMetadata`; JSON.parse would round them (snapshot ids are random 63-bit numbers).
 */

/**
 * A primitive type name: `boolean`, `int`, `long`, `float`, `double`, `date`, `time`,
 * `timestamp`, `timestamptz`, `timestamp_ns`, `timestamptz_ns`, `string`, `uuid`, `binary`,
 * `fixed[L]`, `decimal(P, S)` (spec: Primitive Types).
 */
export type PrimitiveType = string

/** spec: Nested Types — struct. */
export interface StructType {
  readonly type: 'struct'
  readonly fields: readonly NestedField[]
}

/** spec: Nested Types — list. */
export interface ListType {
  readonly type: 'list'
  readonly 'element-id': number
  readonly element: IcebergType
  readonly 'element-required': boolean
}

/** spec: Nested Types — map. */
export interface MapType {
  readonly type: 'map'
  readonly 'key-id': number
  readonly key: IcebergType
  readonly 'value-id': number
  readonly value: IcebergType
  readonly 'value-required': boolean
}

export type IcebergType = PrimitiveType | StructType | ListType | MapType

/** A field of a struct; its `id` is what data files carry, so renames never break reads. */
export interface NestedField {
  readonly id: number
  readonly name: string
  readonly required: boolean
  readonly type: IcebergType
  readonly doc?: string
  /** v3: the value of this column in rows of files written before it was added (JSON single-value form). */
  readonly 'initial-default'?: unknown
  /** v3: the value writers use when they are given none. */
  readonly 'write-default'?: unknown
}

/** spec: Schemas. */
export interface Schema extends StructType {
  readonly 'schema-id': number
  readonly 'identifier-field-ids'?: readonly number[]
}

/**
 * Partition transforms (spec: Partition Transforms): `identity`, `bucket[N]`, `truncate[W]`,
 * `year`, `month`, `day`, `hour`, `void`.
 */
export type Transform = string

/** spec: Partition Specs. */
export interface PartitionField {
  readonly 'source-id': number
  readonly 'field-id': number
  readonly name: string
  readonly transform: Transform
}

export interface PartitionSpec {
  readonly 'spec-id': number
  readonly fields: readonly PartitionField[]
}

/** spec: Sort Orders. */
export interface SortField {
  readonly transform: Transform
  readonly 'source-id': number
  readonly direction: 'asc' | 'desc'
  readonly 'null-order': 'nulls-first' | 'nulls-last'
}

export interface SortOrder {
  readonly 'order-id': number
  readonly fields: readonly SortField[]
}

/** The operation of a snapshot (spec: Snapshots, summary `operation`). */
export type SnapshotOperation = 'append' | 'replace' | 'overwrite' | 'delete'

/** A snapshot summary: `operation` plus string properties (standard keys and our own). */
export type SnapshotSummary = { readonly operation: SnapshotOperation } & Readonly<Record<string, string>>

/** spec: Snapshots. */
export interface Snapshot {
  readonly 'snapshot-id': bigint
  readonly 'parent-snapshot-id'?: bigint
  readonly 'sequence-number': bigint
  readonly 'timestamp-ms': number
  /** '' when a v1 writer embedded the manifest paths in `manifests` instead. */
  readonly 'manifest-list': string
  /** v1 only: the snapshot's manifest files, listed in the metadata instead of a manifest list. */
  readonly manifests?: readonly string[]
  readonly summary: SnapshotSummary
  readonly 'schema-id'?: number
}

/** spec: Snapshot References. */
export interface SnapshotRef {
  readonly 'snapshot-id': bigint
  readonly type: 'branch' | 'tag'
  readonly 'max-ref-age-ms'?: number
  readonly 'max-snapshot-age-ms'?: number
  readonly 'min-snapshots-to-keep'?: number
}

/** spec: Table Metadata (format versions 1 and 2; fields a v3 table adds are kept as unknown). */
export interface TableMetadata {
  readonly 'format-version': 1 | 2 | 3
  readonly 'table-uuid': string
  readonly location: string
  readonly 'last-sequence-number': bigint
  readonly 'last-updated-ms': number
  readonly 'last-column-id': number
  readonly schemas: readonly Schema[]
  readonly 'current-schema-id': number
  readonly 'partition-specs': readonly PartitionSpec[]
  readonly 'default-spec-id': number
  readonly 'last-partition-id': number
  readonly properties: Readonly<Record<string, string>>
  readonly 'current-snapshot-id'?: bigint
  readonly snapshots: readonly Snapshot[]
  readonly 'snapshot-log': ReadonlyArray<{ readonly 'snapshot-id': bigint; readonly 'timestamp-ms': number }>
  readonly 'metadata-log': ReadonlyArray<{ readonly 'metadata-file': string; readonly 'timestamp-ms': number }>
  readonly 'sort-orders': readonly SortOrder[]
  readonly 'default-sort-order-id': number
  readonly refs: Readonly<Record<string, SnapshotRef>>
}

/** What a data or delete file holds (spec: Manifests, `content` of data_file). */
export const FileContent = { Data: 0, PositionDeletes: 1, EqualityDeletes: 2 } as const
export type FileContent = (typeof FileContent)[keyof typeof FileContent]

/** Status of a manifest entry (spec: Manifests, `status`). */
export const EntryStatus = { Existing: 0, Added: 1, Deleted: 2 } as const
export type EntryStatus = (typeof EntryStatus)[keyof typeof EntryStatus]

/**
 * A partition tuple: one value per partition field, in spec order, in the transform's result
 * type (int for day/bucket, the source type for identity; `null` for a null partition).
 * Dates/days are ints, longs/timestamps bigint, strings string, decimals unscaled bigint.
 */
export type PartitionValues = ReadonlyArray<PartitionValue>
export type PartitionValue = number | bigint | string | boolean | Uint8Array | null

/** spec: Manifests — the `data_file` struct (v2 fields). Bounds are in the single-value binary encoding. */
export interface DataFile {
  readonly content: FileContent
  readonly filePath: string
  /** PUFFIN only for a v3 deletion vector (a position delete file). */
  readonly fileFormat: 'PARQUET' | 'AVRO' | 'ORC' | 'PUFFIN'
  /** v3: the one data file a position delete file (a deletion vector) applies to. */
  readonly referencedDataFile?: string
  readonly partition: PartitionValues
  readonly recordCount: bigint
  readonly fileSizeInBytes: bigint
  readonly columnSizes?: ReadonlyMap<number, bigint>
  readonly valueCounts?: ReadonlyMap<number, bigint>
  readonly nullValueCounts?: ReadonlyMap<number, bigint>
  readonly nanValueCounts?: ReadonlyMap<number, bigint>
  readonly lowerBounds?: ReadonlyMap<number, Uint8Array>
  readonly upperBounds?: ReadonlyMap<number, Uint8Array>
  readonly splitOffsets?: readonly bigint[]
  readonly equalityIds?: readonly number[]
  readonly sortOrderId?: number
}

/**
 * spec: Manifests — `manifest_entry`. Sequence numbers and the snapshot id are `undefined` when
 * the entry inherits them (added in the snapshot that wrote the manifest): see `inheritEntry`.
 */
export interface ManifestEntry {
  readonly status: EntryStatus
  readonly snapshotId?: bigint
  readonly sequenceNumber?: bigint
  readonly fileSequenceNumber?: bigint
  readonly dataFile: DataFile
}

/** spec: Manifest Lists — the per-partition-field summary of a manifest. */
export interface PartitionFieldSummary {
  readonly containsNull: boolean
  readonly containsNan?: boolean
  readonly lowerBound?: Uint8Array
  readonly upperBound?: Uint8Array
}

/** What a manifest tracks (spec: Manifest Lists, `content`). */
export const ManifestContent = { Data: 0, Deletes: 1 } as const
export type ManifestContent = (typeof ManifestContent)[keyof typeof ManifestContent]

/** spec: Manifest Lists — one `manifest_file` entry. */
export interface ManifestFile {
  readonly manifestPath: string
  readonly manifestLength: bigint
  readonly partitionSpecId: number
  readonly content: ManifestContent
  /** `-1` (unassigned) in a manifest written for a commit not yet assigned a sequence number. */
  readonly sequenceNumber: bigint
  readonly minSequenceNumber: bigint
  readonly addedSnapshotId: bigint
  readonly addedFilesCount: number
  readonly existingFilesCount: number
  readonly deletedFilesCount: number
  readonly addedRowsCount: bigint
  readonly existingRowsCount: bigint
  readonly deletedRowsCount: bigint
  readonly partitions?: readonly PartitionFieldSummary[]
  readonly keyMetadata?: Uint8Array
}
