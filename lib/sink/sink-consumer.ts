import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs'
import { errorMessage } from '../errors/index'
import type { TableDesign } from '../iceberg/table-design'
import type { Quote, Trade } from '../market/types'
import { rejectReason, type SourceRecord } from './dead-letter'
import type { DeadLetterSender } from './dead-letters-kafka'
import { reposition, startFlush, updateLag, type SinkRun } from './sink-run'
import { noteConsumed, noteRead, resumeOffset, stageRecord, stageRows, type AnySinkStream } from './sink-stream'

/** What reading batches needs beside the run. */
interface Intake {
  readonly run: SinkRun
  /** To seek when repositioning. */
  readonly consumer: Pick<Consumer, 'seek'>
  readonly byTopic: ReadonlyMap<string, AnySinkStream>
  readonly deadLetter: DeadLetterSender
}

/** The consumer's `eachBatch`: one batch at a time with the rest of the run (`exclusive`), the session kept alive meanwhile. */
export function createBatchHandler(run: SinkRun, consumer: Pick<Consumer, 'seek'>, deadLetter: DeadLetterSender): (payload: EachBatchPayload) => Promise<void> {
  const intake: Intake = { run, consumer, deadLetter, byTopic: new Map(run.streams.map((s) => [s.topic, s])) }
  return (payload) => withHeartbeat(run.exclusive(() => handleBatch(intake, payload)), payload.heartbeat)
}

/**
 * Stages a fetched batch of one partition: records the stream has read already are skipped, the
 * rest are staged or dead-lettered; a batch that fills the writer to `maxRecords` starts a flush.
 */
async function handleBatch(intake: Intake, { batch, heartbeat, isStale }: EachBatchPayload): Promise<void> {
  const { run } = intake
  if (run.repositionNeeded) await reposition(run, intake.consumer)
  if (isStale()) return
  const s = intake.byTopic.get(batch.topic)
  if (!s) return
  const p = batch.partition
  s.highWatermarks.set(p, BigInt(batch.highWatermark))
  const expected = resumeOffset(s, p)
  let beat = Date.now()
  for (const message of batch.messages) {
    const offset = BigInt(message.offset)
    if (expected !== undefined && offset < expected) continue
    noteRead(s, p, offset, Number(message.timestamp))
    await readRecord(intake, s, p, message)
    noteConsumed(s, p, offset)
    if (s.rows.length >= 8192) {
      stageRows(s)
      // Decoding only yields to microtasks: let I/O callbacks (the commit in flight) run.
      await new Promise((r) => setImmediate(r))
    }
    if (Date.now() - beat > 2000) {
      await heartbeat()
      beat = Date.now()
    }
  }
  stageRows(s)
  updateLag(run, s)
  if (s.writer.stagedRows >= run.options.maxRecords) await withHeartbeat(startFlush(run, s, 'size'), heartbeat)
}

/** Decodes a record into a staged row, waiting out a registry outage; a record that cannot be written goes to the dead-letter topic with the reason. */
async function readRecord(intake: Intake, s: AnySinkStream, partition: number, message: KafkaMessage): Promise<void> {
  const source: SourceRecord = { topic: s.topic, partition, offset: message.offset, key: message.key, value: message.value }
  const value = message.value
  if (value === null || value.length === 0) return intake.deadLetter(s.report, source, 'empty_value', 'record has no value')
  try {
    const record = await intake.run.retry.untilDone(`decoding a ${s.kind} record`, (): Promise<Trade | Quote> => s.decode(value))
    const tier = s.deferred ? (message.headers?.['k2-tier']?.toString() ?? 'unknown') : undefined
    stageRecord(s, (s.design as TableDesign<unknown>).row(record), Number(message.timestamp), tier, intake.run.clock)
  } catch (err) {
    const reason = rejectReason(err)
    if (reason === undefined) throw err
    await intake.deadLetter(s.report, source, reason, errorMessage(err))
  }
}

/** Keeps the consumer's session alive while `work` runs (a commit can wait out a catalog outage). */
export async function withHeartbeat<T>(work: Promise<T>, heartbeat: () => Promise<void>): Promise<T> {
  const timer = setInterval(() => {
    heartbeat().catch(() => undefined)
  }, 3000)
  try {
    return await work
  } finally {
    clearInterval(timer)
  }
}
