/**
 * High-water marks in one round trip. A hybrid query takes the end of every partition of the
 * topics it reads when it starts, and waits for the Kafka tail to reach them: that round trip is
 * on every query's path. kafkajs 2.2.4's `admin.fetchTopicOffsets` asks for the latest offsets
 * and then, in a second ListOffsets round trip, for the earliest, which the query does not use
 * (p50 0.80–0.87 against 0.35–0.62 ms for the latest alone on an idle local broker; under the
 * live load of bench:query the pair took p50 1.0–1.6, p90 2.3–5.9 ms).
 *
 * kafkajs has no public call for the latest offsets alone, so this asks its own cluster client,
 * made by the Kafka instance's cluster factory exactly as `kafka.admin()` makes one (same
 * brokers, retry, isolation level). That factory is private (a symbol-keyed property): where it is
 * not found, as in another kafkajs version, and whenever the single request fails, the admin's
 * call answers instead, so the marks are never less than the admin would give.
 */
import type { Admin, Kafka } from 'kafkajs'

/** A partition's high-water mark: the offset the next record written to it gets. */
export interface PartitionMark {
  readonly partition: number
  readonly high: string
}

export interface HighWaterMarks {
  /** Every partition's high-water mark of `topic`, taken now. */
  of(topic: string): Promise<PartitionMark[]>
  /** Whether marks are taken in one round trip (false: through the admin's two). */
  readonly single: boolean
  close(): Promise<void>
}

/** The part of kafkajs's cluster client this uses (kafkajs 2.2.4, src/cluster/index.js). */
interface ClusterClient {
  connect(): Promise<void>
  disconnect(): Promise<void>
  refreshMetadata(): Promise<void>
  addTargetTopic(topic: string): Promise<void>
  refreshMetadataIfNecessary(): Promise<void>
  findTopicPartitionMetadata(topic: string): Array<{ partitionId: number }>
  fetchTopicsOffset(topics: Array<{ topic: string; fromBeginning: boolean; partitions: Array<{ partition: number }> }>): Promise<Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>>
}

type ClusterFactory = (options: { allowAutoTopicCreation: boolean }) => ClusterClient

/** The Kafka instance's cluster factory, when this kafkajs has the one this was written for. */
export function clusterFactoryOf(kafka: Kafka): ClusterFactory | undefined {
  const key = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster')
  const factory = key === undefined ? undefined : (kafka as unknown as Record<symbol, unknown>)[key]
  return typeof factory === 'function' ? (factory as ClusterFactory) : undefined
}

/** Marks from `admin` (connected by the caller), in one round trip where the kafkajs in use allows it. */
export async function createHighWaterMarks(kafka: Kafka, admin: Pick<Admin, 'fetchTopicOffsets'>): Promise<HighWaterMarks> {
  const viaAdmin = async (topic: string): Promise<PartitionMark[]> => (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, high: p.high }))
  let client: ClusterClient | undefined
  try {
    const made = clusterFactoryOf(kafka)?.({ allowAutoTopicCreation: false })
    if (made && hasClusterCalls(made)) {
      await made.connect()
      client = made
    }
  } catch {
    client = undefined
  }
  if (!client) return { of: viaAdmin, single: false, close: async () => undefined }
  const cluster = client
  const latest = async (topic: string): Promise<PartitionMark[]> => {
    await cluster.addTargetTopic(topic)
    await cluster.refreshMetadataIfNecessary()
    const partitions = cluster.findTopicPartitionMetadata(topic).map((p) => ({ partition: p.partitionId }))
    const [answer] = await cluster.fetchTopicsOffset([{ topic, fromBeginning: false, partitions }])
    if (!answer || answer.partitions.length !== partitions.length) throw new Error(`ListOffsets answered ${answer?.partitions.length ?? 0} of ${partitions.length} partitions of ${topic}`)
    return answer.partitions.map((p) => ({ partition: p.partition, high: String(p.offset) }))
  }
  return {
    // A failed request (a moved leader, a restarted broker) refreshes the client's metadata for
    // the next query; this one has the admin's marks, which retry as kafkajs retries.
    of: (topic) =>
      latest(topic).catch(() => {
        cluster.refreshMetadata().catch(() => undefined)
        return viaAdmin(topic)
      }),
    single: true,
    close: () => cluster.disconnect().catch(() => undefined),
  }
}

function hasClusterCalls(c: ClusterClient): boolean {
  return (['refreshMetadata', 'addTargetTopic', 'refreshMetadataIfNecessary', 'findTopicPartitionMetadata', 'fetchTopicsOffset'] as const).every((k) => typeof c[k] === 'function')
}
