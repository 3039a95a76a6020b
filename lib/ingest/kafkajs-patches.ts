/**
 * Three fixes to kafkajs 2.2.4, installed when lib is imported.
 *
 * 1. kafkajs 2.2.4 groups the messages of a send by partition with `[...current, message]` inside
 * a reduce, which is quadratic in the batch size: at 5,000 records per request it took ~7% of
 * the ingest CPU (profiled with bench:ingest). This installs a linear version with the same
 * result before kafkajs loads it (kafkajs-producer.cjs, shared with the producer's thread). It
 * must run before the first `require('kafkajs')` that builds a producer;
 * `lib/ingest/producer-kafka.ts` imports it first. If kafkajs has already loaded its own version
 * (or its layout changed), nothing is replaced and `installed` says so.
 */
import * as path from 'node:path'
import { installLinearGrouping, replaceModule } from './kafkajs-producer.cjs'
import { createRecordBatchDecoder } from './kafkajs-record-batch'

/** Whether the linear grouping is the one kafkajs uses in this process. */
export const installed: boolean = installLinearGrouping()

interface RequestQueue {
  pending: unknown[]
  scheduleCheckPendingRequests(): void
}

/**
 * 2. Every broker connection's request queue re-arms a timer to look for pending requests after
 * each check, even when nothing is pending: with no throttling its delay is negative, so it fires
 * every millisecond for as long as the connection lives (kafkajs issues #1556 and #1704, unfixed
 * in 2.2.4). An idle consumer spent ~4% of a core on it. The check only matters while requests
 * wait (a full in-flight window or a broker's throttle), and kafkajs schedules it again whenever
 * one is queued, so with nothing pending it is not scheduled. Patched on the class, so connections
 * made before this ran are fixed too.
 */
function installRequestQueueFix(): boolean {
  try {
    const file = path.join(path.dirname(require.resolve('kafkajs')), 'src', 'network', 'requestQueue', 'index.js')
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const proto = (require(file) as { prototype: RequestQueue & { [fixed]?: true } }).prototype
    if (proto[fixed]) return true
    const schedule = proto.scheduleCheckPendingRequests
    if (typeof schedule !== 'function' || schedule.length !== 0) return false
    proto.scheduleCheckPendingRequests = function (this: RequestQueue) {
      if (this.pending.length === 0) return
      schedule.call(this)
    }
    proto[fixed] = true
    return true
  } catch {
    return false
  }
}
const fixed = Symbol.for('k2.kafkajs.requestQueueFix')

/** Whether request queues in this process re-arm their pending check only while requests wait. */
export const requestQueueFixed: boolean = installRequestQueueFix()

/**
 * 3. The record batch decoder every consumer runs per fetched record, replaced by the faster one
 * of kafkajs-record-batch.ts (same output). kafkajs loads its decoder at a process's first fetch,
 * so this holds wherever lib is imported before a consumer first fetches, whatever the order of
 * the imports of kafkajs and lib.
 */
function installRecordBatchDecoder(): boolean {
  try {
    const src = path.join(path.dirname(require.resolve('kafkajs')), 'src')
    const file = path.join(src, 'protocol', 'recordBatch', 'v0', 'decoder.js')
    const cached = require.cache[file]
    if (cached) return (cached.exports as { [fastDecoder]?: true })[fastDecoder] === true
    const decodeMessages = path.join(src, 'protocol', 'requests', 'fetch', 'v4', 'decodeMessages.js')
    if (require.cache[decodeMessages]) return false
    /* eslint-disable @typescript-eslint/no-require-imports */
    const decoder = createRecordBatchDecoder({
      Decoder: require(path.join(src, 'protocol', 'decoder.js')),
      decodeRecord: require(path.join(src, 'protocol', 'recordBatch', 'record', 'v0', 'decoder.js')),
      lookupCodecByAttributes: require(path.join(src, 'protocol', 'message', 'compression', 'index.js')).lookupCodecByAttributes,
      PartialMessageError: require(path.join(src, 'errors.js')).KafkaJSPartialMessageError,
    })
    /* eslint-enable @typescript-eslint/no-require-imports */
    Object.defineProperty(decoder, fastDecoder, { value: true })
    replaceModule(file, decoder)
    return true
  } catch {
    return false
  }
}

const fastDecoder = Symbol.for('k2.kafkajs.recordBatchDecoder')

/** Whether consumers in this process decode record batches with kafkajs-record-batch.ts. */
export const recordBatchDecoderInstalled: boolean = installRecordBatchDecoder()
