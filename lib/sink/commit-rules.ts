import { ErrorCode, WorkbenchError } from '../errors/index'
import type { TableMetadata } from '../iceberg/spec-types'
import { currentSnapshot } from '../iceberg/table-metadata'
import { mergeOffsets, offsetsSummary, tableOffsets, type SnapshotOffsets } from './snapshot-offsets'

/*
 * What a sink commit asserts about the table it lands on. Every attempt (the first, and each
 * rebase after a 409) is checked against its base, and an attempt whose outcome was unknown is
 * checked against the reloaded table. Pure.
 */

/** How long uploaded files may wait for their commit by default: maintenance keeps uncommitted files at least this long (K2_SINK_MAX_UNCOMMITTED_MS). */
export const defaultMaxUncommittedMs = 20 * 60_000

/** The batch a commit carries: where the table was when it began, and where it ends. */
export interface BatchOffsets {
  readonly table: string
  readonly topic: string
  /** The table's offsets of the topic when the batch began. */
  readonly startOffsets: SnapshotOffsets
  /** The offsets after the batch's last record, per partition it read. */
  readonly batchOffsets: SnapshotOffsets
}

/**
 * The snapshot summary of a commit onto `base`: the table's offsets of the topic with the batch's
 * laid over them (partitions the batch did not read keep theirs), and the other topics' offsets
 * carried forward. `primary`: the topic is the table's hot one.
 */
export function batchSummary(base: TableMetadata, topic: string, batchOffsets: SnapshotOffsets, primary: boolean): Record<string, string> {
  return offsetsSummary(topic, mergeOffsets(tableOffsets(base, topic), batchOffsets), { primary, carry: currentSnapshot(base)?.summary })
}

/**
 * After an unknown outcome, a table whose offsets end exactly where this batch ends holds it, even
 * when its snapshot was expired before the reload could find it.
 */
export function batchLanded(held: SnapshotOffsets, batchOffsets: SnapshotOffsets): boolean {
  return [...batchOffsets].every(([p, end]) => held.get(p) === end)
}

/**
 * Why the batch must not be committed onto a table holding `held`, or undefined when it may: its
 * files were uploaded `waitedMs` ago, longer than maintenance is guaranteed to keep uncommitted
 * files, or another instance has moved one of its partitions since it began. Either way the
 * error is a conflict that is not retried: the batch is abandoned and re-read.
 */
export function staleBatch(batch: BatchOffsets, held: SnapshotOffsets, waitedMs: number, maxUncommittedMs = defaultMaxUncommittedMs): WorkbenchError | undefined {
  const { table, topic, startOffsets, batchOffsets } = batch
  if (waitedMs > maxUncommittedMs) {
    return new WorkbenchError(ErrorCode.Conflict, `${table}: the batch's files were uploaded ${Math.round(waitedMs / 1000)} s ago, longer than maintenance is guaranteed to keep uncommitted files`, false)
  }
  // The batch starts where the table was when it began; if another instance has moved
  // any of its partitions since, the batch is stale and must not be committed.
  for (const p of batchOffsets.keys()) {
    if (held.get(p) !== startOffsets.get(p)) {
      return new WorkbenchError(ErrorCode.Conflict, `${table}: partition ${p} of ${topic} is now at ${held.get(p) ?? 'nothing'} in the table, not ${startOffsets.get(p) ?? 'nothing'} where this batch started: another sink committed it`, false)
    }
  }
  return undefined
}
