/** The market topics as the project makes them (pure: the Kafka side is lib/kafka). */

/** A topic the project owns: auto-creation is off on our brokers, so every topic is made here. */
export interface TopicSpec {
  readonly topic: string
  readonly partitions: number
  readonly config?: Readonly<Record<string, string>>
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
