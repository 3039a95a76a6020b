/**
 * How far the sink has got, per partition, and the lag and backlog signals that follow. Pure.
 *
 * The sink commits its consumer group's offsets as the lake's offsets (what lag tools expect:
 * everything below is in the lake), and with each, in the offset commit's metadata string, its
 * progress: the next offset it reads, the produce timestamp of the oldest record of the
 * partition that is not in the lake yet, the commit cadence that record waits for, and when it
 * said so. It does so every second, not only at lake commits. So the ingest, which sheds, reads
 * with one OffsetFetch what the sink itself measures (D37):
 * - the lake lag: the age of the oldest record not yet in the lake, from that record's own
 *   timestamp, in commit cadences (a healthy sink peaks at about one);
 * - the backlog: records the sink has not read yet, which grows only while input is above what
 *   the sink drains.
 */

export interface PartitionProgress {
  /** Next offset the sink reads. */
  readonly read: bigint
  /** Produce timestamp (ms) of the oldest record not yet in the lake; undefined when the lake holds all the sink has read. */
  readonly oldestMs?: number
  /** The commit cadence that record waits for (ms): the age trigger times the batch's scale. */
  readonly cadenceMs: number
  /** When the sink measured this (ms since the epoch). */
  readonly atMs: number
}

const prefix = 'k2p1'

/** The offset-commit metadata string of one partition's progress (well under Kafka's 4 KiB limit). */
export function encodeProgress(p: PartitionProgress): string {
  return `${prefix} r=${p.read} o=${p.oldestMs === undefined ? '-' : Math.round(p.oldestMs)} c=${Math.round(p.cadenceMs)} a=${Math.round(p.atMs)}`
}

/** Progress from an offset-commit metadata string; undefined for anything else (no metadata, another writer's, malformed). */
export function decodeProgress(text: string | null | undefined): PartitionProgress | undefined {
  if (!text || !text.startsWith(`${prefix} `)) return undefined
  const m = /^k2p1 r=(\d+) o=(-|\d+) c=(\d+) a=(\d+)$/.exec(text)
  if (!m) return undefined
  return { read: BigInt(m[1]!), ...(m[2] === '-' ? {} : { oldestMs: Number(m[2]) }), cadenceMs: Number(m[3]), atMs: Number(m[4]) }
}

/** One partition as seen from outside: the lake's offset, the topic's end, and the sink's progress. */
export interface PartitionView {
  /** Next offset to write: everything below is in the lake. */
  readonly committed: bigint
  /** The topic partition's end (high-water mark). */
  readonly end: bigint
  readonly progress?: PartitionProgress
}

export interface ProgressSignals {
  /** Age of the oldest record not in the lake, seconds (undefined: no progress to tell). */
  readonly lagSeconds?: number
  /** The same in commit cadences (the largest over partitions). */
  readonly lagCadences?: number
  /** Records not read by the sink (undefined when a partition with records has no fresh progress). */
  readonly backlogRecords?: number
}

/**
 * Lag and backlog over partitions. A partition whose lake holds everything has no lag; one whose
 * sink said the lake held all it had read has records newer than that report, so their age is
 * at most the report's. Progress older than `staleMs` says nothing about the backlog: a sink that
 * stopped reporting is stopped, and shedding does not help a stopped sink (its data waits in
 * Kafka, and the lake-lag alert fires). The backlog leaves out what `inputPerSecond` brought
 * since the reports were made.
 */
export function progressSignals(partitions: readonly PartitionView[], nowMs: number, staleMs: number, inputPerSecond = 0): ProgressSignals {
  let lagMs: number | undefined
  let cadences: number | undefined
  let backlog: number | undefined = 0
  // Records that arrived after a report were not there for the sink to read: counting them as
  // unread made a healthy sink look a second or two of input behind (it reports every second).
  let reportAgeMs = 0
  let reports = 0
  for (const p of partitions) {
    const behind = p.end > p.committed
    const g = p.progress
    if (!behind) {
      lagMs ??= 0
      cadences ??= 0
    } else if (g) {
      const age = Math.max(0, nowMs - (g.oldestMs ?? g.atMs))
      lagMs = Math.max(lagMs ?? 0, age)
      cadences = Math.max(cadences ?? 0, age / Math.max(1, g.cadenceMs))
    }
    if (backlog === undefined) continue
    if (!g || nowMs - g.atMs > staleMs) {
      if (behind) backlog = undefined
      continue
    }
    const read = g.read > p.committed ? g.read : p.committed
    if (p.end > read) backlog += Number(p.end - read)
    reportAgeMs += Math.max(0, nowMs - g.atMs)
    reports++
  }
  if (backlog !== undefined && reports > 0) backlog = Math.max(0, backlog - (inputPerSecond * reportAgeMs) / reports / 1000)
  return {
    ...(lagMs === undefined ? {} : { lagSeconds: lagMs / 1000 }),
    ...(cadences === undefined ? {} : { lagCadences: cadences }),
    ...(backlog === undefined ? {} : { backlogRecords: backlog }),
  }
}

/**
 * Records per second of a growing total (a topic's end offsets summed), over the last `windowMs`
 * of pushes. Pure: the caller supplies the times.
 */
export interface RateTracker {
  push(atMs: number, total: number): void
  /** Per second over the window; undefined until two pushes. */
  perSecond(): number | undefined
}

export function createRateTracker(windowMs: number): RateTracker {
  const points: Array<{ at: number; total: number }> = []
  return {
    push(at, total) {
      points.push({ at, total })
      while (points.length > 2 && at - points[1]!.at >= windowMs) points.shift()
    },
    perSecond() {
      if (points.length < 2) return undefined
      const a = points[0]!
      const b = points.at(-1)!
      return b.at > a.at ? Math.max(0, ((b.total - a.total) * 1000) / (b.at - a.at)) : undefined
    },
  }
}

/** The input rate below which backlog seconds are counted as if at this rate: a few records at an idle feed are no backlog. */
export const minInputRate = 100

/** Seconds of input a backlog holds: records ÷ the input rate (at least `minInputRate`). */
export function backlogSeconds(records: number | undefined, inputPerSecond: number | undefined): number | undefined {
  if (records === undefined) return undefined
  return records / Math.max(minInputRate, inputPerSecond ?? 0)
}
