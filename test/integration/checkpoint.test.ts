import { Kafka, logLevel, type Producer } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureTopics } from '../../lib/internal'
import { readCheckpoint } from '../../lib/internal'
import { stackConfig, uniqueName } from './helpers'

/**
 * The ingest resumes from its checkpoint topic: the last trade id per symbol, written in the
 * same transactions as the trades. A checkpoint read short (stopped at one partition's end, or
 * after an idle gap or a timeout) is stale, and the REST repair then produces trades again.
 */
const config = stackConfig()
const kafka = new Kafka({ clientId: uniqueName('checkpoint'), brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
const topic = uniqueName('ckpt')
let open: Producer | undefined
let openTx: Awaited<ReturnType<Producer['transaction']>> | undefined

const record = (symbol: string, id: number, partition: number): { key: string; value: string; partition: number } => ({ key: symbol, value: JSON.stringify({ trade_id: String(id) }), partition })

beforeAll(async () => {
  const admin = kafka.admin()
  await admin.connect()
  await ensureTopics(admin, [{ topic, partitions: 3 }])
  await admin.disconnect()
  const producer = kafka.producer({ transactionalId: uniqueName('ckpt-tx'), idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const commit = async (records: Array<{ key: string; value: string; partition: number }>, abort = false): Promise<void> => {
    const tx = await producer.transaction()
    await tx.send({ topic, acks: -1, messages: records })
    await (abort ? tx.abort() : tx.commit())
  }
  // Uneven partitions: partition 2's log runs ten times longer than partition 0's.
  for (let i = 1; i <= 50; i++) await commit([record('AAAUSDT', i, 0)])
  for (let i = 1; i <= 5; i++) await commit([record('BBBUSDT', i, 1)])
  for (let i = 1; i <= 30; i++) await commit(Array.from({ length: 10 }, (_, k) => record('CCCUSDT', (i - 1) * 10 + k + 1, 2)))
  // Partition 0 ends in an aborted transaction: its id must not count.
  await commit([record('AAAUSDT', 999, 0)], true)
  await producer.disconnect()
  // Partition 1 has a transaction still open: a read_committed reader stops before it.
  open = kafka.producer({ transactionalId: uniqueName('ckpt-open'), idempotent: true, maxInFlightRequests: 1 })
  await open.connect()
  openTx = await open.transaction()
  await openTx.send({ topic, acks: -1, messages: [record('BBBUSDT', 777, 1)] })
})

afterAll(async () => {
  await openTx?.abort().catch(() => undefined)
  await open?.disconnect()
  const admin = kafka.admin()
  await admin.connect()
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined)
  await admin.disconnect()
})

describe('reading the ingest checkpoint', () => {
  it('reads every partition to its last committed record: not past an aborted or open transaction, not short of any partition', async () => {
    expect(Object.fromEntries(await readCheckpoint(kafka, topic))).toEqual({ AAAUSDT: 50n, BBBUSDT: 5n, CCCUSDT: 300n })
  })

  it('fails, retryably, rather than return part of the checkpoint when the read does not finish in time', async () => {
    const err = await readCheckpoint(kafka, topic, { timeoutMs: 1 }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'TIMEOUT', retryable: true })
  })
})
