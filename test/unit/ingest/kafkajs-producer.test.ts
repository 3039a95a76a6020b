import type { Producer, ProducerBatch, Transaction } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { cachedDefaultPartitioner, sendKafkaBatch } from '../../../lib/internal'

/** A producer that records what it was asked to do; `failSend` makes a send fail. */
function recordingProducer(failSend = false): { producer: Producer; calls: string[] } {
  const calls: string[] = []
  const send = async (where: string): Promise<never[]> => {
    calls.push(where)
    if (failSend) throw new Error('broker gone')
    return []
  }
  const tx = {
    sendBatch: () => send('tx.sendBatch'),
    commit: async () => void calls.push('commit'),
    abort: async () => void calls.push('abort'),
  } as unknown as Transaction
  const producer = {
    sendBatch: () => send('sendBatch'),
    transaction: async () => (calls.push('transaction'), tx),
  } as unknown as Producer
  return { producer, calls }
}

const batch: ProducerBatch = { acks: -1, topicMessages: [{ topic: 't', messages: [{ key: 'BTCUSDT', value: 'v' }] }] }

describe('the ingest producer\'s send (shared by its thread and main-thread senders)', () => {
  it('sends a plain batch when not transactional', async () => {
    const { producer, calls } = recordingProducer()
    await sendKafkaBatch(producer, batch, false)
    expect(calls).toEqual(['sendBatch'])
  })

  it('sends a transactional batch as one transaction, committed', async () => {
    const { producer, calls } = recordingProducer()
    await sendKafkaBatch(producer, batch, true)
    expect(calls).toEqual(['transaction', 'tx.sendBatch', 'commit'])
  })

  it('aborts the transaction when its send fails, and fails with the send\'s error', async () => {
    const { producer, calls } = recordingProducer(true)
    await expect(sendKafkaBatch(producer, batch, true)).rejects.toThrow('broker gone')
    expect(calls).toEqual(['transaction', 'tx.sendBatch', 'abort'])
  })
})

describe('the cached partitioner', () => {
  it('answers as kafkajs\'s default partitioner does, for every key and partition count', async () => {
    const { Partitioners } = await import('kafkajs')
    const cached = cachedDefaultPartitioner()
    const plain = Partitioners.DefaultPartitioner()
    for (const partitions of [1, 3, 12]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }))
      for (const key of ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BTCUSDT']) {
        const args = { topic: 't', partitionMetadata, message: { key, value: 'v' } }
        expect(cached(args)).toBe(plain(args))
      }
    }
  })
})
