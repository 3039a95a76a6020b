import { ErrorCode, WorkbenchError } from '../errors/index'
import type { Admin, ITopicConfig, Kafka } from 'kafkajs'
import { checkpointTopicConfig } from './checkpoint-kafka'

/** A topic the project owns: auto-creation is off on our brokers, so every topic is made here. */
export interface TopicSpec {
  readonly topic: string
  readonly partitions: number
  readonly config?: Readonly<Record<string, string>>
}

/** Creates the topics that do not exist yet (idempotent); returns the names it created. */
export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics())
  const missing: ITopicConfig[] = specs
    .filter((s) => !existing.has(s.topic))
    .map((s) => ({ topic: s.topic, numPartitions: s.partitions, configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })) }))
  if (missing.length === 0) return []
  const created = await admin.createTopics({ topics: missing, waitForLeaders: true })
  // False: another process created them between our list and our create (two ingest shards
  // starting together). kafkajs then returns at once, before the partitions have leaders, and a
  // produce that soon fails NOT_LEADER on metadata kafkajs does not refresh: wait for them here.
  if (!created) await waitForLeaders(admin, missing.map((t) => t.topic))
  return missing.map((t) => t.topic)
}

/** Waits until every partition of `topics` has a leader (CLUSTER_NOT_READY-like TIMEOUT, retryable, after `timeoutMs`). */
async function waitForLeaders(admin: Admin, topics: readonly string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const meta = await admin.fetchTopicMetadata({ topics: [...topics] }).catch(() => undefined)
    if (meta && meta.topics.length === topics.length && meta.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return
    if (Date.now() > deadline) throw new WorkbenchError(ErrorCode.Timeout, `topics ${topics.join(', ')} have partitions without a leader after ${Math.round(timeoutMs / 1000)} s`, true)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/**
 * The trade, quote and dead-letter topics, as the ingestor creates them: batches are capped at
 * 4 MiB of values and the topics accept 8 MiB, so even an uncompressed batch whose records all
 * land in one partition fits (the broker default is 1 MiB). Dead letters stay 30 days.
 */
export function marketTopicSpecs(topics: { readonly trades: string; readonly quotes: string; readonly deadLetter: string; readonly partitions: number }): TopicSpec[] {
  const large = { 'max.message.bytes': String(8 * 2 ** 20) }
  return [
    { topic: topics.trades, partitions: topics.partitions, config: large },
    { topic: topics.quotes, partitions: topics.partitions, config: large },
    { topic: topics.deadLetter, partitions: 1, config: { ...large, 'retention.ms': String(30 * 24 * 3600_000) } },
  ]
}

/** The topics the ingest writes. */
export interface IngestTopics {
  readonly trades: string
  readonly quotes: string
  readonly deadLetter: string
  readonly partitions: number
  /**
   * Compacted topic of the last trade id per symbol, written in the same transaction as the
   * trades (the sender must be transactional). When set, a restart resumes from it.
   */
  readonly checkpoint?: string
  /** The load shedder's topics: records of shed symbols go here (same transaction), backfilled by the sink at NORMAL. */
  readonly deferredTrades?: string
  readonly deferredQuotes?: string
}

/**
 * Every topic the ingest writes, as it creates them: the market topics; the deferred ones made
 * like the trades topic (a shed record is a hot one that went elsewhere: same partitions, same
 * size limit); and the checkpoint as one compacted partition (checkpoint-kafka.ts).
 */
export function ingestTopicSpecs(topics: IngestTopics): TopicSpec[] {
  const hot = marketTopicSpecs(topics)
  const deferredSpecs = [topics.deferredTrades, topics.deferredQuotes].filter((t): t is string => t !== undefined).map((topic) => ({ ...hot[0]!, topic }))
  return [...hot, ...deferredSpecs, ...(topics.checkpoint ? [{ topic: topics.checkpoint, partitions: 1, config: checkpointTopicConfig }] : [])]
}

/** Creates the missing topics of `specs` through an admin client of its own; returns the names it created. */
export async function ensureTopicsOnce(kafka: Kafka, specs: readonly TopicSpec[]): Promise<string[]> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    return await ensureTopics(admin, specs)
  } finally {
    await admin.disconnect()
  }
}

/**
 * A topic's offsets (low and high per partition) through an admin client of its own. A kafkajs
 * client keeps its metadata for up to 5 minutes and refreshes it on an unknown topic but not on
 * NOT_LEADER_FOR_PARTITION, so on a topic created moments ago (the ingest and the sink start
 * together on a fresh stack) every retry on the same client failed until the metadata aged: the
 * sink then committed nothing for minutes. A new client reads current metadata.
 */
export async function freshTopicOffsets(kafka: Kafka, topic: string): Promise<Array<{ partition: number; offset: string; high: string; low: string }>> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    return await admin.fetchTopicOffsets(topic)
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
}
