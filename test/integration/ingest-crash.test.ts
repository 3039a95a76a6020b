import { Kafka, logLevel } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { createRecordSerde, createSchemaRegistryClient } from '../../lib/internal'
import { eventually, freePort, stackConfig, uniqueName, startWorker as worker } from './helpers'
import { lossOf, recordReliability, tapeOver, topicTrades, type Content } from './oracles'


/**
 * kill -9 at random moments: the checkpoint committed with the trades makes each restart lose and
 * double nothing. The oracle is the exchange's own tape, read over its REST API.
 */
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

  it('ends with every trade the exchange made exactly once per symbol, value for value, after four kills', async () => {
    const replayPort = await freePort()
    // History deep enough to repair a restart that is slow on a busy machine (BTCUSDT passes 10,000 trades in seconds here).
    const replay = worker('replay-exchange.ts', { K2_REPLAY_PORT: String(replayPort), K2_REPLAY_RATE: '2', K2_REPLAY_SEED: '5', K2_REPLAY_HISTORY: '500000' })
    const env = { ...topics, K2_REPLAY_PORT: String(replayPort), K2_FEED_SYMBOLS: 'BTCUSDT,ETHUSDT,SOLUSDT,XRPUSDT', K2_INGEST_METRICS_PORT: String(await freePort()) }
    const produced = async (port: string): Promise<number | undefined> => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
      const n = Number(/^k2_ingest_records_total\{stream="trades"\} (\d+)/m.exec(text)?.[1] ?? 0)
      return n > 0 ? n : undefined
    }
    let inKafka: Content | undefined
    let onTape: Content | undefined
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
      // Everything committed (read_committed, to the last stable offset), and the exchange's own
      // tape from each symbol's first trade in Kafka to its last, read before the exchange stops.
      inKafka = await topicTrades(kafka, createRecordSerde({ registry }), [topics.K2_TOPIC_TRADES])
      onTape = await tapeOver(`http://127.0.0.1:${replayPort}`, inKafka)
    } finally {
      replay.child.kill('SIGTERM')
      await replay.exited
    }

    recordReliability('ingest-crash', [{ kind: 'kill', target: 'ingest', what: 'SIGKILL at a random moment, restarted from its checkpoint', count: 4 }], "the exchange's tape vs Kafka (read_committed)", lossOf(inKafka!, onTape!))
    expect([...inKafka!.ids.keys()].sort()).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT'])
    for (const [symbol, list] of inKafka!.ids) expect(new Set(list.map(String)).size, `${symbol}: a trade is in Kafka twice`).toBe(list.length)
    // Every trade the exchange made between each symbol's first and last in Kafka, once, as it made it.
    expect(inKafka!.ids).toEqual(onTape!.ids)
    expect(inKafka!.hash, 'content differs between the exchange\'s tape and Kafka').toBe(onTape!.hash)
    expect(inKafka!.records).toBeGreaterThan(0)
  })
})
