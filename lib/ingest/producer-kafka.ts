import { CompressionTypes, type Message, type Producer } from 'kafkajs'
import type { Logger } from '../logger/index'

/** One record waiting to be produced, with what the caller wants back when it is acknowledged. */
export interface OutgoingRecord<M = unknown> {
  readonly topic: string
  readonly key: string | null
  readonly value: Buffer
  readonly headers?: Readonly<Record<string, string>>
  readonly meta: M
}

export interface BatchingProducerOptions<M> {
  /** Most records in one produce request. */
  readonly maxRecords: number
  /** Longest a record waits for a batch to fill while nothing is in flight. */
  readonly lingerMs: number
  readonly compression: 'none' | 'gzip' | 'zstd'
  /** Called after each produce request with its wall time in ns (acknowledged or not). */
  readonly onSent?: (records: number, nanos: bigint) => void
  /** Called once per acknowledged batch (acks=all), in produce order. */
  readonly onAcknowledged?: (records: ReadonlyArray<OutgoingRecord<M>>) => void
}

export interface BatchingProducer<M> {
  enqueue(record: OutgoingRecord<M>): void
  /** Records enqueued but not yet acknowledged. */
  pending(): number
  /** Resolves once everything enqueued so far is acknowledged; rejects with the send's error. */
  flush(): Promise<void>
}

const compressionType = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP, zstd: CompressionTypes.ZSTD } as const

/**
 * Single-flight batching over an idempotent kafkajs producer: one `sendBatch` is in flight at a
 * time (concurrent sends on an idempotent kafkajs producer can break per-partition sequence
 * numbers on retry), and whatever arrives meanwhile forms the next batch. Batches therefore grow
 * with load, which is what keeps throughput up with acks=all.
 */
export function createBatchingProducer<M>(producer: Producer, options: BatchingProducerOptions<M>, deps: { logger: Logger }): BatchingProducer<M> {
  let queue: OutgoingRecord<M>[] = []
  let inFlight: Promise<void> | undefined
  let inFlightCount = 0
  let timer: NodeJS.Timeout | undefined
  let failure: unknown
  const waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = []

  const settleWaiters = (): void => {
    if (failure !== undefined) {
      for (const w of waiters.splice(0)) w.reject(failure)
    } else if (queue.length === 0 && !inFlight) {
      for (const w of waiters.splice(0)) w.resolve()
    }
  }

  const pump = (): void => {
    clearTimeout(timer)
    timer = undefined
    if (inFlight || queue.length === 0 || failure !== undefined) return settleWaiters()
    const batch = queue.splice(0, options.maxRecords)
    inFlightCount = batch.length
    const byTopic = new Map<string, Message[]>()
    for (const r of batch) {
      let list = byTopic.get(r.topic)
      if (!list) byTopic.set(r.topic, (list = []))
      list.push({ key: r.key, value: r.value, headers: r.headers as Record<string, string> | undefined })
    }
    const sentAt = process.hrtime.bigint()
    inFlight = producer
      .sendBatch({ acks: -1, compression: compressionType[options.compression], topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) })
      .then(
        () => {
          options.onAcknowledged?.(batch)
        },
        (err: unknown) => {
          // The idempotent producer already retried; what is left is not transient. Keep the
          // batch so nothing is dropped silently, and fail every waiter.
          queue = [...batch, ...queue]
          failure = err
          deps.logger.error('produce failed after retries', { records: batch.length, error: (err as Error).message })
        },
      )
      .finally(() => {
        options.onSent?.(batch.length, process.hrtime.bigint() - sentAt)
        inFlight = undefined
        inFlightCount = 0
        if (queue.length >= options.maxRecords || (queue.length > 0 && options.lingerMs === 0)) pump()
        else if (queue.length > 0) timer = setTimeout(pump, options.lingerMs)
        settleWaiters()
      })
  }

  return {
    enqueue(record) {
      queue.push(record)
      if (inFlight) return
      if (queue.length >= options.maxRecords || options.lingerMs === 0) pump()
      else timer ??= setTimeout(pump, options.lingerMs)
    },
    pending() {
      return queue.length + inFlightCount
    },
    flush() {
      if (failure !== undefined) return Promise.reject(failure)
      return new Promise<void>((resolve, reject) => {
        waiters.push({ resolve, reject })
        pump()
      })
    },
  }
}
