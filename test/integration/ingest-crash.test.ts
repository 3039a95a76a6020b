import { Kafka, logLevel } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { createRecordSerde, createSchemaRegistryClient } from '../../lib'
import { eventually, freePort, stackConfig, uniqueName, startWorker as worker } from './helpers'


/** kill -9 at random moments: the checkpoint committed with the trades makes each restart lose and double nothing. */
describe('ingest worker killed with SIGKILL and restarted', () => {
  const config = stackConfig()
  const kafka = new Kafka({ clientId: uniqueName('crash'), brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
  const topics = { K2_TOPIC_TRADES: uniqueName('cr-trades'), K2_TOPIC_QUOTES: uniqueName('cr-quotes'), K2_TOPIC_DEAD_LETTER: uniqueName('cr-dead'), K2_TOPIC_CHECKPOINT: uniqueName('cr-checkpoint') }
  const registry = createSchemaRegistryClient({ url: config.schemaRegistry.url })

  afterAll(async () => {
    const admin = kafka.admin()
    await admin.connect()
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => {})
    await admin.disconnect()
    await registry.deleteSubject(`${topics.K2_TOPIC_TRADES}-value`)
    await registry.deleteSubject(`${topics.K2_TOPIC_QUOTES}-value`)
  })

  it('ends with every trade id exactly once per symbol after four kills', async () => {
    const replayPort = await freePort()
    // History deep enough to repair a restart that is slow on a busy machine (BTCUSDT passes 10,000 trades in seconds here).
    const replay = worker('replay-exchange.ts', { K2_REPLAY_PORT: String(replayPort), K2_REPLAY_RATE: '2', K2_REPLAY_SEED: '5', K2_REPLAY_HISTORY: '500000' })
    const env = { ...topics, K2_REPLAY_PORT: String(replayPort), K2_FEED_SYMBOLS: 'BTCUSDT,ETHUSDT,SOLUSDT,XRPUSDT', K2_INGEST_METRICS_PORT: String(await freePort()) }
    const produced = async (port: string): Promise<number | undefined> => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
      const n = Number(/^k2_ingest_records_total\{stream="trades"\} (\d+)/m.exec(text)?.[1] ?? 0)
      return n > 0 ? n : undefined
    }
    try {
      for (let kill = 0; kill < 4; kill++) {
        const ingest = worker('ingest.ts', env)
        await eventually(() => produced(env.K2_INGEST_METRICS_PORT), 60_000, () => `trades from run ${kill + 1}: ${ingest.describe()}`)
        await new Promise((r) => setTimeout(r, 500 + Math.random() * 1500))
        ingest.child.kill('SIGKILL')
        await ingest.exited
      }
      const last = worker('ingest.ts', env)
      await eventually(() => produced(env.K2_INGEST_METRICS_PORT), 60_000, () => `trades from the last run: ${last.describe()}`)
      await new Promise((r) => setTimeout(r, 2000))
      last.child.kill('SIGTERM')
      expect(await last.exited).toBe(0)
      expect(last.output()).toContain('resuming after the last checkpoint')
      expect(last.output()).toMatch(/gapTradesUnrepairable="0"/)
    } finally {
      replay.child.kill('SIGTERM')
      await replay.exited
    }

    // Read everything committed (kafkajs reads read_committed) and check each symbol's ids.
    const admin = kafka.admin()
    await admin.connect()
    const total = (await admin.fetchTopicOffsets(topics.K2_TOPIC_TRADES)).reduce((n, o) => n + Number(o.high), 0)
    await admin.disconnect()
    const serde = createRecordSerde({ registry })
    const ids = new Map<string, bigint[]>()
    let count = 0
    const consumer = kafka.consumer({ groupId: uniqueName('cr-reader') })
    await consumer.connect()
    await consumer.subscribe({ topic: topics.K2_TOPIC_TRADES, fromBeginning: true })
    await new Promise<void>((resolve) => {
      let idle: NodeJS.Timeout | undefined
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            const t = await serde.deserializeTrade(m.value!)
            let list = ids.get(t.symbol)
            if (!list) ids.set(t.symbol, (list = []))
            list.push(t.tradeId)
            count++
          }
          clearTimeout(idle)
          idle = setTimeout(resolve, 2000) // offsets of aborted records and markers are never delivered
        },
      })
    })
    await consumer.disconnect()
    expect(count).toBeGreaterThan(0)
    expect(count).toBeLessThanOrEqual(total)
    expect([...ids.keys()].sort()).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT'])
    for (const [symbol, list] of ids) {
      const sorted = [...list].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      expect(new Set(sorted.map(String)).size, `${symbol}: a trade is in Kafka twice`).toBe(sorted.length)
      expect(BigInt(sorted.length), `${symbol}: trades missing between ${sorted[0]} and ${sorted.at(-1)}`).toBe(sorted.at(-1)! - sorted[0]! + 1n)
    }
  })
})
