import { ErrorCode, WorkbenchError } from '../errors/index'
import type { Snapshot, TableMetadata } from '../iceberg/spec-types'
import { ancestorsOf, currentSnapshot } from '../iceberg/table-metadata'

/**
 * The Kafka position a table has committed: for each partition of its topic, the offset of the
 * next record to write. The sink writes it into the summary of every snapshot it commits, in
 * the same atomic commit as the data, so the table itself says exactly which records it holds.
 * Snapshot summary keys: `k2.kafka.topic` and `k2.kafka.offsets` (`partition:offset,…`) for the
 * table's hot topic; `k2.kafka.offsets@<topic>` for any other topic that feeds it (the deferred
 * topic of the load shedder). Every commit carries the other topics' keys forward.
 */
export type SnapshotOffsets = ReadonlyMap<number, bigint>

export const summaryTopicKey = 'k2.kafka.topic'
export const summaryOffsetsKey = 'k2.kafka.offsets'

/** The summary key of a topic's offsets when it is not the table's hot topic. */
export const topicOffsetsKey = (topic: string): string => `${summaryOffsetsKey}@${topic}`

export interface OffsetsSummaryOptions {
  /** The table's hot topic (default): the `k2.kafka.topic` / `k2.kafka.offsets` keys; else `k2.kafka.offsets@<topic>`. */
  readonly primary?: boolean
  /** The summary of the snapshot the commit builds on: its other topics' offsets are carried forward. */
  readonly carry?: Readonly<Record<string, string>>
}

/** The summary properties recording `offsets` of `topic` (with the base snapshot's other topics carried forward). */
export function offsetsSummary(topic: string, offsets: SnapshotOffsets, options: OffsetsSummaryOptions = {}): Record<string, string> {
  const text = [...offsets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([p, o]) => `${p}:${o}`)
    .join(',')
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(options.carry ?? {})) if (k === summaryTopicKey || k.startsWith(summaryOffsetsKey)) out[k] = v
  if (options.primary ?? true) {
    out[summaryTopicKey] = topic
    out[summaryOffsetsKey] = text
    delete out[topicOffsetsKey(topic)]
  } else {
    out[topicOffsetsKey(topic)] = text
  }
  return out
}

/** Offsets recorded in one snapshot's summary, or undefined when it records none for `topic`. */
export function offsetsOfSnapshot(snapshot: Snapshot, topic: string): SnapshotOffsets | undefined {
  const s = snapshot.summary
  const text = s[summaryTopicKey] === topic ? s[summaryOffsetsKey] : s[topicOffsetsKey(topic)]
  if (text === undefined) return undefined
  const out = new Map<number, bigint>()
  for (const part of text.split(',')) {
    if (part === '') continue
    const m = /^(\d+):(\d+)$/.exec(part)
    if (!m) throw new WorkbenchError(ErrorCode.RecordInvalid, `snapshot ${snapshot['snapshot-id']} has a malformed ${summaryOffsetsKey} entry ${JSON.stringify(part)} (expected partition:offset)`)
    out.set(Number(m[1]), BigInt(m[2]!))
  }
  return out
}

/**
 * The offsets the table holds for `topic` at `snapshot` (default: the current one): from the
 * newest snapshot in its ancestry that records them (maintenance snapshots carry them forward;
 * older ones are a fallback). Empty when the sink has never written the topic: start from the
 * beginning of the topic.
 */
export function tableOffsets(meta: TableMetadata, topic: string, snapshot: Snapshot | undefined = currentSnapshot(meta)): SnapshotOffsets {
  for (const s of ancestorsOf(meta, snapshot)) {
    const o = offsetsOfSnapshot(s, topic)
    if (o) return o
  }
  return new Map()
}

/** What a reader already knows: the offsets a table held for a topic at one snapshot. */
export interface KnownOffsets {
  readonly snapshotId: bigint
  readonly offsets: SnapshotOffsets
}

/**
 * `tableOffsets` over metadata that may hold only part of the history, such as a catalog's
 * `snapshots=refs` answer (the current snapshot alone): the newest ancestor that records the
 * topic's offsets, or `known`'s offsets once the walk reaches its snapshot, or empty at the
 * table's first snapshot. Undefined when the walk leaves the metadata before any of these: the
 * reader must load the whole history (a foreign commit that did not carry the offsets forward,
 * and more than one commit since the reader last looked).
 */
export function partialTableOffsets(meta: TableMetadata, topic: string, known?: KnownOffsets, snapshot: Snapshot | undefined = currentSnapshot(meta)): SnapshotOffsets | undefined {
  if (snapshot === undefined) return new Map()
  const byId = new Map(meta.snapshots.map((s) => [s['snapshot-id'], s]))
  if (known !== undefined && snapshot['snapshot-id'] === known.snapshotId) return known.offsets
  for (let s: Snapshot | undefined = snapshot; s !== undefined; ) {
    const o = offsetsOfSnapshot(s, topic)
    if (o) return o
    const parent = s['parent-snapshot-id']
    if (parent === undefined) return new Map()
    if (known !== undefined && parent === known.snapshotId) return known.offsets
    s = byId.get(parent)
  }
  return undefined
}

/** `base` with `next` laid over it: partitions this batch did not touch keep their offsets. */
export function mergeOffsets(base: SnapshotOffsets, next: SnapshotOffsets): Map<number, bigint> {
  const out = new Map(base)
  for (const [p, o] of next) out.set(p, o)
  return out
}

/** Offsets for a log line (`partition:offset, …`). */
export function describeOffsets(offsets: SnapshotOffsets): string {
  if (offsets.size === 0) return 'nothing (starting from the beginning of the topic)'
  return [...offsets].map(([p, o]) => `${p}:${o}`).join(', ')
}
