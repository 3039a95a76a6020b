import { marketTopicSpecs, type TopicSpec } from '../market/topics'
import { checkpointTopicConfig } from './checkpoint-kafka'

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

