/**
 * The story's look at Kafka: each market topic with its role, partitions and the records it
 * holds now (high − low watermark, summed over partitions). IO adapter over a kafkajs admin.
 */
import type { Kafka } from 'kafkajs'
import type { WorkbenchConfig } from '../config/index'

/** A topic, what it is for, its partitions and the records it holds. */
export type TopicRow = { readonly role: string; readonly topic: string; readonly partitions: number; readonly records: number }

/** The topics the story shows, with what each is for. Pure. */
export function topicRoles(topics: WorkbenchConfig['topics']): ReadonlyArray<{ readonly role: string; readonly topic: string }> {
  return [
    { role: 'trades', topic: topics.trades },
    { role: 'quotes', topic: topics.quotes },
    { role: 'dead letters', topic: topics.deadLetter },
    { role: 'deferred trades (load shedder)', topic: topics.deferredTrades },
    { role: 'deferred quotes', topic: topics.deferredQuotes },
    { role: 'ingest checkpoint (compacted)', topic: topics.checkpoint },
  ]
}

/** Records a topic holds: high − low watermark, summed over its partitions. Pure. */
export function recordsHeld(offsets: ReadonlyArray<{ readonly high: string; readonly low: string }>): number {
  return offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0)
}

/** Reads every topic's watermarks; a topic not created yet shows 0 partitions. */
export async function topicRows(kafka: Kafka, topics: WorkbenchConfig['topics']): Promise<TopicRow[]> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const rows: TopicRow[] = []
    for (const { role, topic } of topicRoles(topics)) {
      const offsets = await admin.fetchTopicOffsets(topic).catch(() => [])
      rows.push({ role, topic, partitions: offsets.length, records: recordsHeld(offsets) })
    }
    return rows
  } finally {
    await admin.disconnect()
  }
}
