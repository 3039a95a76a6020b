/**
 * kafkajs 2.2.4 groups the messages of a send by partition with `[...current, message]` inside
 * a reduce, which is quadratic in the batch size: at 5,000 records per request it took ~7% of
 * the ingest CPU (profiled with bench:ingest). This installs a linear version with the same
 * result before kafkajs loads it. It must run before the first `require('kafkajs')` that builds
 * a producer; `lib/ingest/producer-kafka.ts` imports it first. If kafkajs has already loaded its
 * own version (or its layout changed), nothing is replaced and `installed` says so.
 */
import Module from 'node:module'
import * as path from 'node:path'

type Partitioner = (args: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number

function groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner }: { topic: string; partitionMetadata: unknown[]; messages: unknown[]; partitioner: Partitioner }): Record<number, unknown[]> {
  const result: Record<number, unknown[]> = {}
  if (partitionMetadata.length === 0) return result
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message })
    ;(result[partition] ??= []).push(message)
  }
  return result
}

function install(): boolean {
  try {
    const main = require.resolve('kafkajs')
    const file = path.join(path.dirname(main), 'src', 'producer', 'groupMessagesPerPartition.js')
    const sender = path.join(path.dirname(main), 'src', 'producer', 'sendMessages.js')
    if (require.cache[sender]) return require.cache[file]?.exports === groupMessagesPerPartition
    const mod = new Module(file)
    mod.filename = file
    mod.loaded = true
    mod.exports = groupMessagesPerPartition
    require.cache[file] = mod
    return true
  } catch {
    return false
  }
}

/** Whether the linear grouping is the one kafkajs uses in this process. */
export const installed: boolean = install()
