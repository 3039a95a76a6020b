import { randomUUID } from 'node:crypto'
import { ErrorCode, WorkbenchError } from '../errors/index'
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
    manifestList: (snapshot) => {
      if (snapshot['manifest-list']) return remember(lists, snapshot['manifest-list'], async () => decodeManifestList(await io.read(snapshot['manifest-list'])))
      const embedded = snapshot.manifests
      // Each manifest is read here already: its entries go straight into the cache.
      const seed = (manifest: ManifestFile, entries: readonly ManifestEntry[]): void => void remember(manifests, manifest.manifestPath, async () => entries.map((e) => inheritEntry(e, manifest)))
      if (Array.isArray(embedded)) return remember(lists, `v1-manifests:${String(snapshot['snapshot-id'])}:${embedded.join(',')}`, () => embeddedManifests(io, snapshot, embedded, seed))
      return Promise.reject(new WorkbenchError(ErrorCode.RecordInvalid, `snapshot ${String(snapshot['snapshot-id'])} has neither a manifest-list nor (v1) a manifests list: the table metadata is incomplete`))
    },
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

/**
 * A v1 snapshot's manifests, listed in the table metadata instead of a manifest list (spec: v1
 * `manifests`): each is read once for what a list would say of it (its spec id, from its header,
 * and its file counts). v1 has no sequence numbers (0) and only data manifests.
 */
async function embeddedManifests(io: FileIO, snapshot: Snapshot, paths: readonly string[], seed: (manifest: ManifestFile, entries: readonly ManifestEntry[]) => void): Promise<ManifestFile[]> {
  return Promise.all(
    paths.map(async (manifestPath): Promise<ManifestFile> => {
      const bytes = await io.read(manifestPath)
      const { metadata, entries } = await decodeManifest(bytes)
      const count = (status: number): number => entries.filter((e) => e.status === status).length
      const rows = (status: number): bigint => entries.filter((e) => e.status === status).reduce((n, e) => n + e.dataFile.recordCount, 0n)
      const manifest: ManifestFile = {
        manifestPath,
        manifestLength: BigInt(bytes.length),
        partitionSpecId: Number(metadata['partition-spec-id'] ?? 0),
        content: ManifestContent.Data,
        sequenceNumber: 0n,
        minSequenceNumber: 0n,
        addedSnapshotId: snapshot['snapshot-id'],
        addedFilesCount: count(EntryStatus.Added),
        existingFilesCount: count(EntryStatus.Existing),
        deletedFilesCount: count(EntryStatus.Deleted),
        addedRowsCount: rows(EntryStatus.Added),
        existingRowsCount: rows(EntryStatus.Existing),
        deletedRowsCount: rows(EntryStatus.Deleted),
      }
      seed(manifest, entries)
      return manifest
    }),
  )
}
