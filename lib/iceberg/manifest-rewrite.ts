import type { LiveEntry } from './manifest-io'
import { EntryStatus, ManifestContent, type ManifestEntry, type ManifestFile } from './spec-types'

/**
 * Which manifests a manifest rewrite merges, and how it groups their entries (Iceberg's
 * RewriteManifests). Pure.
 *
 * Every commit of the sink adds one manifest per table, and compaction only rewrites the ones it
 * removes files from, so a table that runs for hours is planned from hundreds of manifests of a
 * few entries each, and every reader opens each of them. Merged, the live files of one partition
 * value of the first partition field (for the market tables, one day) sit in one manifest, in
 * partition order, so a time-range scan still prunes by manifest.
 */
export interface ManifestRewriteOptions {
  /** Rewrite only when the table has more data manifests of the current spec than this. */
  readonly minManifests: number
  /** Most entries in one merged manifest. */
  readonly maxEntriesPerManifest: number
}

export const defaultManifestRewrite: ManifestRewriteOptions = { minManifests: 16, maxEntriesPerManifest: 10_000 }

/** The manifests a rewrite merges (data manifests of the current spec), or none when there are too few to be worth it. */
export function manifestsToMerge(manifests: readonly ManifestFile[], specId: number, options: ManifestRewriteOptions): ManifestFile[] {
  const data = manifests.filter((m) => m.content === ManifestContent.Data && m.partitionSpecId === specId)
  return data.length > options.minManifests ? data : []
}

/** A partition value as a sortable, comparable key (bigints and nulls kept apart from strings). */
const keyOf = (v: unknown): string => (v === null || v === undefined ? '\u0000' : typeof v === 'bigint' || typeof v === 'number' ? `n${String(v).padStart(24, '0')}` : `s${String(v)}`)

/**
 * The live entries of the merged manifests, grouped into the new manifests: one group per value
 * of the first partition field, entries ordered by their whole partition tuple, split at
 * `maxEntriesPerManifest`. Each entry is carried as EXISTING with the snapshot id and sequence
 * numbers it was added with (spec: a rewrite changes no data, so no file's sequence number moves).
 */
export function groupForRewrite(entries: readonly LiveEntry[], maxEntriesPerManifest: number): ManifestEntry[][] {
  const live = entries.filter((e) => e.status !== EntryStatus.Deleted)
  const tuple = (e: LiveEntry): string[] => e.dataFile.partition.map(keyOf)
  const sorted = live
    .map((e) => ({ e, key: tuple(e) }))
    .sort((a, b) => {
      for (let i = 0; i < Math.max(a.key.length, b.key.length); i++) {
        const x = a.key[i] ?? ''
        const y = b.key[i] ?? ''
        if (x !== y) return x < y ? -1 : 1
      }
      return a.e.dataFile.filePath < b.e.dataFile.filePath ? -1 : a.e.dataFile.filePath > b.e.dataFile.filePath ? 1 : 0
    })
  const groups: ManifestEntry[][] = []
  let current: ManifestEntry[] = []
  let first: string | undefined
  for (const { e, key } of sorted) {
    if (current.length > 0 && (key[0] !== first || current.length >= maxEntriesPerManifest)) {
      groups.push(current)
      current = []
    }
    first = key[0]
    current.push({ status: EntryStatus.Existing, snapshotId: e.snapshotId, sequenceNumber: e.sequenceNumber, fileSequenceNumber: e.fileSequenceNumber, dataFile: e.dataFile })
  }
  if (current.length > 0) groups.push(current)
  return groups
}
