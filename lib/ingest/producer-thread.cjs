'use strict'
// The Kafka side of the ingest producer, in a worker thread: kafkajs builds, compresses and
// checksums record batches in JavaScript, which took ~40% of the ingest thread. Here it uses the
// machine's other core while the main thread keeps parsing frames. Plain CommonJS so it loads
// the same under tsx, vitest and the notebook kernel (none of them transpile a worker's file).
//
// With workerData.transactionalId each batch is one Kafka transaction (all records, or none).
//
// Protocol (main → worker): {type:'send', id, compression, topics, records, data} where data is
// one transferred ArrayBuffer holding every value, and records are [topicIndex, key, offset,
// length, headers?]; {type:'close'}. Worker → main: {type:'ready'} | {type:'sent', id} |
// {type:'failed', id, error} | {type:'fatal', error} | {type:'closed'}.
const { parentPort, workerData } = require('node:worker_threads')

const { installLinearGrouping, cachedDefaultPartitioner, sendBatch } = require('./kafkajs-producer.cjs')
installLinearGrouping()
const { Kafka, CompressionTypes, logLevel } = require('kafkajs')
require('./kafka-zstd.cjs')

const compressionTypes = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP, zstd: CompressionTypes.ZSTD }

async function main() {
  const kafka = new Kafka({ clientId: workerData.clientId, brokers: workerData.brokers, logLevel: logLevel.NOTHING })
  const transactionalId = workerData.transactionalId || undefined
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: cachedDefaultPartitioner, transactionalId })
  // With a transactional id, connecting fences any older producer with the same id and aborts
  // its open transaction, so nothing it half-wrote ever becomes visible to read_committed readers.
  await producer.connect()
  parentPort.postMessage({ type: 'ready' })
  parentPort.on('message', async (msg) => {
    if (msg.type === 'close') {
      await producer.disconnect().catch(() => {})
      parentPort.postMessage({ type: 'closed' })
      return
    }
    if (msg.type !== 'send') return
    const data = Buffer.from(msg.data)
    const byTopic = msg.topics.map(() => [])
    for (const [topicIndex, key, offset, length, headers] of msg.records) {
      byTopic[topicIndex].push({ key, value: data.subarray(offset, offset + length), headers: headers || undefined })
    }
    const batch = {
      acks: -1,
      compression: compressionTypes[msg.compression],
      topicMessages: msg.topics.map((topic, i) => ({ topic, messages: byTopic[i] })).filter((t) => t.messages.length > 0),
    }
    try {
      await sendBatch(producer, batch, transactionalId !== undefined)
      parentPort.postMessage({ type: 'sent', id: msg.id })
    } catch (err) {
      parentPort.postMessage({ type: 'failed', id: msg.id, error: String((err && err.message) || err) })
    }
  })
}

main().catch((err) => parentPort.postMessage({ type: 'fatal', error: String((err && err.message) || err) }))
