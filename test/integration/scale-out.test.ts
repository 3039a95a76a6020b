import { Kafka, logLevel } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { createRecordSerde, createRestCatalogClient, createSchemaRegistryClient, currentSnapshot, ensureTopics, tableOffsets } from '../../lib/internal'
import { dropTopics, eventually, freePort, stackConfig, startWorker, uniqueName } from './helpers'
import { dropLake, makeTrades, produceRecords } from './lake-helpers'
import { contentOf, lakeDigest, lossOf, recordReliability, tapeOver, topicTrades, topicQuotes, type Content } from './oracles'

/**
 * The scale-out topology as a user would run it: two ingest shards (K2_INGEST_SHARD=0/2, 1/2) and
 * three sinks in one consumer group, each its own process, with sinks killed (SIGKILL) and
 * replaced again and again, so partitions move between them, and now and then an ingest shard
 * killed (SIGKILL) and restarted: its successor fences the open transaction, resumes from the
 * shard's checkpoint and repairs the gap from the exchange's REST history. Afterwards the lake, read by
 * pyiceberg, holds exactly what Kafka holds, which is exactly the exchange's tape; and no
 * partition's offset in the table ever went backwards, as seen by a reader polling the catalog
 * throughout. The load shedder's deferred trades topic gets trades too (symbols of its own, as
 * the shedder would divert them): the sinks backfill it under the same rules, its partitions'
 * offsets also only move forward, and the lake holds each of its trades once.
 */
const config = stackConfig()
const kafka = new Kafka({ clientId: uniqueName('scale'), brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
const registry = createSchemaRegistryClient({ url: config.schemaRegistry.url })
const catalog = createRestCatalogClient({ url: config.catalog.url })
const namespace = uniqueName('scale', '_')
const topics = { K2_TOPIC_TRADES: uniqueName('sc-trades'), K2_TOPIC_QUOTES: uniqueName('sc-quotes'), K2_TOPIC_DEAD_LETTER: uniqueName('sc-dead'), K2_TOPIC_CHECKPOINT: uniqueName('sc-checkpoint') }
const deferredTrades = `${topics.K2_TOPIC_TRADES}.deferred`
/** Symbols the replay exchange does not list: only the deferred topic carries them. */
const deferredSymbols = ['DEFAUSDT', 'DEFBUSDT', 'DEFCUSDT', 'DEFDUSDT', 'DEFEUSDT', 'DEFFUSDT']

afterAll(async () => {
  await dropLake(catalog, namespace, ['trades', 'quotes'])
  await dropTopics(kafka, [...Object.values(topics), deferredTrades, `${topics.K2_TOPIC_QUOTES}.deferred`], registry)
})

describe('two ingest shards and three sinks in one group', () => {
  it('ends with every trade on the exchange\'s tape in the lake once, and no partition\'s offset ever going backwards, through sink and shard kills and rebalances', async () => {
    const admin = kafka.admin()
    await admin.connect()
    await ensureTopics(admin, [{ topic: deferredTrades, partitions: 6 }])
    await admin.disconnect()
    const serde = createRecordSerde({ registry })
    await serde.registerSchemas({ trades: deferredTrades, quotes: `${topics.K2_TOPIC_QUOTES}.deferred` })
    let nextDeferredId = 1
    /** 100 trades of each deferred symbol into the deferred topic, tier 3, as the shedder writes them. */
    const defer = async (): Promise<void> => {
      const trades = makeTrades(deferredSymbols, 100, nextDeferredId)
      nextDeferredId += 100
      await produceRecords(kafka, deferredTrades, trades.map((t) => ({ key: t.symbol, value: serde.serializeTrade(t), headers: { 'k2-tier': '3' } })))
    }
    const replayPort = await freePort()
    const replay = startWorker('replay-exchange.ts', { K2_REPLAY_PORT: String(replayPort), K2_REPLAY_RATE: '2', K2_REPLAY_SEED: '31', K2_REPLAY_HISTORY: '500000' })
    const common = { ...topics, K2_LOG_LEVEL: 'info', K2_REPLAY_PORT: String(replayPort), K2_TOPIC_PARTITIONS: '6', K2_SINK_NAMESPACE: namespace, K2_SINK_GROUP: uniqueName('scale-sinks'), K2_SINK_MAX_AGE_MS: '1000', K2_DEGRADE: 'off' }
    const shardPorts: number[] = []
    const startShard = async (i: number): Promise<ReturnType<typeof startWorker>> => {
      shardPorts[i] = await freePort()
      return startWorker('ingest.ts', { ...common, K2_INGEST_SHARD: `${i}/2`, K2_INGEST_METRICS_PORT: String(shardPorts[i]) })
    }
    const ingests = [await startShard(0), await startShard(1)]
    const startSink = async (): Promise<ReturnType<typeof startWorker>> => startWorker('iceberg-sink.ts', { ...common, K2_SINK_METRICS_PORT: String(await freePort()) })
    const sinks = [await startSink(), await startSink(), await startSink()]
    // A reader polling the table throughout: the offsets it sees per partition (of the hot topic
    // and of the deferred one) never decrease.
    const seen = new Map<string, bigint[]>()
    let watching = true
    const watcher = (async () => {
      while (watching) {
        try {
          if (await catalog.tableExists([namespace], 'trades')) {
            const metadata = (await catalog.loadTable([namespace], 'trades')).metadata
            for (const topic of [topics.K2_TOPIC_TRADES, deferredTrades]) {
              for (const [p, o] of tableOffsets(metadata, topic)) {
                const key = `${topic === deferredTrades ? 'deferred' : 'trades'}:${p}`
                let list = seen.get(key)
                if (!list) seen.set(key, (list = []))
                if (list.at(-1) !== o) list.push(o)
              }
            }
          }
        } catch {
          // the catalog answered late: the next poll
        }
        await new Promise((r) => setTimeout(r, 250))
      }
    })()
    let kills = 0
    let shardKills = 0
    let tradesInKafka: Content | undefined
    let deferredInKafka: Content | undefined
    let quotesInKafka: Content | undefined
    let onTape: Content | undefined
    try {
      // Some commits first, then a minute of sinks killed and replaced every 4–8 s, and every
      // third time an ingest shard too.
      await eventually(async () => ((seen.get('trades:0')?.length ?? 0) > 1 ? true : undefined), 120_000, () => `the sinks to commit: ${sinks.map((s) => s.describe()).join('\n')}`)
      const until = Date.now() + 60_000
      while (Date.now() < until) {
        await new Promise((r) => setTimeout(r, 4000 + Math.random() * 4000))
        await defer()
        const i = Math.floor(Math.random() * sinks.length)
        sinks[i]!.child.kill('SIGKILL')
        await sinks[i]!.exited
        kills++
        sinks[i] = await startSink()
        if (kills % 3 === 0) {
          const j = shardKills % ingests.length
          ingests[j]!.child.kill('SIGKILL')
          await ingests[j]!.exited
          shardKills++
          ingests[j] = await startShard(j)
        }
      }
      // A shard restarted a moment ago may still be loading: SIGTERM before it has installed its
      // handlers ends it by the signal, not by a clean stop (seen once). Each answers first.
      for (const [j, ingest] of ingests.entries()) {
        await eventually(async () => ((await fetch(`http://127.0.0.1:${shardPorts[j]}/metrics`).then((r) => r.ok, () => false)) ? true : undefined), 60_000, () => `shard ${j} to answer: ${ingest.describe()}`)
      }
      for (const ingest of ingests) ingest.child.kill('SIGTERM')
      for (const ingest of ingests) expect(await ingest.exited, ingest.describe()).toBe(0)
      tradesInKafka = await topicTrades(kafka, createRecordSerde({ registry }), [topics.K2_TOPIC_TRADES])
      onTape = await tapeOver(`http://127.0.0.1:${replayPort}`, tradesInKafka)
      // The sinks catch up with everything Kafka holds. (Not offsets: with two transactional
      // producers a partition can end with two markers, so its end is not one past the last record.)
      quotesInKafka = await topicQuotes(kafka, createRecordSerde({ registry }), topics.K2_TOPIC_QUOTES)
      deferredInKafka = await topicTrades(kafka, serde, [deferredTrades])
      let behind = ''
      const inTable = async (table: string): Promise<number> => Number(currentSnapshot((await catalog.loadTable([namespace], table)).metadata)?.summary['total-records'] ?? 0)
      await eventually(
        async () => {
          const [t, q] = [await inTable('trades'), await inTable('quotes')]
          const trades = tradesInKafka!.records + deferredInKafka!.records
          behind = `trades ${t} of ${trades} (${deferredInKafka!.records} deferred), quotes ${q} of ${quotesInKafka!.records}`
          return t === trades && q === quotesInKafka!.records ? true : undefined
        },
        180_000,
        () => `the sinks to catch up (${behind}): ${sinks.map((s) => s.describe()).join('\n')}`,
      )
    } finally {
      watching = false
      await watcher
      for (const s of [...sinks, ...ingests]) s.child.kill('SIGKILL')
      replay.child.kill('SIGTERM')
      await replay.exited
    }

    const lake = { trades: await lakeDigest(config, namespace, 'trades'), quotes: await lakeDigest(config, namespace, 'quotes') }
    // The lake's trades: the hot topic's and the deferred topic's, each once.
    const allTrades = contentOf([...tradesInKafka!.lines!, ...deferredInKafka!.lines!])
    const losses = [lossOf(tradesInKafka!, onTape!), lossOf(lake.trades, allTrades), lossOf(lake.quotes, quotesInKafka!)]
    recordReliability(
      'scale-out',
      [
        { kind: 'kill', target: 'iceberg-sink (one of three in a group)', what: 'SIGKILL and replaced: its partitions move to the others', count: kills },
        { kind: 'kill', target: 'ingest (one of two shards)', what: 'SIGKILL and restarted: fences its open transaction, resumes from its checkpoint', count: shardKills },
      ],
      "trades: the exchange's tape vs Kafka (two ingest shards), Kafka (hot and deferred topics) vs the lake read by pyiceberg; quotes: Kafka vs the lake",
      { checked: allTrades.records + quotesInKafka!.records, lost: losses.reduce((a, l) => a + l.lost, 0), duplicated: losses.reduce((a, l) => a + l.duplicated, 0), valuesDiffer: losses.some((l) => l.valuesDiffer) },
    )
    console.log(`scale-out: ${kills} sink kills, ${shardKills} shard kills, ${tradesInKafka!.records} trades, ${deferredInKafka!.records} deferred and ${quotesInKafka!.records} quotes; offsets seen per partition: ${[...seen].map(([p, l]) => `${p}:${l.length}`).join(' ')}`)
    expect(kills).toBeGreaterThanOrEqual(6)
    expect(shardKills).toBeGreaterThanOrEqual(2)
    expect(losses).toEqual(losses.map((l) => ({ ...l, lost: 0, duplicated: 0, valuesDiffer: false })))
    expect(tradesInKafka!.records).toBeGreaterThan(1000)
    // Every partition moved forward and never back.
    expect(deferredInKafka!.records).toBeGreaterThanOrEqual(6 * 600)
    // Six symbols key the deferred topic: the partitions they hash to are those with records.
    const admin2 = kafka.admin()
    await admin2.connect()
    const deferredPartitions = (await admin2.fetchTopicOffsets(deferredTrades)).filter((p) => Number(p.high) > 0).map((p) => `deferred:${p.partition}`)
    await admin2.disconnect()
    expect([...seen.keys()].sort()).toEqual([...Array.from({ length: 6 }, (_, p) => `trades:${p}`), ...deferredPartitions].sort())
    for (const [p, list] of seen) {
      for (let i = 1; i < list.length; i++) expect(list[i]! > list[i - 1]!, `partition ${p}: ${list[i - 1]} then ${list[i]}`).toBe(true)
    }
  }, 600_000)
})
