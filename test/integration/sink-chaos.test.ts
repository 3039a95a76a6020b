import { Kafka, logLevel } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { createRecordSerde, createRestCatalogClient, createSchemaRegistryClient, createWarehouseFileIO, tableOffsets } from '../../lib'
import { dropTopics, eventually, freePort, stackConfig, startWorker, uniqueName } from './helpers'
import { dropLake, queryTable } from './lake-helpers'

const config = stackConfig()
const kafka = new Kafka({ clientId: uniqueName('chaos'), brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
const registry = createSchemaRegistryClient({ url: config.schemaRegistry.url })
const catalog = createRestCatalogClient({ url: config.catalog.url })
const io = createWarehouseFileIO(config)
const namespace = uniqueName('chaos', '_')
const topics = { K2_TOPIC_TRADES: uniqueName('ch-trades'), K2_TOPIC_QUOTES: uniqueName('ch-quotes'), K2_TOPIC_DEAD_LETTER: uniqueName('ch-dead'), K2_TOPIC_CHECKPOINT: uniqueName('ch-checkpoint') }

afterAll(async () => {
  await dropLake(catalog, namespace, ['trades', 'quotes'])
  await dropTopics(kafka, Object.values(topics), registry)
  io.close()
})

/**
 * Every record of a topic (read_committed), as `symbol → ids`: read until each partition has
 * delivered up to its end (its last offset may be a transaction marker), or nothing came for 5 s.
 */
async function topicIds(topic: string, kind: 'trade' | 'quote'): Promise<Map<string, bigint[]>> {
  const serde = createRecordSerde({ registry })
  const admin = kafka.admin()
  await admin.connect()
  const high = new Map((await admin.fetchTopicOffsets(topic)).map((h) => [h.partition, BigInt(h.high)]))
  await admin.disconnect()
  const seen = new Map<number, bigint>()
  const ids = new Map<string, bigint[]>()
  const consumer = kafka.consumer({ groupId: uniqueName('chaos-reader') })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  let lastBatch = Date.now()
  const complete = (): boolean => [...high].every(([p, h]) => h === 0n || (seen.get(p) ?? -1n) >= h - 2n)
  void consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const r = kind === 'trade' ? await serde.deserializeTrade(m.value!) : await serde.deserializeQuote(m.value!)
        const id = 'tradeId' in r ? r.tradeId : r.updateId
        let list = ids.get(r.symbol)
        if (!list) ids.set(r.symbol, (list = []))
        list.push(id)
        seen.set(batch.partition, BigInt(m.offset))
      }
      lastBatch = Date.now()
    },
  })
  while (!complete() && Date.now() - lastBatch < 5000) await new Promise((r) => setTimeout(r, 200))
  await consumer.disconnect()
  return ids
}

describe('Iceberg sink under kill -9', () => {
  it('ends with every trade and quote in the lake exactly once after 20+ kills at random moments and at every commit phase, with maintenance killed too', async () => {
    const started = Date.now()
    const replayPort = await freePort()
    const replay = startWorker('replay-exchange.ts', { K2_REPLAY_PORT: String(replayPort), K2_REPLAY_RATE: '2', K2_REPLAY_SEED: '11', K2_REPLAY_HISTORY: '500000' })
    const ingestEnv = { ...topics, K2_REPLAY_PORT: String(replayPort), K2_FEED_SYMBOLS: 'BTCUSDT,ETHUSDT,SOLUSDT,XRPUSDT,DOGEUSDT,BNBUSDT', K2_INGEST_METRICS_PORT: String(await freePort()) }
    const ingest = startWorker('ingest.ts', ingestEnv)
    const sinkEnv = (chaos: string): Record<string, string> => ({
      ...topics,
      K2_SINK_NAMESPACE: namespace,
      // A fresh group per run: positions come from the table, and no run waits for a dead member's session to expire.
      K2_SINK_GROUP: uniqueName('chaos-sink'),
      K2_SINK_METRICS_PORT: String(sinkPort),
      K2_SINK_MAX_AGE_MS: '300',
      K2_SINK_CHAOS: chaos,
      K2_LOG_LEVEL: 'info',
    })
    const sinkPort = await freePort()
    // Maintenance compacts and expires snapshots all along (and is killed too): its replace
    // commits race the sink's appends.
    const maintenanceEnv = { ...topics, K2_SINK_NAMESPACE: namespace, K2_MAINTENANCE_METRICS_PORT: String(await freePort()), K2_MAINTENANCE_INTERVAL_MS: '500', K2_MAINTENANCE_OPEN_HOUR_MIN_FILES: '2', K2_MAINTENANCE_SNAPSHOT_MAX_AGE_MS: '0', K2_MAINTENANCE_KEEP_SNAPSHOTS: '5', K2_LOG_LEVEL: 'info' }
    let maintenance = startWorker('maintenance.ts', maintenanceEnv)
    let maintenanceKills = 0
    let maintenanceLog = ''
    const kills = { external: 0, 'files-written': 0, 'files-uploaded': 0, 'commit-sent': 0, committed: 0 }
    let runs = 0
    try {
      while (Object.values(kills).reduce((a, b) => a + b, 0) < 24) {
        runs++
        if (runs % 6 === 0) {
          maintenance.child.kill('SIGKILL')
          await maintenance.exited
          maintenanceKills++
          maintenanceLog += maintenance.output()
          maintenance = startWorker('maintenance.ts', maintenanceEnv)
        }
        // A run lives 3–8 s: a sink takes 3–6 s from exec to its first commit on a loaded 2-core
        // machine (tsx start, group join, positioning), and a shorter life let whole runs end
        // with no commit phase reached.
        const sink = startWorker('iceberg-sink.ts', sinkEnv('files-written:0.02,files-uploaded:0.02,commit-sent:0.04,committed:0.02'))
        const outcome = await Promise.race([sink.exited.then(() => 'exited' as const), new Promise<'timer'>((r) => setTimeout(() => r('timer'), 3000 + Math.random() * 5000))])
        if (outcome === 'timer') {
          sink.child.kill('SIGKILL')
          await sink.exited
          kills.external++
        } else {
          const phase = /chaos: SIGKILL at ([a-z-]+)/.exec(sink.output())?.[1] as keyof typeof kills | undefined
          if (!phase) throw new Error(`the sink exited without a chaos kill:\n${sink.output().slice(-2000)}`)
          kills[phase]++
        }
      }
      // Stop the feed, then let a clean sink catch up with everything in Kafka.
      ingest.child.kill('SIGTERM')
      expect(await ingest.exited, `ingest: ${ingest.output().slice(-1500)}`).toBe(0)
      const last = startWorker('iceberg-sink.ts', sinkEnv(''))
      const admin = kafka.admin()
      await admin.connect()
      const caughtUp = async (topic: string, table: string): Promise<boolean> => {
        const high = await admin.fetchTopicOffsets(topic)
        const held = tableOffsets((await catalog.loadTable([namespace], table)).metadata, topic)
        // The topic ends with a transaction marker: the table holds up to the last record, at most one short of high.
        return high.every((h) => BigInt(h.high) - (held.get(h.partition) ?? 0n) <= 1n)
      }
      await eventually(async () => ((await caughtUp(topics.K2_TOPIC_TRADES, 'trades')) && (await caughtUp(topics.K2_TOPIC_QUOTES, 'quotes')) ? true : undefined), 120_000, `the sink to catch up: ${last.output().slice(-1500)}`)
      await admin.disconnect()
      // Maintenance merges the hour being written from two small files here (the data is all in
      // it: at the default 16 whether it had compacted depended on how many commits the killed
      // sinks made); wait for it (it runs every 500 ms) rather than assume it did.
      await eventually(async () => (/compacted (trades|quotes): \d+ files into/.test(maintenanceLog + maintenance.output()) ? true : undefined), 60_000, `maintenance to compact: ${maintenance.output().slice(-1500)}`)
      last.child.kill('SIGTERM')
      expect(await last.exited, `sink: ${last.output().slice(-1500)}`).toBe(0)
      maintenance.child.kill('SIGTERM')
      expect(await maintenance.exited, `maintenance: ${maintenance.output().slice(-1500)}`).toBe(0)
      maintenanceLog += maintenance.output()
      expect(maintenanceLog).toMatch(/compacted (trades|quotes): \d+ files into/)
    } finally {
      maintenance.child.kill('SIGKILL')
      ingest.child.kill('SIGKILL')
      replay.child.kill('SIGTERM')
      await replay.exited
    }

    for (const [kind, topic, table, idColumn] of [
      ['trade', topics.K2_TOPIC_TRADES, 'trades', 'trade_id'],
      ['quote', topics.K2_TOPIC_QUOTES, 'quotes', 'update_id'],
    ] as const) {
      const inKafka = await topicIds(topic, kind)
      const inLake = await queryTable<{ symbol: string; n: number; distinct_ids: number; lo: bigint; hi: bigint }>(
        catalog,
        io,
        namespace,
        table,
        `SELECT symbol, count(*)::INTEGER AS n, count(DISTINCT ${idColumn})::INTEGER AS distinct_ids, min(${idColumn}) AS lo, max(${idColumn}) AS hi FROM t GROUP BY symbol ORDER BY symbol`,
      )
      const expected = [...inKafka.entries()]
        .sort((a, b) => (a[0] < b[0] ? -1 : 1))
        .map(([symbol, ids]) => {
          const sorted = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
          return { symbol, n: ids.length, distinct_ids: new Set(ids).size, lo: sorted[0]!, hi: sorted[sorted.length - 1]! }
        })
      // Kafka holds each id once (the ingest's own guarantee), and the lake holds exactly Kafka's records.
      for (const e of expected) expect(e.n).toBe(e.distinct_ids)
      expect(inLake.map((r) => ({ ...r, lo: BigInt(r.lo), hi: BigInt(r.hi) }))).toEqual(expected)
      if (kind === 'trade') {
        const total = expected.reduce((n, e) => n + e.n, 0)
        console.log(`sink chaos: ${runs} runs, kills ${JSON.stringify(kills)}, maintenance killed ${maintenanceKills} times, ${total} trades exactly once across ${expected.length} symbols in ${Math.round((Date.now() - started) / 1000)} s`)
        expect(total).toBeGreaterThan(1000)
      }
    }
    expect(kills['commit-sent'] + kills.committed + kills['files-uploaded'] + kills['files-written']).toBeGreaterThan(0)
  }, 300_000)
})
