import { ErrorCode, isWorkbenchError } from '../errors/index'

/** Why a Kafka record went to the dead-letter topic instead of the table (a bounded label set). */
export type SinkRejectReason = 'empty_value' | 'unknown_schema' | 'undecodable' | 'incompatible_schema'

/**
 * The key of the sink's dead letter for a source record (`topic/partition/offset`): the same
 * for every time the record is dead-lettered, so a re-read after a crash can be told apart.
 */
export function deadLetterKey(topic: string, partition: number, offset: string): string {
  return `${topic}/${partition}/${offset}`
}

/**
 * Why a record that failed to decode is dead-lettered, or undefined when the failure is not the
 * record's (an outage, or an error the sink does not know): the batch fails instead.
 */
export function rejectReason(err: unknown): SinkRejectReason | undefined {
  if (!isWorkbenchError(err) || err.retryable) return undefined
  return err.code === ErrorCode.NotFound ? 'unknown_schema' : err.code === ErrorCode.SchemaIncompatible ? 'incompatible_schema' : 'undecodable'
}

/** A record the sink read, where it read it. */
export interface SourceRecord {
  readonly topic: string
  readonly partition: number
  readonly offset: string
  readonly key: Buffer | null
  readonly value: Buffer | null
}

export interface DeadLetter {
  readonly key: string
  readonly value: Buffer | null
  readonly headers: Record<string, string | Buffer>
}

/** The dead letter of a source record: its value as read, the reason, and where it came from (the detail cut to 500 characters). */
export function deadLetterMessage(source: SourceRecord, reason: SinkRejectReason, detail: string): DeadLetter {
  return {
    // The source record's coordinates: a crash before the batch commits re-reads and
    // dead-letters it again, under the same key, so readers (and compaction) keep one.
    key: deadLetterKey(source.topic, source.partition, source.offset),
    value: source.value,
    headers: {
      reason,
      detail: detail.slice(0, 500),
      source: 'iceberg-sink',
      source_topic: source.topic,
      source_partition: String(source.partition),
      source_offset: source.offset,
      ...(source.key ? { source_key: source.key } : {}),
    },
  }
}
