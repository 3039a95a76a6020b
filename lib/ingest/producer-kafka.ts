import './kafkajs-patches'
import './kafka-zstd.cjs'
import { sendBatch } from './kafkajs-producer.cjs'
import * as path from 'node:path'
import { Worker } from 'node:worker_threads'
import { CompressionTypes, type Message, type Producer } from 'kafkajs'
import { ErrorCode, WorkbenchError } from '../errors/index'
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
  /**
   * Most value bytes in one produce request (at least one record always goes): keeps every
   * partition's batch under the topic's `max.message.bytes` even uncompressed.
   */
  readonly maxBytes?: number
  /** Called once if a batch fails after the client's own retries: the run cannot go on. */
  readonly onFailure?: (err: unknown) => void
  /** Longest a record waits for a batch to fill while nothing is in flight. */
  readonly lingerMs: number
  readonly compression: 'none' | 'gzip' | 'zstd'
  /**
   * Records to add to each batch as it is formed, produced with it (in the same transaction when
   * the sender is transactional): the ingestor's per-symbol checkpoint. Not counted as pending.
   */
  readonly batchTrailer?: (records: ReadonlyArray<OutgoingRecord<M>>) => ReadonlyArray<OutgoingRecord<unknown>>
  /** Called after each produce request with its wall time in ns (acknowledged or not). */
  readonly onSent?: (records: number, nanos: bigint) => void
  /** Called once per acknowledged batch (acks=all), in produce order. */
  readonly onAcknowledged?: (records: ReadonlyArray<OutgoingRecord<M>>) => void
  /**
   * Read before each batch: multiplies maxRecords and lingerMs (the degradation level widens
   * batches under load; maxBytes stays, so batches still fit the topic). Default 1.
   */
  readonly scale?: () => number
}

/** Sends one batch to Kafka (acks=all) and resolves once it is acknowledged. */
export interface BatchSender {
  /** True when each batch is one Kafka transaction (needed for the ingest checkpoint). */
  readonly transactional: boolean
  send(records: ReadonlyArray<OutgoingRecord<unknown>>, compression: 'none' | 'gzip' | 'zstd'): Promise<void>
  /** Disconnects. Safe to call twice. */
  close(): Promise<void>
}

export interface BatchingProducer<M> {
  enqueue(record: OutgoingRecord<M>): void
  /** Records enqueued but not yet acknowledged. */
  pending(): number
  /** Value bytes of those records. */
  pendingBytes(): number
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
export function createBatchingProducer<M>(sender: BatchSender, options: BatchingProducerOptions<M>, deps: { logger: Logger }): BatchingProducer<M> {
  let queue: OutgoingRecord<M>[] = []
  let inFlight: Promise<void> | undefined
  let inFlightCount = 0
  let queuedBytes = 0
  let inFlightBytes = 0
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

  const maxRecords = (): number => options.maxRecords * (options.scale?.() ?? 1)
  const lingerMs = (): number => options.lingerMs * (options.scale?.() ?? 1)
  const pump = (): void => {
    clearTimeout(timer)
    timer = undefined
    if (inFlight || queue.length === 0 || failure !== undefined) return settleWaiters()
    let take = 0
    let bytes = 0
    const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY
    const most = maxRecords()
    while (take < queue.length && take < most && (take === 0 || bytes + queue[take]!.value.length <= maxBytes)) bytes += queue[take++]!.value.length
    const batch = queue.splice(0, take)
    inFlightCount = batch.length
    inFlightBytes = bytes
    queuedBytes -= bytes
    const sentAt = process.hrtime.bigint()
    const trailer = options.batchTrailer?.(batch) ?? []
    inFlight = sender
      .send(trailer.length > 0 ? [...batch, ...trailer] : batch, options.compression)
      .then(
        () => {
          options.onAcknowledged?.(batch)
        },
        (err: unknown) => {
          // The idempotent producer already retried; what is left is not transient. Keep the
          // batch so nothing is dropped silently, and fail every waiter.
          queue = [...batch, ...queue]
          queuedBytes += inFlightBytes
          failure = err
          deps.logger.error('produce failed after retries', { records: batch.length, error: (err as Error).message })
          options.onFailure?.(err)
        },
      )
      .finally(() => {
        options.onSent?.(batch.length, process.hrtime.bigint() - sentAt)
        inFlight = undefined
        inFlightCount = 0
        inFlightBytes = 0
        if (failure !== undefined) return settleWaiters()
        if (queue.length >= maxRecords() || (queue.length > 0 && options.lingerMs === 0)) pump()
        else if (queue.length > 0) timer = setTimeout(pump, lingerMs())
        settleWaiters()
      })
  }

  return {
    enqueue(record) {
      queue.push(record)
      queuedBytes += record.value.length
      if (inFlight) return
      if (queue.length >= maxRecords() || options.lingerMs === 0) pump()
      else timer ??= setTimeout(pump, lingerMs())
    },
    pending() {
      return queue.length + inFlightCount
    },
    pendingBytes() {
      return queuedBytes + inFlightBytes
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

// kafkajs's default partitioner with its answer cached, and the send both senders make (one
// Kafka transaction per batch when transactional): kafkajs-producer.cjs, shared with the thread.
export { cachedDefaultPartitioner, sendBatch as sendKafkaBatch } from './kafkajs-producer.cjs'

/**
 * Sends batches with a kafkajs producer in this thread; with `transactional`, each batch is one
 * transaction (the producer must have been created with a transactionalId).
 */
export function createKafkaSender(producer: Producer, options: { transactional?: boolean } = {}): BatchSender {
  let closed = false
  return {
    transactional: options.transactional === true,
    async send(records, compression) {
      const byTopic = new Map<string, Message[]>()
      for (const r of records) {
        let list = byTopic.get(r.topic)
        if (!list) byTopic.set(r.topic, (list = []))
        list.push({ key: r.key, value: r.value, headers: r.headers as Record<string, string> | undefined })
      }
      const batch = { acks: -1, compression: compressionType[compression], topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) }
      await sendBatch(producer, batch, options.transactional === true)
    },
    async close() {
      if (closed) return
      closed = true
      await producer.disconnect()
    },
  }
}

/**
 * Sends batches from a worker thread running its own idempotent kafkajs producer
 * (lib/ingest/producer-thread.cjs), so building, compressing and checksumming record batches
 * uses the other core while this thread keeps ingesting. Values travel in one transferred buffer.
 */
export async function createThreadedKafkaSender(options: {
  brokers: readonly string[]
  clientId: string
  /** Makes every batch one Kafka transaction; stable across restarts so a restart fences the old process. */
  transactionalId?: string
}): Promise<BatchSender> {
  const worker = new Worker(path.join(__dirname, 'producer-thread.cjs'), {
    workerData: { brokers: [...options.brokers], clientId: options.clientId, transactionalId: options.transactionalId },
  })
  const waiting = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>()
  let nextId = 0
  let fatal: Error | undefined
  const failAll = (err: Error): void => {
    fatal = err
    for (const w of waiting.values()) w.reject(err)
    waiting.clear()
  }
  await new Promise<void>((resolve, reject) => {
    worker.once('error', reject)
    worker.on('message', (msg: { type: string; id?: number; error?: string }) => {
      if (msg.type === 'ready') return resolve()
      if (msg.type === 'fatal') {
        const err = new WorkbenchError(ErrorCode.ServiceUnavailable, `Kafka producer thread could not start: ${msg.error}`, true)
        reject(err)
        return failAll(err)
      }
      const w = msg.id === undefined ? undefined : waiting.get(msg.id)
      if (!w) return
      waiting.delete(msg.id!)
      if (msg.type === 'sent') w.resolve()
      else w.reject(new WorkbenchError(ErrorCode.ServiceUnavailable, `produce failed: ${msg.error}`, true))
    })
  })
  worker.on('error', (err) => failAll(err))
  worker.on('exit', (code) => {
    if (waiting.size > 0) failAll(new Error(`Kafka producer thread exited (code ${code})`))
  })
  let closed = false
  return {
    transactional: options.transactionalId !== undefined,
    send(records, compression) {
      if (fatal) return Promise.reject(fatal)
      const topics: string[] = []
      const topicIndex = new Map<string, number>()
      let size = 0
      for (const r of records) size += r.value.length
      const data = new Uint8Array(size)
      const rows: Array<[number, string | null, number, number, Readonly<Record<string, string>> | 0]> = []
      let offset = 0
      for (const r of records) {
        let t = topicIndex.get(r.topic)
        if (t === undefined) {
          t = topics.length
          topics.push(r.topic)
          topicIndex.set(r.topic, t)
        }
        data.set(r.value, offset)
        rows.push([t, r.key, offset, r.value.length, r.headers ?? 0])
        offset += r.value.length
      }
      const id = nextId++
      return new Promise<void>((resolve, reject) => {
        waiting.set(id, { resolve, reject })
        worker.postMessage({ type: 'send', id, compression, topics, records: rows, data: data.buffer }, [data.buffer])
      })
    },
    async close() {
      if (closed) return
      closed = true
      await new Promise<void>((resolve) => {
        const done = (): void => resolve()
        worker.once('exit', done)
        worker.on('message', (m: { type: string }) => m.type === 'closed' && void worker.terminate())
        worker.postMessage({ type: 'close' })
        setTimeout(() => void worker.terminate(), 10_000).unref()
      })
    },
  }
}
