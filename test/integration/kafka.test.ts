import { CompressionTypes, Kafka, logLevel } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { createHighWaterMarks } from '../../lib/internal'
import { stackConfig, uniqueName } from './helpers'

describe('Kafka (KRaft)', () => {
  const config = stackConfig()
  const kafka = new Kafka({ clientId: uniqueName('client'), brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  const topic = uniqueName('smoke')

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {})
    await admin.disconnect()
  })

  it('does not create topics on first use: producing to an unknown topic is refused', async () => {
    await admin.connect()
    await expect(admin.fetchTopicMetadata({ topics: [uniqueName('never-created')] })).rejects.toThrow(/does not host this topic-partition/)
  })

  it('produces with an idempotent acks=all producer and consumes the same records in order', async () => {
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true })
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 })
    await producer.connect()
    const sent = Array.from({ length: 30 }, (_, i) => ({ key: `sym-${i % 3}`, value: `trade-${i}` }))
    await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: sent })
    await producer.disconnect()

    const consumer = kafka.consumer({ groupId: uniqueName('group') })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    const got: Array<{ key: string; value: string }> = []
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${got.length} of ${sent.length} records`)), 30_000)
      void consumer.run({
        eachMessage: async ({ message }) => {
          got.push({ key: message.key!.toString(), value: message.value!.toString() })
          if (got.length === sent.length) {
            clearTimeout(timer)
            resolve()
          }
        },
      })
    })
    await consumer.disconnect()

    expect(got.map((m) => m.value).sort()).toEqual(sent.map((m) => m.value).sort())
    // Same key, same partition: per key the order is the order sent.
    for (const key of ['sym-0', 'sym-1', 'sym-2']) {
      expect(got.filter((m) => m.key === key).map((m) => m.value)).toEqual(sent.filter((m) => m.key === key).map((m) => m.value))
    }
  })
})

describe('high-water marks in one round trip', () => {
  const config = stackConfig()
  const kafka = new Kafka({ clientId: uniqueName('client'), brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  const topic = uniqueName('marks')
  const sorted = (marks: ReadonlyArray<{ partition: number; high: string }>) => [...marks].sort((a, b) => a.partition - b.partition).map((m) => [m.partition, m.high])

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {})
    await admin.disconnect()
  })

  it('answers what the admin answers, an open transaction included, and falls back to it without kafkajs internals', async () => {
    await admin.connect()
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true })
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    await producer.send({ topic, acks: -1, messages: [...Array.from({ length: 7 }, () => ({ partition: 0, value: 'a' })), ...Array.from({ length: 3 }, () => ({ partition: 1, value: 'b' }))] })
    await producer.disconnect()
    // Records of a transaction not yet committed are past the last stable offset: a query must not
    // wait for them, and the admin (READ_COMMITTED) does not count them.
    const tx = kafka.producer({ transactionalId: uniqueName('tx'), idempotent: true, maxInFlightRequests: 1 })
    await tx.connect()
    const open = await tx.transaction()
    await open.send({ topic, acks: -1, messages: [{ partition: 2, value: 'c' }, { partition: 2, value: 'd' }] })

    const marks = await createHighWaterMarks(kafka, admin)
    try {
      expect(marks.single).toBe(true)
      expect(sorted(await marks.of(topic))).toEqual([[0, '7'], [1, '3'], [2, '0']])
      expect(sorted(await marks.of(topic))).toEqual(sorted(await admin.fetchTopicOffsets(topic)))
      await open.commit()
      expect(sorted(await marks.of(topic))).toEqual(sorted(await admin.fetchTopicOffsets(topic)))
      expect(Number((await marks.of(topic)).find((m) => m.partition === 2)!.high)).toBeGreaterThanOrEqual(2)
    } finally {
      await marks.close()
      await tx.disconnect()
    }

    // A kafkajs without the private cluster factory: the admin's two round trips answer.
    const fallback = await createHighWaterMarks({} as Kafka, admin)
    expect(fallback.single).toBe(false)
    expect(sorted(await fallback.of(topic))).toEqual(sorted(await admin.fetchTopicOffsets(topic)))
    await fallback.close()
  })
})
