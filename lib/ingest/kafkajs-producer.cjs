'use strict'
// The producer-side pieces shared by the ingest's two senders: the one on the main thread
// (producer-kafka.ts) and the one in a worker thread (producer-thread.cjs). Plain CommonJS, and
// kafkajs is required only inside the functions, so that the grouping fix below can be installed
// before kafkajs first loads its producer. Types: kafkajs-producer.d.cts.
const path = require('node:path')
const Module = require('node:module')

/**
 * kafkajs 2.2.4 groups the messages of a send by partition with `[...current, message]` inside a
 * reduce, quadratic in the batch size (at 5,000 records per request ~7% of the ingest CPU). The
 * same result, in linear time.
 */
function groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner }) {
  const result = {}
  if (partitionMetadata.length === 0) return result
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message })
    ;(result[partition] || (result[partition] = [])).push(message)
  }
  return result
}

/** Puts `exports` in the module cache as kafkajs's `file`, so that kafkajs's own require gets it. */
function replaceModule(file, exports) {
  const mod = new Module(file)
  mod.filename = file
  mod.loaded = true
  mod.exports = exports
  require.cache[file] = mod
}

/**
 * Installs the linear grouping before kafkajs loads its own. Returns whether it is the one
 * kafkajs uses in this process: false when kafkajs's producer loaded first (or its layout changed).
 */
function installLinearGrouping() {
  try {
    const dir = path.join(path.dirname(require.resolve('kafkajs')), 'src', 'producer')
    const file = path.join(dir, 'groupMessagesPerPartition.js')
    if (require.cache[path.join(dir, 'sendMessages.js')]) {
      const current = require.cache[file]
      return current !== undefined && current.exports === groupMessagesPerPartition
    }
    replaceModule(file, groupMessagesPerPartition)
    return true
  } catch {
    return false
  }
}

/**
 * kafkajs's default (Java-compatible murmur2) partitioner with its answer cached per topic, key
 * and partition count: records are keyed by symbol, so a few hundred keys repeat millions of
 * times and hashing each one again was measurable in the ingest profile.
 */
function cachedDefaultPartitioner() {
  const inner = require('kafkajs').Partitioners.DefaultPartitioner()
  const cache = new Map()
  return (args) => {
    const key = args.message.key
    if (typeof key !== 'string') return inner(args)
    const id = `${args.topic}\u0000${args.partitionMetadata.length}\u0000${key}`
    let partition = cache.get(id)
    if (partition === undefined) {
      partition = inner(args)
      if (cache.size < 100000) cache.set(id, partition)
    }
    return partition
  }
}

/**
 * Sends one batch; with `transactional`, as one Kafka transaction (all its records or none),
 * aborted when any part fails. The producer must have a transactionalId then.
 */
async function sendBatch(producer, batch, transactional) {
  if (!transactional) {
    await producer.sendBatch(batch)
    return
  }
  const tx = await producer.transaction()
  try {
    await tx.sendBatch(batch)
    await tx.commit()
  } catch (err) {
    await tx.abort().catch(() => {})
    throw err
  }
}

module.exports = { groupMessagesPerPartition, replaceModule, installLinearGrouping, cachedDefaultPartitioner, sendBatch }
