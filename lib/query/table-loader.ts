import { ErrorCode, WorkbenchError, isWorkbenchError } from '../errors/index'
import type { RestCatalogClient } from '../iceberg/catalog-rest'
import type { Snapshot, TableMetadata } from '../iceberg/spec-types'
import { currentSnapshot } from '../iceberg/table-metadata'
import { partialTableOffsets, tableOffsets, type SnapshotOffsets } from '../sink/snapshot-offsets'
import { derivedRefreshMs, topicsOf, type TableState } from './engine-tables'
import type { SnapshotInfo, TableRead } from './engine-types'

/** Loads the tables' metadata from the catalog into their state, and the whole history when asked. */
export interface TableLoader {
  /** Reloads `t`'s current snapshot and its offsets (a rollup at most every derivedRefreshMs). */
  load(t: TableState): Promise<void>
  /** The whole history (one 304 while it is unchanged), for time travel and the snapshot list. */
  loadHistory(t: TableState): Promise<TableMetadata | undefined>
  /** The metadata a read plans from: the current snapshot, or the whole history for time travel. */
  metadataFor(t: TableState, read: TableRead): Promise<TableMetadata | undefined>
}

export function createTableLoader(catalog: RestCatalogClient, namespace: string): TableLoader {
  // One conditional GET per table and refresh: between commits the catalog answers 304 and the
  // client hands back the metadata it holds. The answer holds the current snapshot only: the
  // whole history of a table that keeps 6 h of commits is ~1 MB to parse after every commit, and
  // was the largest cost of a tail-reading API after the tail itself. Offsets come from that
  // snapshot, or from the ones known at its parent; the whole history is loaded only when a
  // commit without offsets (a foreign writer) hides them (partialTableOffsets).
  const load = async (t: TableState): Promise<void> => {
    if (t.derived && t.loaded && Date.now() - t.loadedAt < derivedRefreshMs) return
    const ns = [namespace]
    try {
      const before = t.loaded ? currentSnapshot(t.loaded.metadata) : undefined
      let loaded = await catalog.loadTable(ns, t.icebergName, { snapshots: 'refs' })
      let offsets = new Map<string, SnapshotOffsets>()
      for (const topic of topicsOf(t)) {
        const known = before && t.loaded ? { snapshotId: before['snapshot-id'], offsets: t.offsets.get(topic) ?? new Map<number, bigint>() } : undefined
        const o = partialTableOffsets(loaded.metadata, topic, known)
        if (o === undefined) {
          loaded = await catalog.loadTable(ns, t.icebergName)
          offsets = new Map(topicsOf(t).map((x) => [x, tableOffsets(loaded.metadata, x)]))
          break
        }
        offsets.set(topic, o)
      }
      t.loaded = loaded
      t.offsets = offsets
    } catch (err) {
      if (!isWorkbenchError(err, ErrorCode.NotFound)) throw err
      t.loaded = undefined
      t.offsets = new Map()
    }
    t.loadedAt = Date.now()
  }

  const loadHistory = async (t: TableState): Promise<TableMetadata | undefined> => {
    try {
      return (await catalog.loadTable([namespace], t.icebergName)).metadata
    } catch (err) {
      if (!isWorkbenchError(err, ErrorCode.NotFound)) throw err
      return undefined
    }
  }

  const metadataFor = async (t: TableState, read: TableRead): Promise<TableMetadata | undefined> => {
    if (read.snapshotId === undefined && read.asOfTimestampMs === undefined) return t.loaded?.metadata
    const meta = await loadHistory(t)
    if (!meta) throw new WorkbenchError(ErrorCode.NotFound, `table ${namespace}.${t.icebergName} does not exist: nothing to time-travel in`)
    return meta
  }

  return { load, loadHistory, metadataFor }
}

/**
 * The snapshots of a table, oldest first, with the offsets each holds per topic; with `current`,
 * the current one only, with the offsets the engine reads it with.
 */
export async function listSnapshots(t: TableState, loader: TableLoader, current: boolean): Promise<SnapshotInfo[]> {
  // The current snapshot too, so that a query right after this list reads at least its newest.
  const [meta] = current ? [(await loader.load(t), t.loaded?.metadata)] : await Promise.all([loader.loadHistory(t), loader.load(t)])
  if (!meta) return []
  const currentId = currentSnapshot(meta)?.['snapshot-id']
  // The current snapshot's offsets are those the engine reads it with (its metadata holds no parents to fill gaps from).
  const offsetsAt = (topic: string, s: Snapshot): SnapshotOffsets => (current ? (t.offsets.get(topic) ?? new Map()) : tableOffsets(meta, topic, s))
  return [...meta.snapshots]
    .filter((s) => !current || s['snapshot-id'] === currentId)
    .sort((a, b) => a['timestamp-ms'] - b['timestamp-ms'])
    .map((s) => ({
      snapshotId: s['snapshot-id'],
      parentId: s['parent-snapshot-id'],
      timestampMs: s['timestamp-ms'],
      operation: s.summary.operation,
      addedRecords: Number(s.summary['added-records'] ?? 0),
      totalRecords: Number(s.summary['total-records'] ?? 0),
      addedFiles: Number(s.summary['added-data-files'] ?? 0),
      totalFiles: Number(s.summary['total-data-files'] ?? 0),
      totalFilesBytes: Number(s.summary['total-files-size'] ?? 0),
      current: s['snapshot-id'] === currentId,
      offsets: t.topic ? Object.fromEntries(offsetsAt(t.topic, s)) : {},
      ...(t.deferredTopic ? { deferredOffsets: Object.fromEntries(offsetsAt(t.deferredTopic, s)) } : {}),
    }))
}
