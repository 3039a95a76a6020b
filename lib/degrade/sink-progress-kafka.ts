import type { Admin } from 'kafkajs'
import type { DegradationSignals } from './degradation-policy'
import { backlogSeconds, createRateTracker, decodeProgress, progressSignals, type PartitionView } from './sink-progress'

/** Sink progress older than this says nothing about its backlog (it reports every second). */
export const progressStaleMs = 10_000

/**
 * What the ingest's shedder knows of the sink (D37): one OffsetFetch of the sink's group (its
 * offsets are the lake's, its metadata the progress it publishes) and the topics' ends, turned
 * into lag and backlog signals. The input rate is the topics' ends over the last 10 s of calls.
 */
export function createSinkProgressReader(admin: Pick<Admin, 'fetchOffsets' | 'fetchTopicOffsets'>, groupId: string, topics: readonly string[], staleMs = progressStaleMs): () => Promise<DegradationSignals> {
  const endRate = createRateTracker(10_000)
  return async () => {
    const [group, ...ends] = await Promise.all([admin.fetchOffsets({ groupId, topics: [...topics] }), ...topics.map((t) => admin.fetchTopicOffsets(t))])
    const now = Date.now()
    const views: PartitionView[] = []
    let total = 0
    topics.forEach((topic, i) => {
      const committed = new Map((group.find((g) => g.topic === topic)?.partitions ?? []).map((p) => [p.partition, p]))
      for (const e of ends[i]!) {
        const c = committed.get(e.partition)
        const at = c && BigInt(c.offset) >= 0n ? BigInt(c.offset) : BigInt(e.low)
        const progress = decodeProgress(c?.metadata)
        views.push({ committed: at, end: BigInt(e.high), ...(progress ? { progress } : {}) })
        total += Number(e.high)
      }
    })
    endRate.push(now, total)
    const rate = endRate.perSecond()
    const p = progressSignals(views, now, staleMs, rate)
    const seconds = backlogSeconds(p.backlogRecords, rate)
    return { ...p, ...(seconds === undefined ? {} : { backlogSeconds: seconds }) }
  }
}
