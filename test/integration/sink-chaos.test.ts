import { Kafka, logLevel } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { createRecordSerde, createRestCatalogClient, createSchemaRegistryClient, createWarehouseFileIO, tableOffsets } from '../../lib/internal'
import { dropTopics, eventually, freePort, stackConfig, startWorker, uniqueName } from './helpers'
import { compareRollupsWithTrades, dropLake } from './lake-helpers'
import { lakeDigest, lossOf, recordReliability, tapeOver, topicTrades, topicQuotes, type Content } from './oracles'

const config = stackConfig()
const kafka = new Kafka({ clientId: uniqueName('chaos'), brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
const registry = createSchemaRegistryClient({ url: config.schemaRegistry.url })
const catalog = createRestCatalogClient({ url: config.catalog.url })
const io = createWarehouseFileIO(config)
const namespace = uniqueName('chaos', '_')
const topics = { K2_TOPIC_TRADES: uniqueName('ch-trades'), K2_TOPIC_QUOTES: uniqueName('ch-quotes'), K2_TOPIC_DEAD_LETTER: uniqueName('ch-dead'), K2_TOPIC_CHECKPOINT: uniqueName('ch-checkpoint') }

afterAll(async () => {
  await dropLake(catalog, namespace, ['trades', 'quotes', 'trades_bars_1m', 'trades_latest'])
  await dropTopics(kafka, Object.values(topics), registry)
  io.close()
})

describe('Iceberg sink under kill -9', () => {
  it('ends with every trade and quote in the lake exactly once after 20+ kills at random moments and at every commit phase, with maintenance (and the rollups it keeps) killed too', async () => {
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
    let rollupLives = 0
    let maintenanceLog = ''
    const kills = { external: 0, 'files-written': 0, 'files-uploaded': 0, 'commit-sent': 0, committed: 0 }
    let runs = 0
    let tradesInKafka: Content | undefined
    let tapeContent: Content | undefined
    try {
      // At least 24 kills, and at least one at every named phase (within 70 runs).
      const phases = ['files-written', 'files-uploaded', 'commit-sent', 'committed'] as const
      while ((Object.values(kills).reduce((a, b) => a + b, 0) < 24 || phases.some((p) => kills[p] === 0)) && runs < 70) {
        runs++
        if (runs % 6 === 0) {
          maintenance.child.kill('SIGKILL')
          await maintenance.exited
          maintenanceKills++
          if (/folded \d+ trades into \d+ rows of trades_bars_1m/.test(maintenance.output())) rollupLives++
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
      // The exchange's own tape of every trade Kafka holds, from each symbol's first to its last:
      // the ingest repairs gaps, so Kafka must hold all of it, as the exchange made it.
      tradesInKafka = await topicTrades(kafka, createRecordSerde({ registry }), [topics.K2_TOPIC_TRADES])
      tapeContent = await tapeOver(`http://127.0.0.1:${replayPort}`, tradesInKafka)
      const last = startWorker('iceberg-sink.ts', sinkEnv(''))
      const admin = kafka.admin()
      await admin.connect()
      const caughtUp = async (topic: string, table: string): Promise<boolean> => {
        const high = await admin.fetchTopicOffsets(topic)
        const held = tableOffsets((await catalog.loadTable([namespace], table)).metadata, topic)
        // The topic ends with a transaction marker: the table holds up to the last record, at most one short of high.
        return high.every((h) => BigInt(h.high) - (held.get(h.partition) ?? 0n) <= 1n)
      }
      await eventually(async () => ((await caughtUp(topics.K2_TOPIC_TRADES, 'trades')) && (await caughtUp(topics.K2_TOPIC_QUOTES, 'quotes')) ? true : undefined), 120_000, () => `the sink to catch up: ${last.output().slice(-1500)}`)
      await admin.disconnect()
      // Maintenance merges the hour being written from two small files here (the data is all in
      // it: at the default 16 whether it had compacted depended on how many commits the killed
      // sinks made); wait for it (it runs every 500 ms) rather than assume it did.
      await eventually(async () => (/compacted (trades|quotes): \d+ files into/.test(maintenanceLog + maintenance.output()) ? true : undefined), 60_000, `maintenance to compact: ${maintenance.output().slice(-1500)}`)
      // The rollups (folded by the same, repeatedly killed worker) catch up with every trade the lake holds.
      const rollupsCaughtUp = async (): Promise<boolean> => {
        const held = tableOffsets((await catalog.loadTable([namespace], 'trades')).metadata, topics.K2_TOPIC_TRADES)
        for (const rollup of ['trades_bars_1m', 'trades_latest']) {
          if (!(await catalog.tableExists([namespace], rollup))) return false
          const o = tableOffsets((await catalog.loadTable([namespace], rollup)).metadata, topics.K2_TOPIC_TRADES)
          if ([...held].some(([p, at]) => o.get(p) !== at)) return false
        }
        return true
      }
      await eventually(async () => ((await rollupsCaughtUp()) ? true : undefined), 60_000, () => `the rollups to fold every committed trade: ${maintenance.output().slice(-1500)}`)
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

    // The lake as pyiceberg reads it, not as our reader does; Kafka read_committed; the tape.
    const quotesInKafka = await topicQuotes(kafka, createRecordSerde({ registry }), topics.K2_TOPIC_QUOTES)
    const lake = { trades: await lakeDigest(config, namespace, 'trades'), quotes: await lakeDigest(config, namespace, 'quotes') }
    const losses = [lossOf(tradesInKafka!, tapeContent!), lossOf(lake.trades, tradesInKafka!), lossOf(lake.quotes, quotesInKafka)]
    recordReliability(
      'sink-chaos',
      [
        ...Object.entries(kills).map(([phase, count]) => ({ kind: 'kill' as const, target: 'iceberg-sink', what: phase === 'external' ? 'SIGKILL at a random moment' : `SIGKILL at ${phase}`, count })),
        { kind: 'kill', target: 'maintenance', what: 'SIGKILL while compacting and expiring', count: maintenanceKills },
      ],
      "trades: the exchange's tape vs Kafka, Kafka vs the lake read by pyiceberg; quotes: Kafka vs the lake",
      { checked: tradesInKafka!.records + quotesInKafka.records, lost: losses.reduce((a, l) => a + l.lost, 0), duplicated: losses.reduce((a, l) => a + l.duplicated, 0), valuesDiffer: losses.some((l) => l.valuesDiffer) },
    )
    // The exchange made what Kafka holds: the same trades, value for value.
    expect(tradesInKafka!.ids).toEqual(tapeContent!.ids)
    expect(tradesInKafka!.hash, 'trades: content differs between the exchange\'s tape and Kafka').toBe(tapeContent!.hash)
    for (const [kind, table] of [
      ['trade', 'trades'],
      ['quote', 'quotes'],
    ] as const) {
      const inKafka = kind === 'trade' ? tradesInKafka! : quotesInKafka
      const inLake = lake[table]
      // Kafka holds each id once (the ingest's own guarantee), and the lake holds exactly Kafka's
      // records: the same ids per symbol, and the same content, value for value.
      for (const [symbol, list] of inKafka.ids) expect(new Set(list.map(String)).size, `${symbol} twice in Kafka`).toBe(list.length)
      expect(inLake.ids).toEqual(inKafka.ids)
      expect(inLake.hash, `${table}: content differs between Kafka and the lake`).toBe(inKafka.hash)
      if (kind === 'trade') {
        console.log(`sink chaos: ${runs} runs, kills ${JSON.stringify(kills)}, maintenance killed ${maintenanceKills} times, ${inKafka.records} trades exactly once across ${inKafka.ids.size} symbols (as on the exchange's tape) in ${Math.round((Date.now() - started) / 1000)} s`)
        expect(inKafka.records).toBeGreaterThan(1000)
      }
    }
    // The rollups, through the kills of the worker keeping them: the same bars and latest trades
    // as the trades give at the snapshot the rollups hold, which holds every trade.
    const rollups = await compareRollupsWithTrades(catalog, io, namespace)
    expect(rollups.trades).toBe(tradesInKafka!.records)
    for (const b of rollups.bars) {
      expect(b.fromRollup.length, `bars ${b.interval}`).toBe(b.fromTrades.length)
      expect(b.fromRollup, `rollup bars ${b.interval} equal the trades' at snapshot ${rollups.sourceSnapshotId}`).toEqual(b.fromTrades)
    }
    expect(rollups.latest.fromRollup.length).toBeGreaterThan(0)
    expect(rollups.latest.fromRollup).toEqual(rollups.latest.fromTrades)
    expect(rollupLives, 'worker lives killed after folding trades into the rollup').toBeGreaterThanOrEqual(2)

    // The title's "at every commit phase": a kill landed at each.
    for (const phase of ['files-written', 'files-uploaded', 'commit-sent', 'committed'] as const) expect(kills[phase], `kills at ${phase}: ${JSON.stringify(kills)}`).toBeGreaterThan(0)
  }, 600_000)
})
