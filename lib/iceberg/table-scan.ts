import { gunzipSync } from 'node:zlib'
import { ErrorCode, WorkbenchError, errorMessage } from '../errors/index'
import { parseJson } from '../http/http-client'
import type { FileIO } from './file-io'
import { createManifestReader, type LiveEntry, type ManifestReader } from './manifest-io'
import { bindFilter, fileMayMatch, manifestMayMatch, type ScanFilter } from './scan-filter'
import { compareValues, decodeSingleValue } from './single-value'
import { EntryStatus, FileContent, ManifestContent } from './spec-types'
import type { DataFile, ManifestFile, PartitionSpec, PartitionValue, PartitionValues, PrimitiveType, Schema, Snapshot, TableMetadata } from './spec-types'
import { ancestorsOf, currentSnapshot, parseTableMetadata, partitionType, schemaById, snapshotAsOf, snapshotById, specById, type PartitionFieldType } from './table-metadata'
import { transformResultType } from './transforms'

/**
 * Scan planning (https://iceberg.apache.org/spec/#scan-planning): which data files of a snapshot
 * a reader must read for a filter. Manifests are skipped by their partition summaries, files by
 * their partition tuples and column bounds (see `scan-filter`). The workbench reader does not
 * apply delete files, so a plan whose files have deletes that apply to them is refused.
 */

/** What planning reads with. */
export interface TableScanDeps {
  readonly metadata: TableMetadata
  readonly io: FileIO
  /** Shared to reuse its cache of manifests across scans; default: a new reader over `io`. */
  readonly manifests?: ManifestReader
}

/** Which snapshot to read, and what rows are wanted. */
export interface ScanOptions {
  /** Time travel to this snapshot (its schema applies). */
  readonly snapshotId?: bigint
  /** Time travel to the snapshot current at this time, in ms since the epoch (its schema applies). */
  readonly asOfTimestampMs?: number
  /** Rows wanted; files that cannot hold any are left out. The engine still filters the rows. */
  readonly filter?: ScanFilter
}

/** One data file to read. */
export interface ScanFile {
  /** The file's full location, as the manifest names it (map it to a local path or URL through the FileIO's routes). */
  readonly path: string
  readonly recordCount: bigint
  readonly fileSizeInBytes: bigint
  /** The partition tuple, in the order of the fields of spec `specId`. */
  readonly partition: PartitionValues
  readonly specId: number
  readonly dataFile: DataFile
}

/** How much the filter saved. Files are counted in the manifests that were read. */
export interface ScanStats {
  /** Data manifests of the snapshot (delete manifests are not counted). */
  readonly manifestsTotal: number
  /** Data manifests skipped by their partition summaries. */
  readonly manifestsPruned: number
  /** Live data files in the manifests that were read. */
  readonly filesTotal: number
  /** Of those, files skipped by their partition tuple or column bounds. */
  readonly filesPruned: number
}

/** The files to read for one snapshot, and the schema to read them with. */
export interface ScanPlan {
  /** undefined when the table has no snapshot yet (then `files` is empty). */
  readonly snapshot: Snapshot | undefined
  /**
   * The schema rows are read as: the table's current schema for the current snapshot, the
   * snapshot's own schema when time-travelling (as Iceberg Java's `SnapshotUtil.schemaFor`).
   * Data files are read by field id and renamed with `columnNamesById(schema)`.
   */
  readonly schema: Schema
  readonly files: ScanFile[]
  readonly stats: ScanStats
}

/**
 * Plans a scan: the live data files of the chosen snapshot (default: the current one) that may
 * hold rows matching `filter`. Throws CONFIG_INVALID for a bad filter or for both `snapshotId`
 * and `asOfTimestampMs`, NOT_FOUND for a snapshot not in the metadata, and RECORD_INVALID when
 * delete files (position or equality) apply to files of the plan: the workbench does not apply
 * deletes, and refuses rather than return deleted rows.
 */
export async function planScan(deps: TableScanDeps, options: ScanOptions = {}): Promise<ScanPlan> {
  const { metadata } = deps
  const manifests = deps.manifests ?? createManifestReader(deps.io)
  if (options.snapshotId !== undefined && options.asOfTimestampMs !== undefined) {
    throw new WorkbenchError(ErrorCode.ConfigInvalid, `a scan reads one snapshot: give snapshotId (${options.snapshotId}) or asOfTimestampMs (${options.asOfTimestampMs}), not both`)
  }
  const travelling = options.snapshotId !== undefined || options.asOfTimestampMs !== undefined
  const snapshot =
    options.snapshotId !== undefined
      ? snapshotById(metadata, options.snapshotId)
      : options.asOfTimestampMs !== undefined
        ? snapshotAsOf(metadata, options.asOfTimestampMs)
        : currentSnapshot(metadata)
  const schema = travelling && snapshot?.['schema-id'] !== undefined ? schemaById(metadata, snapshot['schema-id']) : schemaById(metadata)
  const bound = options.filter === undefined ? undefined : bindFilter(options.filter, schema)
  const stats = { manifestsTotal: 0, manifestsPruned: 0, filesTotal: 0, filesPruned: 0 }
  if (snapshot === undefined) {
    const none: ScanFile[] = []
    return { snapshot, schema, files: none, stats }
  }

  const specs = new Map<number, { spec: PartitionSpec; fields: PartitionFieldType[] }>()
  const specOf = (id: number): { spec: PartitionSpec; fields: PartitionFieldType[] } => {
    let s = specs.get(id)
    if (s === undefined) {
      const spec = specById(metadata, id)
      s = { spec, fields: partitionType(schema, spec, resultTypeOrSource) }
      specs.set(id, s)
    }
    return s
  }

  const list = await manifests.manifestList(snapshot)
  const dataManifests = list.filter((m) => m.content === ManifestContent.Data)
  const deleteManifests = list.filter((m) => m.content === ManifestContent.Deletes)
  stats.manifestsTotal = dataManifests.length
  const kept = dataManifests.filter((m) => {
    if (bound === undefined) return true
    const { spec, fields } = specOf(m.partitionSpecId)
    return manifestMayMatch(bound, spec, fields, m.partitions)
  })
  stats.manifestsPruned = dataManifests.length - kept.length

  const planned: Array<{ entry: LiveEntry; specId: number }> = []
  for (const [i, entries] of (await Promise.all(kept.map((m) => manifests.entries(m)))).entries()) {
    const manifest = kept[i] as ManifestFile
    for (const entry of entries) {
      if (entry.status === EntryStatus.Deleted) continue
      if (entry.dataFile.content !== FileContent.Data) {
        throw new WorkbenchError(ErrorCode.RecordInvalid, `data manifest ${manifest.manifestPath} lists ${entry.dataFile.filePath} with content ${entry.dataFile.content} (a delete file): the manifest is corrupt`)
      }
      stats.filesTotal++
      if (bound !== undefined) {
        const { spec, fields } = specOf(manifest.partitionSpecId)
        if (!fileMayMatch(bound, spec, fields, entry.dataFile)) {
          stats.filesPruned++
          continue
        }
      }
      planned.push({ entry, specId: manifest.partitionSpecId })
    }
  }

  if (deleteManifests.length > 0 && planned.length > 0) {
    await refuseApplicableDeletes({ metadata, manifests, snapshot, deleteManifests, planned, specOf })
  }
  const files = planned.map(({ entry, specId }): ScanFile => {
    const f = entry.dataFile
    return { path: f.filePath, recordCount: f.recordCount, fileSizeInBytes: f.fileSizeInBytes, partition: f.partition, specId, dataFile: f }
  })
  return { snapshot, schema, files, stats }
}

/** A partition field's result type; the source type for a transform this reader does not know (never used to prune). */
function resultTypeOrSource(transform: string, sourceType: PrimitiveType): PrimitiveType {
  try {
    return transformResultType(transform, sourceType)
  } catch {
    return sourceType
  }
}

/** The reserved field id of `file_path` in position delete files (spec: Reserved Field IDs). */
const deleteFilePathId = 2147483546

interface DeleteCheck {
  readonly metadata: TableMetadata
  readonly manifests: ManifestReader
  readonly snapshot: Snapshot
  readonly deleteManifests: readonly ManifestFile[]
  readonly planned: ReadonlyArray<{ entry: LiveEntry; specId: number }>
  readonly specOf: (id: number) => { spec: PartitionSpec; fields: PartitionFieldType[] }
}

/**
 * Throws when a live delete file may apply to a planned data file (spec: Scan Planning). A
 * position delete applies to data files with a data sequence number <= its own, an equality
 * delete to those with one < its own, both in the same partition (spec id and tuple) unless the
 * delete file is unpartitioned; a position delete whose `file_path` bounds exclude the data
 * file's path does not apply (as Iceberg Java's DeleteFileIndex decides). Anything in doubt applies.
 */
async function refuseApplicableDeletes(c: DeleteCheck): Promise<void> {
  const deletes: Array<{ entry: LiveEntry; specId: number }> = []
  for (const [i, entries] of (await Promise.all(c.deleteManifests.map((m) => c.manifests.entries(m)))).entries()) {
    const specId = (c.deleteManifests[i] as ManifestFile).partitionSpecId
    for (const entry of entries) if (entry.status !== EntryStatus.Deleted && entry.dataFile.content !== FileContent.Data) deletes.push({ entry, specId })
  }
  const applying = deletes.filter((d) => c.planned.some((f) => deleteMayApply(d, f, c.specOf)))
  if (applying.length === 0) return
  const vectors = applying.filter((d) => d.entry.dataFile.fileFormat === 'PUFFIN').length
  const positions = applying.filter((d) => d.entry.dataFile.content === FileContent.PositionDeletes).length - vectors
  const equalities = applying.length - positions - vectors
  const kinds = [vectors > 0 ? `${vectors} deletion vector (v3)` : '', positions > 0 ? `${positions} position` : '', equalities > 0 ? `${equalities} equality` : ''].filter((k) => k !== '').join(' and ')
  const touched = c.planned.filter((f) => applying.some((d) => deleteMayApply(d, f, c.specOf))).length
  const before = await snapshotWithoutDeletes(c)
  const id = c.snapshot['snapshot-id']
  throw new WorkbenchError(
    ErrorCode.RecordInvalid,
    `snapshot ${id} of ${c.metadata.location} has ${kinds} delete ${applying.length === 1 ? 'file that applies' : 'files that apply'} to ${touched} of the ${c.planned.length} data files this scan reads; ` +
      `the workbench reader does not apply deletes, so it refuses rather than return deleted rows. ` +
      (before === undefined ? 'No earlier snapshot in the metadata is free of delete files: compact' : `Read snapshot ${before['snapshot-id']} (before the deletes) or compact`) +
      ` the table with an engine that applies them (Spark: CALL <catalog>.system.rewrite_data_files(table => '...', options => map('delete-file-threshold', '1'))).`,
  )
}

function deleteMayApply(
  d: { entry: LiveEntry; specId: number },
  f: { entry: LiveEntry; specId: number },
  specOf: (id: number) => { spec: PartitionSpec; fields: PartitionFieldType[] },
): boolean {
  const del = d.entry.dataFile
  const position = del.content === FileContent.PositionDeletes
  const dataSeq = f.entry.sequenceNumber
  const deleteSeq = d.entry.sequenceNumber
  if (position ? dataSeq > deleteSeq : dataSeq >= deleteSeq) return false
  const deleteSpec = specOf(d.specId)
  if (deleteSpec.spec.fields.length > 0) {
    if (d.specId !== f.specId) return false
    if (!sameTuple(deleteSpec.fields, del.partition, f.entry.dataFile.partition)) return false
  }
  if (del.referencedDataFile !== undefined) return del.referencedDataFile === f.entry.dataFile.filePath
  if (position) {
    const path = f.entry.dataFile.filePath
    const lower = boundString(del.lowerBounds?.get(deleteFilePathId))
    const upper = boundString(del.upperBounds?.get(deleteFilePathId))
    if (lower !== undefined && compareValues('string', path, lower) < 0) return false
    if (upper !== undefined && compareValues('string', path, upper) > 0) return false
  }
  return true
}

function boundString(bytes: Uint8Array | undefined): string | undefined {
  if (bytes === undefined) return undefined
  try {
    return decodeSingleValue('string', bytes) as string
  } catch {
    return undefined
  }
}

/** Partition tuples equal value by value (nulls equal), compared in each field's type; in doubt, equal. */
function sameTuple(fields: readonly PartitionFieldType[], a: PartitionValues, b: PartitionValues): boolean {
  if (a.length !== b.length) return true
  return a.every((x, i) => sameValue(fields[i]?.type, x, b[i] ?? null))
}

function sameValue(type: PrimitiveType | undefined, a: PartitionValue, b: PartitionValue): boolean {
  if (a === null || b === null) return a === b
  if (type === undefined) return true
  try {
    return compareValues(type, a, b) === 0
  } catch {
    return true
  }
}

/** How many ancestors to look at for a snapshot without delete files to suggest. */
const ancestorLookups = 50

/** The newest ancestor of the snapshot with no live delete files, from summaries or manifest lists. */
async function snapshotWithoutDeletes(c: DeleteCheck): Promise<Snapshot | undefined> {
  for (const s of ancestorsOf(c.metadata, c.snapshot).slice(1, ancestorLookups + 1)) {
    const total = s.summary['total-delete-files']
    if (total !== undefined) {
      if (total === '0') return s
      continue
    }
    try {
      const list = await c.manifests.manifestList(s)
      if (!list.some((m) => m.content === ManifestContent.Deletes && m.addedFilesCount + m.existingFilesCount > 0)) return s
    } catch {
      return undefined // expired or unreadable history: no suggestion
    }
  }
  return undefined
}

/**
 * Reads a table's metadata file (`…/metadata/v3.metadata.json`, or gzip-compressed
 * `….gz.metadata.json`) for tables read without a catalog, such as test fixtures written by
 * other engines. 64-bit ids are parsed exactly.
 */
export async function readMetadataFile(io: FileIO, location: string): Promise<TableMetadata> {
  let bytes = await io.read(location)
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes)
  let raw: unknown
  try {
    raw = parseJson(new TextDecoder().decode(bytes), 'lossless')
  } catch (err) {
    throw new WorkbenchError(ErrorCode.RecordInvalid, `${location} is not a table metadata JSON file: ${errorMessage(err)}`, false, { cause: err })
  }
  return parseTableMetadata(raw)
}

/**
 * The schema's top-level columns by field id, with their current names. Data files are read
 * by field id and renamed with this: a file written before a rename has the old name, and some
 * writers store names escaped (`Breed Name` as `Breed_x20Name`).
 */
export function columnNamesById(schema: Schema): Map<number, string> {
  return new Map(schema.fields.map((f) => [f.id, f.name]))
}

