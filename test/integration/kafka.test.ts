import { CompressionTypes, Kafka, logLevel } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
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
