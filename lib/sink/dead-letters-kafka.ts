import type { Producer } from 'kafkajs'
import type { Logger } from '../logger/index'
import type { Metrics } from '../metrics/index'
import { deadLetterMessage, type SinkRejectReason, type SourceRecord } from './dead-letter'
import type { OutageRetry } from './outage-retry'
import type { StreamReport } from './sink-stream'

export interface DeadLetterDeps {
  readonly producer: Producer
  /** The dead-letter topic. */
  readonly topic: string
  readonly log: Logger
  readonly metrics: Metrics
  readonly retry: OutageRetry
}

/**
 * Sends a record the sink cannot write to the dead-letter topic, waiting out a broker outage:
 * counted per reason (and in the stream's report), logged once per reason.
 */
export type DeadLetterSender = (report: StreamReport, source: SourceRecord, reason: SinkRejectReason, detail: string) => Promise<void>

export function createDeadLetterSender(deps: DeadLetterDeps): DeadLetterSender {
  const logged = new Set<string>()
  return async (report, source, reason, detail) => {
    deps.metrics.get('sinkDeadLetters').labels(reason).inc()
    report.deadLetters++
    if (!logged.has(reason)) {
      logged.add(reason)
      deps.log.warn('record sent to the dead-letter topic (logged once per reason; counted in k2_sink_dead_letters_total)', { reason, detail, topic: source.topic, partition: source.partition, offset: source.offset })
    }
    await deps.retry.untilDone('producing to the dead-letter topic', () => deps.producer.send({ topic: deps.topic, acks: -1, messages: [deadLetterMessage(source, reason, detail)] }))
  }
}
