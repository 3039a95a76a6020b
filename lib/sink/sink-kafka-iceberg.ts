import * as path from 'node:path'
import type { Admin, Consumer, Producer } from 'kafkajs'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { ErrorCode, errorMessage, isWorkbenchError } from '../errors/index'
import { processWorkDir } from './work-dir'
import { processSignals } from '../degrade/degradation-manager'
import type { LoadedTable, RestCatalogClient } from '../iceberg/catalog-rest'
import { createManifestReader } from '../iceberg/manifest-io'
import { quotesTable, tradesTable, type TableDesign } from '../iceberg/table-design'
import { createParquetDataWriter } from '../iceberg/writer-parquet-duckdb'
import type { Quote, Trade } from '../market/types'
import { ensureTopics, freshTopicOffsets } from '../kafka/topics-admin'
import { createDeadLetterSender } from './dead-letters-kafka'
import { createBatchHandler } from './sink-consumer'
import { startDegradation, type ProcessSampler } from './sink-degradation'
import type { IcebergSinkDeps, IcebergSinkOptions, SinkReport } from './sink-options'
import { createProgressPublisher, createSinkRun, finalFlush, flushOnAge, type SinkRun } from './sink-run'
import { openStream, type AnySinkStream, type SinkStream, type StreamSource } from './sink-stream'
import { describeOffsets } from './snapshot-offsets'

export type { IcebergSinkDeps, IcebergSinkOptions, SinkReport } from './sink-options'

/** What a run holds open, closed in this order when it ends. */
interface SinkResources {
  readonly duck: DuckDBInstance
  readonly connections: DuckDBConnection[]
  readonly producer: Producer
  readonly admin: Admin
  consumer: Consumer | undefined
  process: ProcessSampler | undefined
  progressTimer: NodeJS.Timeout | undefined
}

/**
 * The exactly-once Kafka → Iceberg sink. Each table commit carries, in its snapshot summary, the
 * next Kafka offset of every partition it has written (see snapshot-offsets.ts); on start and
 * after every rebalance the sink positions itself from the table, never from consumer-group
 * offsets, and every commit asserts that the table still holds the offsets the batch started
 * from. So a crash before upload, after upload, during or after the commit, or two instances
 * sharing partitions, all end with every record in the table exactly once. Files uploaded by a
 * batch that never committed are orphans, removed by maintenance.
 *
 * Undecodable records (no value, unknown schema id, bad Avro) go to the dead-letter topic with
 * the reason, and count as consumed. Outages (catalog, object store, broker, registry) are
 * waited out with backoff until `signal` fires.
 */
export async function runIcebergSink(options: IcebergSinkOptions, deps: IcebergSinkDeps, signal: AbortSignal): Promise<SinkReport> {
  const workDir = processWorkDir(options.workDir)
  // One DuckDB thread: a commit's sort and write then leave the other core to Kafka and the ingest
  // worker beside it; end to end this measured better than two threads (docs/bench/sink.md).
  const duck = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '2GB', preserve_insertion_order: 'false' })
  const res: SinkResources = {
    duck,
    connections: [],
    producer: deps.kafka.producer({ idempotent: true, maxInFlightRequests: 1 }),
    admin: deps.kafka.admin(),
    consumer: undefined,
    process: undefined,
    progressTimer: undefined,
  }
  const grace = stopGrace(signal, options.stopGraceMs ?? 30_000)
  const run = createSinkRun(options, deps, signal, grace.signal)
  try {
    await prepare(run, res)
    await openStreams(run, res, workDir)
    // The sink never positions itself from the group's offsets (they carry its published
    // progress), but the consumer starts from them: make sure they are not ahead of the table (a
    // table dropped and re-created, say).
    for (const s of run.streams) await alignGroupOffsets(run, res.admin, s)
    const c = await joinGroup(run, res)
    run.publishProgress = createProgressPublisher(run, c)
    const deadLetter = createDeadLetterSender({ producer: res.producer, topic: options.topics.deadLetter, log: run.log, metrics: deps.metrics, retry: run.retry })
    await c.run({ autoCommit: false, eachBatchAutoResolve: true, eachBatch: createBatchHandler(run, c, deadLetter) })
    res.progressTimer = setInterval(() => void run.publishProgress(), 1000)
    res.progressTimer.unref()
    if (options.degradation) res.process = processSignals()
    startDegradation(run, c, res.process)
    await flushOnAge(run, signal)
    await stop(run, c, res)
    return { tables: Object.fromEntries(run.streams.map((s) => [reportKey(s), { ...s.report }])), degradation: [...(run.manager?.transitions ?? [])] }
  } finally {
    grace.close()
    await release(run, res)
  }
}

/**
 * Commits in flight when the sink is asked to stop, and then the final flush, get
 * `stopGraceMs` in all (a stop is not a reason to throw away a batch that is being committed);
 * after that they are abandoned and re-read on restart. `signal` is the commits' signal.
 */
function stopGrace(stopSignal: AbortSignal, graceMs: number): { readonly signal: AbortSignal; close(): void } {
  const commitAbort = new AbortController()
  const onStop = (): void => void setTimeout(() => commitAbort.abort(), graceMs).unref()
  if (stopSignal.aborted) onStop()
  else stopSignal.addEventListener('abort', onStop, { once: true })
  return {
    signal: commitAbort.signal,
    close() {
      stopSignal.removeEventListener('abort', onStop)
      commitAbort.abort()
    },
  }
}

/** Connects to Kafka and makes sure the namespace and the deferred topics exist, waiting out outages. */
async function prepare(run: SinkRun, res: SinkResources): Promise<void> {
  await run.retry.untilDone('connecting to Kafka', async () => {
    await res.producer.connect()
    await res.admin.connect()
  })
  await run.retry.untilDone('creating the namespace', () => run.deps.catalog.ensureNamespace([run.options.namespace]))
  await run.retry.untilDone('creating the deferred topics', () => ensureDeferredTopics(res.admin, run.options.topics))
}

/** Opens the run's streams: the hot topics, then the deferred ones, each into its table (created when missing). */
async function openStreams(run: SinkRun, res: SinkResources, workDir: string): Promise<void> {
  const { options, deps } = run
  const wanted = options.streams ?? ['trades', 'quotes']
  const names = options.tables ?? { trades: tradesTable.name, quotes: quotesTable.name }
  const manifests = createManifestReader(deps.io)
  const open = async <R>(source: StreamSource<R>): Promise<SinkStream<R>> => {
    const name = names[source.kind]
    const loaded = await run.retry.untilDone(`loading table ${options.namespace}.${name}`, () => ensureTable(deps.catalog, options.namespace, name, source.design))
    const table = { catalog: deps.catalog, io: deps.io, namespace: [options.namespace], name, manifests }
    const s = await openStream(source, table, loaded, async (layout) => {
      const connection = await res.duck.connect()
      res.connections.push(connection)
      return createParquetDataWriter({ connection, ...layout, workDir: path.join(workDir, name), rowGroupSize: options.rowGroupSize })
    })
    run.log.info(`table ${options.namespace}.${name} holds ${source.topic} up to ${describeOffsets(s.committed)}`, { table: name })
    return s
  }
  const trades = (topic: string, deferred: boolean): StreamSource<Trade> => ({ kind: 'trades', design: tradesTable, topic, deferred, decode: (v) => deps.serde.deserializeTrade(v) })
  const quotes = (topic: string, deferred: boolean): StreamSource<Quote> => ({ kind: 'quotes', design: quotesTable, topic, deferred, decode: (v) => deps.serde.deserializeQuote(v) })
  if (wanted.includes('trades')) run.streams.push(await open(trades(options.topics.trades, false)))
  if (wanted.includes('quotes')) run.streams.push(await open(quotes(options.topics.quotes, false)))
  const { deferredTrades, deferredQuotes } = options.topics
  if (wanted.includes('trades') && deferredTrades) run.streams.push(await open(trades(deferredTrades, true)))
  if (wanted.includes('quotes') && deferredQuotes) run.streams.push(await open(quotes(deferredQuotes, true)))
}

/** Joins the consumer group: every join asks for a reposition from the tables, and a crash the consumer does not restart from ends the run. */
async function joinGroup(run: SinkRun, res: SinkResources): Promise<Consumer> {
  const sessionTimeout = run.options.sessionTimeoutMs ?? 10_000
  const c = run.deps.kafka.consumer({ groupId: run.options.groupId, readUncommitted: false, maxBytesPerPartition: run.options.fetchBytesPerPartition ?? 4 * 2 ** 20, sessionTimeout, heartbeatInterval: Math.max(500, Math.floor(sessionTimeout / 10)) })
  res.consumer = c
  c.on(c.events.GROUP_JOIN, () => {
    run.repositionNeeded = true
  })
  c.on(c.events.CRASH, (e) => {
    if (!e.payload.restart) run.failure = e.payload.error
  })
  await run.retry.untilDone('joining the consumer group', async () => {
    await c.connect()
    await c.subscribe({ topics: run.streams.map((s) => s.topic), fromBeginning: true })
  })
  return c
}

/** The stop: no more progress nor level, the consumer stopped, then the final flush. */
async function stop(run: SinkRun, c: Consumer, res: SinkResources): Promise<void> {
  clearInterval(res.progressTimer)
  // A stopping sink has no level: the final flush ages staged records past SOFT's lag threshold,
  // and recording that as a transition ended an overload demo at SOFT after the lake had caught up.
  run.manager?.close()
  // A clean stop commits what is staged (within the stop's grace), so a restart has little to re-read.
  await c.stop().catch(() => undefined)
  await finalFlush(run)
}

/** Closes everything the run opened, whether it stopped or failed: commits still in flight settle before their writers close. */
async function release(run: SinkRun, res: SinkResources): Promise<void> {
  clearInterval(res.progressTimer)
  run.manager?.close()
  res.process?.close()
  await res.consumer?.disconnect().catch(() => undefined)
  await res.producer.disconnect().catch(() => undefined)
  await res.admin.disconnect().catch(() => undefined)
  for (const s of run.streams) await s.inFlight?.catch(() => undefined)
  for (const s of run.streams) {
    await s.writer.close().catch(() => undefined)
    await s.spare.close().catch(() => undefined)
  }
  for (const c of res.connections) c.closeSync()
  res.duck.closeSync()
}

/** A stream's key in the report (`<table>+deferred`: records backfilled from the deferred topic). */
function reportKey(s: AnySinkStream): string {
  return s.deferred ? `${s.table.name}+deferred` : s.table.name
}

/** Moves the group's offsets of the stream's topic back to the table's where they are ahead of it. */
async function alignGroupOffsets(run: SinkRun, admin: Admin, s: AnySinkStream): Promise<void> {
  const { options, log } = run
  const group = await run.retry.untilDone('reading the group offsets', () => admin.fetchOffsets({ groupId: options.groupId, topics: [s.topic] }))
  const low = await run.retry.untilDone('reading the topic offsets', () => freshTopicOffsets(run.deps.kafka, s.topic))
  const partitions: Array<{ partition: number; offset: string }> = []
  for (const t of group) {
    for (const g of t.partitions) {
      if (g.offset === '-1') continue
      const held = s.committed.get(g.partition)
      const start = low.find((l) => l.partition === g.partition)?.low ?? '0'
      const target = held ?? BigInt(start)
      if (BigInt(g.offset) > target) partitions.push({ partition: g.partition, offset: String(target) })
    }
  }
  if (partitions.length === 0) return
  try {
    await admin.setOffsets({ groupId: options.groupId, topic: s.topic, partitions })
    log.info(`moved the group's offsets of ${s.topic} back to the table's`, { partitions: partitions.length })
  } catch (err) {
    // Another member is running: its positions are the table's already (it aligned them).
    log.warn(`could not align the group's offsets of ${s.topic} (another sink is running?): ${errorMessage(err)}`)
  }
}

/**
 * The deferred topics are the ingestor's to create, but a sink started first must not wait for
 * them: missing ones are created like their hot topic (same partitions), and stay empty until
 * the load shedder writes to them.
 */
async function ensureDeferredTopics(admin: Admin, topics: IcebergSinkOptions['topics']): Promise<void> {
  const pairs = [
    [topics.trades, topics.deferredTrades],
    [topics.quotes, topics.deferredQuotes],
  ].filter((p): p is [string, string] => p[1] !== undefined)
  if (pairs.length === 0) return
  const existing = new Set(await admin.listTopics())
  const missing = pairs.filter(([, d]) => !existing.has(d))
  if (missing.length === 0) return
  const specs = await Promise.all(
    missing.map(async ([hot, deferred]) => {
      const meta = existing.has(hot) ? await admin.fetchTopicMetadata({ topics: [hot] }) : undefined
      return { topic: deferred, partitions: meta?.topics[0]?.partitions.length ?? 1 }
    }),
  )
  await ensureTopics(admin, specs)
}

/** Creates the table from its design unless it exists (a concurrent creator is fine). */
export async function ensureTable<R>(catalog: RestCatalogClient, namespace: string, name: string, design: TableDesign<R>): Promise<LoadedTable> {
  if (await catalog.tableExists([namespace], name)) return catalog.loadTable([namespace], name)
  try {
    return await catalog.createTable([namespace], {
      name,
      schema: design.schema,
      'partition-spec': design.spec,
      'write-order': design.sortOrder,
      properties: design.properties,
    })
  } catch (err) {
    if (isWorkbenchError(err, ErrorCode.Conflict)) return catalog.loadTable([namespace], name)
    throw err
  }
}
