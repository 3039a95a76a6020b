import { randomBytes } from 'node:crypto'
import type { Kafka } from 'kafkajs'
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
 * symbol. Stops at the end of the log (the high watermark, less the closing transaction marker),
 * or once the consumer has been idle for `idleMs` (a log that ends in an aborted transaction).
 */
export async function readCheckpoint(kafka: Kafka, topic: string, options: { idleMs?: number; timeoutMs?: number } = {}): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>()
  const admin = kafka.admin()
  await admin.connect()
  try {
    const offsets = await admin.fetchTopicOffsets(topic)
    if (offsets.every((o) => o.high === o.low)) return out
    const groupId = `k2-checkpoint-reader-${randomBytes(4).toString('hex')}`
    const consumer = kafka.consumer({ groupId, readUncommitted: false })
    await consumer.connect()
    try {
      await consumer.subscribe({ topic, fromBeginning: true })
      let lastActivity = Date.now()
      let seenAny = false
      let reachedEnd = false
      const started = Date.now()
      // The log ends with a transaction marker: the last committed record is at most HW - 2.
      const end = Number(offsets[0]!.high) - 2
      void consumer.run({
        eachBatch: async ({ batch }) => {
          if (Number(batch.lastOffset()) >= end) reachedEnd = true
          for (const m of batch.messages) {
            if (!m.key || !m.value) continue
            try {
              const id = BigInt((JSON.parse(m.value.toString()) as { trade_id: string }).trade_id)
              out.set(m.key.toString(), id)
            } catch {
              // A record that is not a checkpoint is ignored; the tracker then repairs from older data.
            }
          }
          seenAny = true
          lastActivity = Date.now()
        },
      })
      const idleMs = options.idleMs ?? 1500
      const timeoutMs = options.timeoutMs ?? 60_000
      while (Date.now() - started < timeoutMs) {
        await new Promise((r) => setTimeout(r, 100))
        if (reachedEnd || (seenAny && Date.now() - lastActivity > idleMs)) break
      }
    } finally {
      await consumer.disconnect()
      await admin.deleteGroups([groupId]).catch(() => {})
    }
    return out
  } finally {
    await admin.disconnect()
  }
}
