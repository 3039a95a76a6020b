import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectorGroupId, createConnectClient, currentSnapshot, ensureTopics, icebergSinkConnectorConfig, tableOffsets } from '../../lib/internal'
import { createStack } from '../../stack/lib/manager'
import { allServices } from '../../stack/services'
import { FatalError, dropTopics, eventually, freePort, startWorker, uniqueName } from './helpers'
import { createLakeTestContext, dropLake, makeTrades, produceTradesTransactional } from './lake-helpers'
import { lakeDigest, lossOf, topicTrades } from './oracles'

/**
 * Kafka Connect's Iceberg sink, the distributed alternative (docs/scale-out.md), beside our sink
 * on the same topic of transactional batches (one of them aborted): both tables end holding the
 * same rows, the rows Kafka holds, for the same offsets. Connect is started on demand (the stack
 * does not start it by default) and stopped afterwards if this test started it.
 */
const lake = createLakeTestContext('connect')
const { config, kafka, serde, catalog } = lake
const connect = createConnectClient(config.connect.url)
const stack = createStack(config, allServices, { line: () => undefined })
const connector = uniqueName('connect')
const controlTopic = `${connector}-control`
const connectNamespace = uniqueName('connect_sink', '_')
const checkpoint = `${lake.topics.trades}.checkpoint`
const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT']
let startedConnect = false
let sink: ReturnType<typeof startWorker> | undefined

beforeAll(async () => {
  const [state] = await stack.status(['kafka-connect'])
  if (state!.state === 'down') {
    await stack.up(['kafka-connect'])
    startedConnect = true
  }
  await lake.setup(3)
  const admin = kafka.admin()
  await admin.connect()
  // The coordinator's topic: the broker does not create topics on demand.
  await ensureTopics(admin, [{ topic: controlTopic, partitions: 1 }, { topic: checkpoint, partitions: 1 }])
  await admin.disconnect()
}, 600_000)

afterAll(async () => {
  await connect.deleteConnector(connector).catch(() => undefined)
  sink?.child.kill('SIGTERM')
  await sink?.exited
  const admin = kafka.admin()
  await admin.connect()
  await admin.deleteGroups([connectorGroupId(connector), `${connectorGroupId(connector)}-coord`]).catch(() => undefined)
  await admin.disconnect()
  await dropTopics(kafka, [controlTopic, checkpoint])
  await dropLake(catalog, connectNamespace, ['trades'])
  await lake.teardown()
  if (startedConnect) await stack.down(['kafka-connect'])
}, 180_000)

describe('Kafka Connect with the Iceberg sink, beside our sink', () => {
  it('writes the same rows as our sink for the same offsets, and none of an aborted transaction', async () => {
    const admin = kafka.admin()
    await admin.connect()
    const producer = kafka.producer({ transactionalId: uniqueName('connect-tx'), maxInFlightRequests: 1, idempotent: true })
    await producer.connect()
    try {
      for (let b = 0; b < 3; b++) await produceTradesTransactional(kafka, serde, lake.topics.trades, checkpoint, makeTrades(symbols, 400, 1 + b * 400), producer, admin, symbols, 3)
      // An aborted batch stays in the log: a read_uncommitted reader would take it.
      const tx = await producer.transaction()
      await tx.send({ topic: lake.topics.trades, messages: makeTrades(symbols, 50, 900_000).map((t) => ({ key: t.symbol, value: serde.serializeTrade(t) })) })
      await tx.abort()
      for (let b = 3; b < 5; b++) await produceTradesTransactional(kafka, serde, lake.topics.trades, checkpoint, makeTrades(symbols, 400, 1 + b * 400), producer, admin, symbols, 3)
    } finally {
      await producer.disconnect()
    }
    const inKafka = await topicTrades(kafka, serde, [lake.topics.trades])
    expect(inKafka.records).toBe(5 * 400 * symbols.length)

    sink = startWorker('iceberg-sink.ts', { K2_TOPIC_TRADES: lake.topics.trades, K2_TOPIC_QUOTES: lake.topics.quotes, K2_TOPIC_DEAD_LETTER: lake.topics.deadLetter, K2_SINK_NAMESPACE: lake.namespace, K2_SINK_GROUP: uniqueName('connect-ours'), K2_SINK_MAX_AGE_MS: '1000', K2_SINK_METRICS_PORT: String(await freePort()) })
    await connect.putConnector(
      connector,
      icebergSinkConnectorConfig({ name: connector, topics: [lake.topics.trades], namespace: connectNamespace, table: 'trades', catalogUrl: config.catalog.url, s3Endpoint: config.s3.endpoint, s3Region: config.s3.region, controlTopic, commitIntervalMs: 3000 }),
    )
    await eventually(async () => ((await connect.running(connector)) ? true : undefined), 120_000, 'the connector and its task to run')

    const total = async (namespace: string): Promise<number> => {
      if (!(await catalog.tableExists([namespace], 'trades'))) return 0
      return Number(currentSnapshot((await catalog.loadTable([namespace], 'trades')).metadata)?.summary['total-records'] ?? 0)
    }
    let seen = ''
    await eventually(
      async () => {
        if (sink!.child.exitCode !== null) throw new FatalError(`our sink exited: ${sink!.describe()}`)
        await connect.running(connector) // throws the task's trace if it failed
        const [ours, theirs] = [await total(lake.namespace), await total(connectNamespace)]
        seen = `ours ${ours}, Connect's ${theirs} of ${inKafka.records}`
        return ours === inKafka.records && theirs === inKafka.records ? true : undefined
      },
      180_000,
      () => `both tables to hold every trade (${seen})`,
    )

    // The same offsets: ours in the snapshot summary, Connect's in its consumer group; both at
    // the end of every partition (past the last commit marker).
    const ends = new Map((await admin.fetchTopicOffsets(lake.topics.trades)).map((p) => [p.partition, BigInt(p.high)]))
    const ours = tableOffsets((await catalog.loadTable([lake.namespace], 'trades')).metadata, lake.topics.trades)
    const [group] = await admin.fetchOffsets({ groupId: connectorGroupId(connector), topics: [lake.topics.trades] })
    const theirs = new Map(group!.partitions.map((p) => [p.partition, BigInt(p.offset)]))
    await admin.disconnect()
    const byPartition = [...ends.keys()].sort().map((p) => ({ partition: p, end: ends.get(p), ours: ours.get(p), connect: theirs.get(p) }))
    for (const row of byPartition) {
      // A partition ends with a commit marker: the last record is at end - 2, so end - 1 and end both mean "all of it".
      expect(row.ours! >= row.end! - 1n && row.connect! >= row.end! - 1n, JSON.stringify(byPartition, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).toBe(true)
    }

    // The rows, read by pyiceberg: Connect's table names columns after the Avro fields and keeps
    // the microsecond timestamp as a long (D70); ours has event_time. Same canonical lines.
    const oursRead = await lakeDigest(config, lake.namespace, 'trades')
    const theirsRead = await lakeDigest(config, connectNamespace, 'trades', { kind: 'trades', timeColumn: 'timestamp' })
    expect(lossOf(oursRead, inKafka)).toEqual({ checked: inKafka.records, lost: 0, duplicated: 0, valuesDiffer: false })
    expect(lossOf(theirsRead, inKafka)).toEqual({ checked: inKafka.records, lost: 0, duplicated: 0, valuesDiffer: false })
    expect(theirsRead.hash).toBe(oursRead.hash)
    expect([...theirsRead.ids.values()].flat().some((id) => id >= 900_000n)).toBe(false)
  }, 420_000)
})
