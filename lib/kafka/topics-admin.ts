import type { Admin, ITopicConfig, Kafka } from 'kafkajs'
import { ErrorCode, WorkbenchError } from '../errors/index'
import type { TopicSpec } from '../market/topics'

/**
 * Topics through kafkajs's admin client: making the project's topics (auto-creation is off on
 * our brokers) and reading a topic's offsets on current metadata. Shared by the ingest, the
 * sink and the query engine's wiring.
 */

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
