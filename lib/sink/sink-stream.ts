import type { LoadedTable } from '../iceberg/catalog-rest'
import type { PartitionSpec, Schema, SortOrder } from '../iceberg/spec-types'
import type { TableHandle } from '../iceberg/table-commit'
import type { TableDesign } from '../iceberg/table-design'
import type { ParquetDataWriter } from '../iceberg/writer-parquet-duckdb'
import type { Quote, Trade } from '../market/types'
import { mergeOffsets, tableOffsets, type SnapshotOffsets } from './snapshot-offsets'

/*
 * One topic into one table: the sink's per-table stream. Its state changes only through the
 * functions below, in the order a batch goes: records are read and staged, a flush hands the batch
 * to a commit while staging goes on into the other writer, the commit ends, and a rebalance resets
 * the stream to what the table holds. No IO of its own beyond the writers it is given.
 */

/** What a run did to one table from one topic. */
export interface StreamReport {
  records: number
  files: number
  commits: number
  deadLetters: number
  abandoned: number
}

export interface SinkStream<R> {
  readonly kind: 'trades' | 'quotes'
  readonly topic: string
  /** Reads the load shedder's deferred topic (backfill), not the hot one. */
  readonly deferred: boolean
  /** Records staged per symbol tier (deferred streams; the `k2-tier` header), and those of the commit in flight. */
  stagedTiers: Map<string, number>
  readonly design: TableDesign<R>
  readonly table: TableHandle
  readonly decode: (value: Buffer) => Promise<R>
  /** Where records are staged now. */
  writer: ParquetDataWriter
  /** The other writer: the one the commit in flight writes from, then free. */
  spare: ParquetDataWriter
  /** The commit in flight (at most one per table, in offset order). */
  inFlight: Promise<void> | undefined
  /** Kafka timestamp of the oldest record of the commit in flight (lag). */
  inFlightOldestMs: number | undefined
  /** The widest batchScale in force while the commit in flight was staged (1 when none). */
  inFlightScale: number
  loaded: LoadedTable
  /** Offsets the table holds (next record to write, per partition). */
  committed: Map<number, bigint>
  /** Offsets after the records staged in the current batch. */
  next: Map<number, bigint>
  /** First offset staged per partition in this batch (to rewind to when the table holds none). */
  firstStaged: Map<number, bigint>
  /** Kafka timestamp (ms) of the oldest staged record: the lake lag. */
  oldestStagedMs: number | undefined
  /** The same per partition, for the open batch and the one in flight, and the last record read (stream-progress.ts). */
  stagedOldest: Map<number, number>
  inFlightOldest: Map<number, number>
  lastReadMs: Map<number, number>
  /** When this batch staged its first record (ms): the age trigger, so a backlog is drained in full-size commits. */
  batchStartedMs: number | undefined
  /**
   * The widest batchScale in force while this batch was open: a batch widened at SOFT and cut at
   * NORMAL waited on purpose, and its age is not lag.
   */
  batchScale: number
  /** Latest high-water mark seen per partition. */
  highWatermarks: Map<number, bigint>
  /** Decoded rows not yet appended to the writer. */
  rows: unknown[][]
  readonly report: StreamReport
}

/** A stream of either table. */
export type AnySinkStream = SinkStream<Trade> | SinkStream<Quote>

/** What a stream reads and how its records become rows. */
export interface StreamSource<R> {
  readonly kind: 'trades' | 'quotes'
  readonly topic: string
  readonly deferred: boolean
  readonly design: TableDesign<R>
  readonly decode: (value: Buffer) => Promise<R>
}

/** What a table's data files are written with: the catalog's schema, spec and sort order (field ids are the catalog's). */
export interface WriterLayout {
  readonly schema: Schema
  readonly spec: PartitionSpec
  readonly sortOrder: SortOrder
}

/** The table's current schema, default spec and default sort order; the design's sort order when the table has none. */
export function writerLayout<R>(loaded: LoadedTable, design: TableDesign<R>): WriterLayout {
  const meta = loaded.metadata
  const schema = meta.schemas.find((s) => s['schema-id'] === meta['current-schema-id'])!
  const spec = meta['partition-specs'].find((s) => s['spec-id'] === meta['default-spec-id'])!
  const sortOrder = meta['sort-orders'].find((s) => s['order-id'] === meta['default-sort-order-id']) ?? design.sortOrder
  return { schema, spec, sortOrder }
}

/** A stream at the table's offsets of its topic, with nothing staged. */
export async function openStream<R>(source: StreamSource<R>, table: TableHandle, loaded: LoadedTable, createWriter: (layout: WriterLayout) => Promise<ParquetDataWriter>): Promise<SinkStream<R>> {
  const layout = writerLayout(loaded, source.design)
  // Two writers, each on its own connection: one stages while the other's batch is written
  // and committed, so consuming does not stop for a commit.
  const writer = await createWriter(layout)
  const spare = await createWriter(layout)
  return {
    ...source,
    stagedTiers: new Map(),
    table,
    writer,
    spare,
    inFlight: undefined,
    inFlightOldestMs: undefined,
    inFlightScale: 1,
    loaded,
    committed: new Map(tableOffsets(loaded.metadata, source.topic)),
    next: new Map(),
    firstStaged: new Map(),
    oldestStagedMs: undefined,
    stagedOldest: new Map(),
    inFlightOldest: new Map(),
    lastReadMs: new Map(),
    batchStartedMs: undefined,
    batchScale: 1,
    highWatermarks: new Map(),
    rows: [],
    report: { records: 0, files: 0, commits: 0, deadLetters: 0, abandoned: 0 },
  }
}

/** Where a partition's next new record is: after what this batch read, else where the table is. Records before it were read already. */
export function resumeOffset(s: SinkStream<unknown>, partition: number): bigint | undefined {
  return s.next.get(partition) ?? s.committed.get(partition)
}

/** A record at `offset`, produced at `producedMs`, is about to be staged or dead-lettered: the batch's first offset and oldest record of the partition, and the last one read. */
export function noteRead(s: SinkStream<unknown>, partition: number, offset: bigint, producedMs: number): void {
  if (!s.firstStaged.has(partition)) s.firstStaged.set(partition, offset)
  if (!s.stagedOldest.has(partition)) s.stagedOldest.set(partition, producedMs)
  s.lastReadMs.set(partition, producedMs)
}

/** When a batch opens, and the degradation batch scale in force then. */
export interface BatchClock {
  now(): number
  scale(): number
}

/** A decoded record joins the batch (the first opens it); `tier` counts the records a deferred stream backfills. */
export function stageRecord(s: SinkStream<unknown>, row: unknown[], producedMs: number, tier: string | undefined, clock: BatchClock): void {
  s.rows.push(row)
  if (tier !== undefined) s.stagedTiers.set(tier, (s.stagedTiers.get(tier) ?? 0) + 1)
  s.oldestStagedMs ??= producedMs
  if (s.batchStartedMs === undefined) {
    s.batchStartedMs = clock.now()
    s.batchScale = clock.scale()
  }
}

/** The record at `offset` is dealt with (staged or dead-lettered): the partition reads on after it. */
export function noteConsumed(s: SinkStream<unknown>, partition: number, offset: bigint): void {
  s.next.set(partition, offset + 1n)
}

/** Hands the decoded rows to the writer. */
export function stageRows(s: SinkStream<unknown>): void {
  if (s.rows.length === 0) return
  s.writer.append(s.rows)
  s.rows = []
}

/** Whether the stream has read past what the table holds (staged or dead-lettered records): a batch to commit. */
export function readPastTable(s: SinkStream<unknown>): boolean {
  return [...s.next].some(([p, o]) => s.committed.get(p) !== o)
}

/** The age trigger: the open batch is `maxAgeMs` old, or only dead letters were read, which open no batch. */
export function flushDue(s: SinkStream<unknown>, nowMs: number, maxAgeMs: number): boolean {
  const age = s.batchStartedMs === undefined ? 0 : nowMs - s.batchStartedMs
  return age >= maxAgeMs || (s.batchStartedMs === undefined && readPastTable(s))
}

/** The open batch of a stream: when it opened, and the widest batch scale it has seen. */
export interface OpenBatch {
  readonly batchStartedMs: number | undefined
  /** Widened in place by `widenOpenBatch`. */
  batchScale: number
}

/**
 * The degradation manager's sample: a batch open while the level widens batches waits as long as
 * the widest scale it saw, so cutting it back at NORMAL does not make it late.
 */
export function widenOpenBatch(s: OpenBatch, scaleNow: number): void {
  if (s.batchStartedMs !== undefined) s.batchScale = Math.max(s.batchScale, scaleNow)
}

/** A batch handed to a commit. */
export interface FlushBatch {
  /** The writer holding the batch's rows (the stream stages into the other one meanwhile). */
  readonly writer: ParquetDataWriter
  /** What the table held when the batch began: the commit must still find it there. */
  readonly startOffsets: SnapshotOffsets
  /** Where the batch ends, per partition it read. */
  readonly batchOffsets: SnapshotOffsets
  /** Records per symbol tier (deferred streams). */
  readonly tiers: ReadonlyMap<string, number>
}

/**
 * Begins a flush when there is something to commit: swaps the writers, takes the batch's offsets,
 * and moves its oldest timestamps and scale to the commit in flight (they are its lag until the
 * commit ends). The caller stores the commit in `inFlight` and calls `endFlush` when it settles.
 */
export function beginFlush(s: SinkStream<unknown>): FlushBatch | undefined {
  if (!readPastTable(s)) return undefined
  const writer = s.writer
  s.writer = s.spare
  s.spare = writer
  const startOffsets = new Map(s.committed)
  const batchOffsets = new Map(s.next)
  s.inFlightOldestMs = s.oldestStagedMs
  s.inFlightOldest = s.stagedOldest
  s.stagedOldest = new Map()
  s.inFlightScale = s.batchScale
  s.oldestStagedMs = undefined
  s.batchStartedMs = undefined
  s.batchScale = 1
  const tiers = s.stagedTiers
  s.stagedTiers = new Map()
  return { writer, startOffsets, batchOffsets, tiers }
}

/** The batch is in the table: the stream holds the table as committed and the batch's offsets. */
export function recordCommit(s: SinkStream<unknown>, loaded: LoadedTable, batchOffsets: SnapshotOffsets, records: number, files: number): void {
  s.loaded = loaded
  s.committed = mergeOffsets(s.committed, batchOffsets)
  s.report.records += records
  s.report.files += files
  s.report.commits++
}

/** The commit in flight has settled (committed, abandoned or failed): no batch is in flight. */
export function endFlush(s: SinkStream<unknown>): void {
  s.inFlight = undefined
  s.inFlightOldestMs = undefined
  s.inFlightOldest = new Map()
  s.inFlightScale = 1
}

/** Drops what is staged in both writers: a rebalance re-reads it from the table's offsets. */
export async function clearStaged(s: SinkStream<unknown>): Promise<void> {
  await s.writer.clear()
  await s.spare.clear()
  s.rows = []
  s.stagedTiers = new Map()
}

/**
 * Where to read from after a rebalance: every partition the table holds at its offset, and one it
 * holds nothing of, where this batch began reading it (the consumer is past it).
 */
export function repositionSeeks(firstStaged: ReadonlyMap<number, bigint>, held: SnapshotOffsets): Array<{ partition: number; offset: bigint }> {
  const seeks: Array<{ partition: number; offset: bigint }> = []
  for (const [partition, offset] of firstStaged) if (!held.has(partition)) seeks.push({ partition, offset })
  for (const [partition, offset] of held) seeks.push({ partition, offset })
  return seeks
}

/** After a rebalance: the stream is where `loaded` is, at `held`, with no batch open. */
export function resetToTable(s: SinkStream<unknown>, loaded: LoadedTable, held: SnapshotOffsets): void {
  s.loaded = loaded
  s.committed = new Map(held)
  s.next = new Map()
  s.firstStaged = new Map()
  s.oldestStagedMs = undefined
  s.stagedOldest = new Map()
  s.lastReadMs = new Map()
  // Partitions come back with their next batch: a partition another instance now owns is not reported on.
  s.highWatermarks = new Map()
  s.batchStartedMs = undefined
}

/** The lake-lag gauges of a stream: records past the table up to the high-water marks, and the age of the oldest record not in it (0 when none waits). */
export interface LagFigures {
  readonly records: number
  readonly seconds: number
}

export function lagFigures(s: SinkStream<unknown>, nowMs: number): LagFigures {
  let behind = 0n
  for (const [p, hw] of s.highWatermarks) {
    const at = s.committed.get(p) ?? 0n
    if (hw > at) behind += hw - at
  }
  const oldest = s.inFlightOldestMs ?? s.oldestStagedMs
  return { records: Number(behind), seconds: oldest === undefined ? 0 : Math.max(0, (nowMs - oldest) / 1000) }
}
