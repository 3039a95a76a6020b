import type { Admin, ITopicConfig } from 'kafkajs'

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
  await admin.createTopics({ topics: missing, waitForLeaders: true })
  return missing.map((t) => t.topic)
}
