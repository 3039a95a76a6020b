import { randomUUID } from 'node:crypto'
import type { FileIO } from './file-io'
import { decodeManifest, decodeManifestList, encodeManifest, inheritEntry, manifestPartitionSummaries } from './manifest-avro'
import { EntryStatus, ManifestContent, type ManifestEntry, type ManifestFile, type PartitionSpec, type Schema, type Snapshot } from './spec-types'
import type { PartitionFieldType } from './table-metadata'

/** A manifest entry with its inherited snapshot id and sequence numbers filled in. */
export type LiveEntry = ManifestEntry & { readonly snapshotId: bigint; readonly sequenceNumber: bigint; readonly fileSequenceNumber: bigint }

/**
 * Reads manifest lists and manifests through a FileIO, keeping recently read ones: manifests are
 * immutable once written, so a cache keyed by path is always correct.
 */
export interface ManifestReader {
  manifestList(snapshot: Snapshot): Promise<ManifestFile[]>
  /** The entries of a manifest, with inheritance applied (spec: Sequence Number Inheritance). */
  entries(manifest: ManifestFile): Promise<LiveEntry[]>
}

/** A manifest reader with an LRU of at most `capacity` manifests and lists. */
export function createManifestReader(io: FileIO, capacity = 512): ManifestReader {
  const lists = new Map<string, Promise<ManifestFile[]>>()
  const manifests = new Map<string, Promise<LiveEntry[]>>()
  const remember = <T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> => {
    const hit = cache.get(key)
    if (hit) {
      cache.delete(key)
      cache.set(key, hit)
      return hit
    }
    const p = load()
    p.catch(() => cache.delete(key))
    cache.set(key, p)
    if (cache.size > capacity) cache.delete(cache.keys().next().value as string)
    return p
  }
  return {
    manifestList: (snapshot) => remember(lists, snapshot['manifest-list'], async () => decodeManifestList(await io.read(snapshot['manifest-list']))),
    entries: (manifest) =>
      remember(manifests, manifest.manifestPath, async () => {
        const { entries } = await decodeManifest(await io.read(manifest.manifestPath))
        return entries.map((e) => inheritEntry(e, manifest))
      }),
  }
}

/** What a new manifest needs besides its entries. */
export interface ManifestTarget {
  readonly io: FileIO
  /** The table location (`s3://warehouse/market/trades`); manifests go under `metadata/`. */
  readonly location: string
  readonly schema: Schema
  readonly spec: PartitionSpec
  readonly partitionType: readonly PartitionFieldType[]
  /** The snapshot this manifest is written for: its `added_snapshot_id`. */
  readonly snapshotId: bigint
}

/**
 * Writes a data manifest and returns its manifest-list entry. Its sequence numbers are left
 * unassigned (-1) when it has ADDED entries: they are the commit's, known only at commit time
 * (spec: Sequence Number Inheritance), and `assignSequenceNumber` fills them in per attempt.
 */
export async function writeManifest(target: ManifestTarget, entries: readonly ManifestEntry[]): Promise<ManifestFile> {
  const bytes = await encodeManifest({ schema: target.schema, spec: target.spec, partitionType: target.partitionType, content: ManifestContent.Data, formatVersion: 2, entries })
  const manifestPath = `${target.location.replace(/\/+$/, '')}/metadata/${randomUUID()}-m0.avro`
  await target.io.write(manifestPath, bytes)
  let added = 0
  let existing = 0
  let deleted = 0
  let addedRows = 0n
  let existingRows = 0n
  let deletedRows = 0n
  let minSeq: bigint | undefined
  for (const e of entries) {
    const rows = e.dataFile.recordCount
    if (e.status === EntryStatus.Added) {
      added++
      addedRows += rows
    } else if (e.status === EntryStatus.Existing) {
      existing++
      existingRows += rows
    } else {
      deleted++
      deletedRows += rows
    }
    if (e.status !== EntryStatus.Deleted && e.sequenceNumber !== undefined && (minSeq === undefined || e.sequenceNumber < minSeq)) minSeq = e.sequenceNumber
  }
  return {
    manifestPath,
    manifestLength: BigInt(bytes.length),
    partitionSpecId: target.spec['spec-id'],
    content: ManifestContent.Data,
    sequenceNumber: -1n,
    minSequenceNumber: added > 0 || minSeq === undefined ? -1n : minSeq,
    addedSnapshotId: target.snapshotId,
    addedFilesCount: added,
    existingFilesCount: existing,
    deletedFilesCount: deleted,
    addedRowsCount: addedRows,
    existingRowsCount: existingRows,
    deletedRowsCount: deletedRows,
    partitions: manifestPartitionSummaries(target.partitionType, entries),
  }
}

/** A manifest written for this commit, with the commit's sequence number where it was unassigned. */
export function assignSequenceNumber(m: ManifestFile, sequenceNumber: bigint): ManifestFile {
  if (m.sequenceNumber !== -1n && m.minSequenceNumber !== -1n) return m
  return { ...m, sequenceNumber: m.sequenceNumber === -1n ? sequenceNumber : m.sequenceNumber, minSequenceNumber: m.minSequenceNumber === -1n ? sequenceNumber : m.minSequenceNumber }
}
