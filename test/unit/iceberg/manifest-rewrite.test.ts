import { describe, expect, it } from 'vitest'
import { EntryStatus, ManifestContent, groupForRewrite, manifestsToMerge, type DataFile, type ManifestFile } from '../../../lib/internal'
import type { LiveEntry } from '../../../lib/internal'

const file = (path: string, day: number, bucket: number): DataFile => ({ content: 0, filePath: path, fileFormat: 'PARQUET', partition: [day, bucket], recordCount: 10n, fileSizeInBytes: 1000n }) as DataFile
const entry = (path: string, day: number, bucket: number, seq: bigint, status: EntryStatus = EntryStatus.Added): LiveEntry => ({ status, snapshotId: 100n + seq, sequenceNumber: seq, fileSequenceNumber: seq, dataFile: file(path, day, bucket) })
const manifest = (n: number, spec = 0, content: ManifestContent = ManifestContent.Data): ManifestFile => ({ manifestPath: `m${n}`, partitionSpecId: spec, content, addedFilesCount: 1, existingFilesCount: 0 }) as ManifestFile

describe('manifest rewrite plan', () => {
  it('merges only when there are more data manifests of the current spec than the minimum', () => {
    const many = Array.from({ length: 17 }, (_, i) => manifest(i))
    expect(manifestsToMerge(many, 0, { minManifests: 16, maxEntriesPerManifest: 100 })).toHaveLength(17)
    expect(manifestsToMerge(many.slice(1), 0, { minManifests: 16, maxEntriesPerManifest: 100 })).toEqual([])
    // An older spec's manifests and delete manifests stay as they are.
    const mixed = [...many.slice(0, 10), ...Array.from({ length: 10 }, (_, i) => manifest(100 + i, 1)), manifest(200, 0, ManifestContent.Deletes)]
    expect(manifestsToMerge(mixed, 0, { minManifests: 5, maxEntriesPerManifest: 100 }).map((m) => m.manifestPath)).toEqual(many.slice(0, 10).map((m) => m.manifestPath))
  })

  it('groups live entries by day, in partition order, split at the most entries per manifest, each EXISTING with its own snapshot and sequence numbers', () => {
    const entries = [entry('c', 20_001, 3, 5n), entry('a', 20_000, 7, 1n), entry('x', 20_000, 1, 2n, EntryStatus.Deleted), entry('b', 20_000, 2, 3n, EntryStatus.Existing), entry('d', 20_001, 1, 4n), entry('e', 20_001, 2, 6n)]
    const groups = groupForRewrite(entries, 2)
    expect(groups.map((g) => g.map((e) => e.dataFile.filePath))).toEqual([['b', 'a'], ['d', 'e'], ['c']])
    for (const e of groups.flat()) {
      const original = entries.find((o) => o.dataFile.filePath === e.dataFile.filePath)!
      expect(e).toMatchObject({ status: EntryStatus.Existing, snapshotId: original.snapshotId, sequenceNumber: original.sequenceNumber, fileSequenceNumber: original.fileSequenceNumber })
    }
    expect(groupForRewrite(entries, 10_000).map((g) => g.length)).toEqual([2, 3])
  })
})
