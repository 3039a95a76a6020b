import type { PartitionValues } from '../iceberg/spec-types'

/** A live data file as compaction sees it. */
export interface CompactionCandidate {
  readonly path: string
  readonly specId: number
  readonly partition: PartitionValues
  readonly sizeBytes: number
  readonly records: number
  /** Lower bound of the table's time column (µs), from the file's column bounds; undefined when absent. */
  readonly minTimeMicros: bigint | undefined
}

/** Files to rewrite as one: all in one partition and one hour. */
export interface CompactionGroup {
  readonly specId: number
  readonly partition: PartitionValues
  /** Hours since the epoch of the files' data (-1 when the files have no time bounds). */
  readonly hour: number
  readonly files: readonly CompactionCandidate[]
}

export interface CompactionPolicy {
  /** Files aim for this size; files at or above 3/4 of it are left alone. */
  readonly targetFileBytes: number
  /** Now, µs since the epoch: an hour is closed once it ended before `now - closeGraceMicros`. */
  readonly nowMicros: bigint
  /** How long after an hour ends late records may still arrive (default 2 min). */
  readonly closeGraceMicros?: bigint
  /** In the open hour, small files are merged once this many have gathered (default 16). */
  readonly openHourMinFiles?: number
}

const hourMicros = 3_600_000_000n

/**
 * Which files to merge (pure): group live files by partition and by the hour their data starts
 * in, so a table ends with at most one file per partition per hour (more only when an hour
 * holds more than the target size). A closed hour is merged as soon as it has two small files;
 * the open hour only once `openHourMinFiles` small files of about the same size have gathered,
 * and then only those: a file four or more times the size of the hour's small files (one an
 * earlier round merged) waits for the hour to close. Rewriting the growing file of the open hour
 * each round rewrote the whole hour 7 or 8 times an hour (half a core at rate 1); tiered, every
 * record is rewritten twice at most. Groups are split to stay under the target.
 */
export function planCompaction(files: readonly CompactionCandidate[], policy: CompactionPolicy): CompactionGroup[] {
  const large = (policy.targetFileBytes * 3) / 4
  const grace = policy.closeGraceMicros ?? 120_000_000n
  const openMin = policy.openHourMinFiles ?? 16
  const groups = new Map<string, { specId: number; partition: PartitionValues; hour: number; files: CompactionCandidate[] }>()
  for (const f of files) {
    if (f.sizeBytes >= large) continue
    const hour = f.minTimeMicros === undefined ? -1 : Number(floorDiv(f.minTimeMicros, hourMicros))
    const key = `${f.specId}|${JSON.stringify(f.partition, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}|${hour}`
    let g = groups.get(key)
    if (!g) groups.set(key, (g = { specId: f.specId, partition: f.partition, hour, files: [] }))
    g.files.push(f)
  }
  const out: CompactionGroup[] = []
  for (const g of groups.values()) {
    const closed = g.hour >= 0 && BigInt(g.hour + 1) * hourMicros + grace <= policy.nowMicros
    const files = closed ? g.files : smallTier(g.files)
    if (files.length < 2 || (!closed && files.length < openMin)) continue
    // Oldest data first, then split greedily under the target size.
    const sorted = [...files].sort((a, b) => (a.minTimeMicros ?? 0n) < (b.minTimeMicros ?? 0n) ? -1 : (a.minTimeMicros ?? 0n) > (b.minTimeMicros ?? 0n) ? 1 : a.path < b.path ? -1 : 1)
    let chunk: CompactionCandidate[] = []
    let bytes = 0
    const emit = (): void => {
      if (chunk.length >= 2) out.push({ specId: g.specId, partition: g.partition, hour: g.hour, files: chunk })
      chunk = []
      bytes = 0
    }
    for (const f of sorted) {
      if (chunk.length > 0 && bytes + f.sizeBytes > policy.targetFileBytes) emit()
      chunk.push(f)
      bytes += f.sizeBytes
    }
    emit()
  }
  return out.sort((a, b) => a.hour - b.hour)
}

/** The files of an open hour below four times its lower-quartile size: those the sink wrote, not the merges of earlier rounds. */
function smallTier(files: readonly CompactionCandidate[]): CompactionCandidate[] {
  const sizes = files.map((f) => f.sizeBytes).sort((a, b) => a - b)
  const limit = 4 * sizes[Math.floor((sizes.length - 1) / 4)]!
  return files.filter((f) => f.sizeBytes < limit)
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q
}

/**
 * Snapshots to expire (pure): older than the cutoff, beyond the newest `keep`, never the current
 * one, and none from `floorMs` on (those a reader of the history, the rollup, still needs).
 */
export function snapshotsToExpire(snapshots: ReadonlyArray<{ readonly id: bigint; readonly timestampMs: number }>, current: bigint | undefined, policy: { readonly maxAgeMs: number; readonly keep: number; readonly nowMs: number; readonly floorMs?: number }): bigint[] {
  const newestFirst = [...snapshots].sort((a, b) => b.timestampMs - a.timestampMs)
  const cutoff = Math.min(policy.nowMs - policy.maxAgeMs, policy.floorMs ?? Infinity)
  return newestFirst
    .slice(policy.keep)
    .filter((s) => s.timestampMs < cutoff && s.id !== current)
    .map((s) => s.id)
}
