import { encodeProgress, type PartitionProgress, type PartitionView } from '../degrade/sink-progress'

/**
 * Where one of the sink's streams stands, per partition: what the lake holds, what has been read,
 * and the produce timestamps of the oldest records waiting for a commit. Pure: the sink keeps
 * these maps; this turns them into the progress it publishes and the views its own signals use.
 */
export interface StreamPosition {
  /** Offsets the table holds (next record to write). */
  readonly committed: ReadonlyMap<number, bigint>
  /** Offsets after the records read (staged, in flight or dead-lettered). */
  readonly next: ReadonlyMap<number, bigint>
  /** The partition's end at the last fetch. */
  readonly highWatermarks: ReadonlyMap<number, bigint>
  /** Produce timestamp (ms) of the first record staged in the open batch, per partition. */
  readonly stagedOldest: ReadonlyMap<number, number>
  /** The same for the batch being committed. */
  readonly inFlightOldest: ReadonlyMap<number, number>
  /** Produce timestamp of the last record read, per partition. */
  readonly lastReadMs: ReadonlyMap<number, number>
  /** The widest degradation batch scale while the open batch, and the one in flight, were staged. */
  readonly batchScale: number
  readonly inFlightScale: number
}

/**
 * One partition's progress at `nowMs`. The oldest record not in the lake is the in-flight
 * batch's first, else the open batch's first; when neither holds the partition but records were
 * read past the lake (dead letters only) or wait unread, the last record read bounds their age.
 * Its cadence is the age trigger times the scale its batch was staged under (`scaleNow` for a
 * batch not yet open): a batch widened on purpose is not late. The age counts from `sinceMs` (the
 * sink's start) at most: a restarted sink is not late for records it could not read while it was
 * stopped — that is downtime, and counting it widened a restarted sink's first batch to 2 minutes
 * (the lake-lag gauge still reports the true age).
 */
export function partitionProgress(s: StreamPosition, partition: number, nowMs: number, maxAgeMs: number, scaleNow: number, sinceMs = 0): PartitionProgress {
  const committed = s.committed.get(partition) ?? 0n
  const read = s.next.get(partition) ?? committed
  const hw = s.highWatermarks.get(partition) ?? read
  const inFlight = s.inFlightOldest.get(partition)
  const staged = s.stagedOldest.get(partition)
  const waiting = read > committed || hw > read ? s.lastReadMs.get(partition) : undefined
  const oldest = inFlight ?? staged ?? waiting
  const oldestMs = oldest === undefined ? undefined : Math.max(oldest, sinceMs)
  const scale = inFlight !== undefined ? s.inFlightScale : staged !== undefined ? s.batchScale : scaleNow
  return { read: read > committed ? read : committed, ...(oldestMs === undefined ? {} : { oldestMs }), cadenceMs: maxAgeMs * Math.max(1, scale), atMs: nowMs }
}

/** The partitions the stream knows of (read from, or held by the table). */
export function knownPartitions(s: StreamPosition): number[] {
  return [...new Set([...s.highWatermarks.keys(), ...s.committed.keys()])].sort((a, b) => a - b)
}

/** The stream's partitions as views with fresh progress, for the sink's own lag and backlog signals. */
export function streamViews(s: StreamPosition, nowMs: number, maxAgeMs: number, scaleNow: number, sinceMs = 0): PartitionView[] {
  return knownPartitions(s).map((p) => {
    const progress = partitionProgress(s, p, nowMs, maxAgeMs, scaleNow, sinceMs)
    const committed = s.committed.get(p) ?? 0n
    const end = s.highWatermarks.get(p) ?? progress.read
    return { committed, end: end > progress.read ? end : progress.read, progress }
  })
}

/** A consumer-group offset commit that publishes one partition's progress. */
export interface ProgressCommit {
  readonly topic: string
  readonly partition: number
  /** The table's offset: everything below is in the lake. */
  readonly offset: string
  /** The progress (encodeProgress). */
  readonly metadata: string
}

/**
 * The group offsets that publish a stream's progress: the table's offset of every partition it
 * knows, each with its progress. Partitions the table holds nothing of yet are left out.
 */
export function progressCommits(s: StreamPosition & { readonly topic: string }, nowMs: number, maxAgeMs: number, scaleNow: number, sinceMs = 0): ProgressCommit[] {
  const commits: ProgressCommit[] = []
  for (const p of knownPartitions(s)) {
    const held = s.committed.get(p)
    if (held === undefined) continue
    commits.push({ topic: s.topic, partition: p, offset: String(held), metadata: encodeProgress(partitionProgress(s, p, nowMs, maxAgeMs, scaleNow, sinceMs)) })
  }
  return commits
}
