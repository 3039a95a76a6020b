/**
 * The lake as the story shows it: the table's snapshots (each holding the Kafka offsets it
 * committed), the data files of the current one per partition, and what a trade costs on disk.
 * Reads through the query engine; the tables and the chart are pure.
 */
import type { EngineTable, QueryEngine, SnapshotInfo } from '../query/index'
import { barChart, type Chart } from '../viz/index'
import type { StoryStack } from './story-stack'

/** A snapshot as the story lists it. */
export type SnapshotRow = { readonly snapshot: bigint; readonly committed: Date; readonly operation: string; readonly 'added records': number; readonly 'total records': number }
/** A snapshot with its files and the Kafka offsets it holds. */
export type SnapshotDetailRow = SnapshotRow & { readonly 'added files': number; readonly 'total files': number; readonly 'Kafka offsets held': string }

/** Waits (up to `timeoutMs`) for a commit to `table` made at or after `sinceMs`; resolves with all its snapshots, oldest first. */
export function commitsSince(stack: Pick<StoryStack, 'waitFor' | 'config'>, engine: Pick<QueryEngine, 'refresh' | 'snapshots'>, table: EngineTable, sinceMs: number, timeoutMs = 120_000): Promise<SnapshotInfo[]> {
  return stack.waitFor(`a commit to ${stack.config.sink.namespace}.${table} made after this notebook started`, async () => {
    await engine.refresh()
    const s = await engine.snapshots(table)
    return s.some((x) => x.timestampMs >= sinceMs) ? s : undefined
  }, timeoutMs)
}

/** One row per snapshot: id, when, what it did, records added and in total. */
export function snapshotRows(snapshots: readonly SnapshotInfo[]): SnapshotRow[] {
  return snapshots.map((s) => ({ snapshot: s.snapshotId, committed: new Date(s.timestampMs), operation: s.operation, 'added records': s.addedRecords, 'total records': s.totalRecords }))
}

/** The same with the files and the Kafka offsets each snapshot holds (`partition:offset`, the sink's exactly-once bookmark). */
export function snapshotDetailRows(snapshots: readonly SnapshotInfo[]): SnapshotDetailRow[] {
  return snapshots.map((s) => ({
    ...snapshotRows([s])[0]!,
    'added files': s.addedFiles,
    'total files': s.totalFiles,
    'Kafka offsets held': Object.entries(s.offsets).map(([p, o]) => `${p}:${o}`).join(' '),
  }))
}

/** `day 2026-12-05 · bucket 3` from a data file's path (its Hive-style partition folders). */
export function partitionOf(file: string): string {
  const m = /event_day=([^/]+)\/symbol_bucket=(\d+)/.exec(file)
  return m ? `day ${m[1]} · bucket ${m[2]}` : 'day ? · bucket ?'
}

/** Data files per partition, in partition order. */
export function partitionFileRows(files: readonly string[]): Array<{ readonly partition: string; readonly 'data files': number }> {
  const counts = new Map<string, number>()
  for (const f of files) counts.set(partitionOf(f), (counts.get(partitionOf(f)) ?? 0) + 1)
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([partition, n]) => ({ partition, 'data files': n }))
}

/** The trades table's current snapshot, lake only: its data files and the trades they hold. */
export async function lakeFiles(engine: Pick<QueryEngine, 'query'>): Promise<{ readonly files: number; readonly trades: bigint; readonly partitions: ReturnType<typeof partitionFileRows> }> {
  const r = await engine.query<{ trades: bigint }>('SELECT count(*) AS trades FROM trades', { tables: { trades: { tail: false } } })
  const files = r.boundaries.trades?.files ?? []
  return { files: files.length, trades: r.rows[0]?.trades ?? 0n, partitions: partitionFileRows(files) }
}

/** Mean bytes of a Binance trade frame in a capture (JSONL, one frame a line; trade frames name an `@trade` stream). */
export function jsonBytesPerTrade(capture: string): number {
  const frames = capture.split('\n').filter((l) => l.includes('@trade'))
  return frames.reduce((n, l) => n + Buffer.byteLength(l), 0) / Math.max(1, frames.length)
}

/** Parquet bytes per trade in the current snapshot: every committed file, whichever sink wrote it. */
export function parquetBytesPerTrade(snapshots: readonly SnapshotInfo[]): number {
  const head = snapshots.find((s) => s.current)
  return head && head.totalRecords > 0 ? head.totalFilesBytes / head.totalRecords : Number.NaN
}

/** A trade's bytes as a JSON frame beside its bytes in the lake. */
export function bytesPerTradeChart(bytes: { readonly json: number; readonly parquet: number }): Chart {
  return barChart(
    [
      { form: 'Binance JSON frame', bytes: Math.round(bytes.json) },
      { form: 'Parquet (zstd) in the lake', bytes: Math.round(bytes.parquet * 10) / 10 },
    ],
    { title: `Bytes per trade: ${(bytes.json / bytes.parquet).toFixed(1)}× smaller in the lake`, x: 'form', y: 'bytes', yTitle: 'bytes per trade', height: 160, horizontal: true },
  )
}
