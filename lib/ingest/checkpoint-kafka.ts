import { randomBytes } from 'node:crypto'
import type { Kafka } from 'kafkajs'
import { ErrorCode, WorkbenchError } from '../errors/index'
import type { OutgoingRecord } from './producer-kafka'

/**
 * The ingestor's checkpoint: a compacted topic keyed by symbol whose value is the last trade id
 * produced for it. Each produce batch carries the checkpoint of its own trades in the same Kafka
 * transaction, so a read_committed reader sees a checkpoint exactly when it sees the trades: after
 * a crash at any point the checkpoint names the last trade really in Kafka, and the restarted
 * ingestor repairs from there (no trade lost) without producing any trade again (none doubled).
 * Value layout: JSON `{"trade_id":"<decimal>"}` (a string, so 64-bit ids stay exact).
 */
export const checkpointTopicConfig: Readonly<Record<string, string>> = {
  'cleanup.policy': 'compact',
  'segment.ms': String(10 * 60_000),
  'min.cleanable.dirty.ratio': '0.1',
}

/** Checkpoint records for the trades in one batch: the highest trade id per symbol. */
export function checkpointRecords<M>(topic: string, batch: ReadonlyArray<OutgoingRecord<M>>, tradeIdOf: (record: OutgoingRecord<M>) => { symbol: string; tradeId: bigint } | undefined): OutgoingRecord<undefined>[] {
  const last = new Map<string, bigint>()
  for (const r of batch) {
    const t = tradeIdOf(r)
    if (t && (last.get(t.symbol) ?? -1n) < t.tradeId) last.set(t.symbol, t.tradeId)
  }
  return [...last].map(([symbol, id]) => ({ topic, key: symbol, value: Buffer.from(JSON.stringify({ trade_id: id.toString() })), meta: undefined }))
}

/**
 * Reads the whole checkpoint topic (committed records only) and returns the last trade id per
 * symbol. It reads every partition to the end a read_committed reader can reach when the read
 * starts (the last stable offset, which ListOffsets answers at the READ_COMMITTED level: past an
 * aborted transaction, before an open one), and fails rather than return less: a checkpoint
 * that is behind makes the REST repair produce trades that are already in Kafka.
 */
export async function readCheckpoint(kafka: Kafka, topic: string, options: { timeoutMs?: number } = {}): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>()
  const admin = kafka.admin()
  await admin.connect()
  try {
    const ends = new Map<number, bigint>()
    for (const o of await admin.fetchTopicOffsets(topic)) if (BigInt(o.high) > BigInt(o.low)) ends.set(o.partition, BigInt(o.high))
    if (ends.size === 0) return out
    const reached = new Map<number, bigint>()
    const groupId = `k2-checkpoint-reader-${randomBytes(4).toString('hex')}`
    const consumer = kafka.consumer({ groupId, readUncommitted: false })
    let done: () => void = () => undefined
    const complete = new Promise<void>((resolve) => (done = resolve))
    // Fired after each batch, also for one that held only transaction markers or aborted
    // records (which eachBatch never sees): its last offset is how far the partition was read.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic !== topic || payload.lastOffset === null) return
      reached.set(payload.partition, BigInt(payload.lastOffset) + 1n)
      if ([...ends].every(([p, end]) => (reached.get(p) ?? 0n) >= end)) done()
    })
    await consumer.connect()
    let timer: NodeJS.Timeout | undefined
    try {
      await consumer.subscribe({ topic, fromBeginning: true })
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            if (!m.key || !m.value) continue
            try {
              const id = BigInt((JSON.parse(m.value.toString()) as { trade_id: string }).trade_id)
              out.set(m.key.toString(), id)
            } catch {
              // A record that is not a checkpoint is ignored; the tracker then repairs from older data.
            }
          }
        },
      })
      const timeoutMs = options.timeoutMs ?? 60_000
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)))
      if ((await Promise.race([complete, timedOut])) === 'timeout') {
        const behind = [...ends].filter(([p, end]) => (reached.get(p) ?? 0n) < end).map(([p, end]) => `partition ${p} at ${reached.get(p) ?? 'nothing'} of ${end}`)
        throw new WorkbenchError(ErrorCode.Timeout, `reading the checkpoint topic ${topic} took over ${timeoutMs} ms and stopped short (${behind.join(', ')}): resuming from part of it would produce trades again, so the ingest waits for all of it`, true)
      }
    } finally {
      clearTimeout(timer)
      await consumer.disconnect()
      await admin.deleteGroups([groupId]).catch(() => {})
    }
    return out
  } finally {
    await admin.disconnect()
  }
}
