import { DuckDBInstance } from '@duckdb/node-api'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ErrorCode,
  WorkbenchError,
  appendFiles,
  commitNeverLanded,
  compactTable,
  createManifestReader,
  createMetrics,
  createRecordSerde,
  createRestCatalogClient,
  createSchemaRegistryClient,
  createWarehouseFileIO,
  ensureTopics,
  expireSnapshots,
  planScan,
  removeOrphanFiles,
  replaceFiles,
  rewriteManifests,
  runIcebergSink,
  runMaintenance,
  silentLogger,
  type TableHandle,
} from '../../lib/internal'
import { dropTopics, eventually, stackConfig, uniqueName, scratchDir } from './helpers'
import { dropLake, liveDataFiles, makeTrades, produceTrades, queryTable } from './lake-helpers'

const config = stackConfig()
const kafka = new Kafka({ clientId: 'k2-test-maintenance', brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
const registry = createSchemaRegistryClient({ url: config.schemaRegistry.url })
const serde = createRecordSerde({ registry })
const catalog = createRestCatalogClient({ url: config.catalog.url })
const io = createWarehouseFileIO(config)
const namespace = uniqueName('maint', '_')
const topics = { trades: uniqueName('m-trades'), quotes: uniqueName('m-quotes'), deadLetter: uniqueName('m-dead') }
const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'DOGEUSDT', 'XRPUSDT']
const manifests = createManifestReader(io)
const table: TableHandle = { catalog, io, namespace: [namespace], name: 'trades', manifests }
const workDir = scratchDir('maint-work')

beforeAll(async () => {
  const admin = kafka.admin()
  await admin.connect()
  await ensureTopics(admin, [
    { topic: topics.trades, partitions: 3 },
    { topic: topics.quotes, partitions: 1 },
    { topic: topics.deadLetter, partitions: 1 },
  ])
  await admin.disconnect()
  await serde.registerSchemas(topics)
})

afterAll(async () => {
  await dropLake(catalog, namespace, ['trades'])
  await dropTopics(kafka, Object.values(topics), registry)
  io.close()
})

async function counts(): Promise<{ n: number; keys: number }> {
  const [r] = await queryTable<{ n: number; keys: number }>(catalog, io, namespace, 'trades', 'SELECT count(*)::INTEGER AS n, count(DISTINCT (symbol, trade_id))::INTEGER AS keys FROM t')
  return r ?? { n: 0, keys: 0 }
}

/** `n` appends of one file each, copies of a committed file (`k2.test` = `<label> <i>`): small files and one-entry manifests, as sink commits leave them. */
async function appendCopies(n: number, label: string): Promise<void> {
  const { metadata } = await catalog.loadTable([namespace], 'trades')
  const source = (await planScan({ metadata, io, manifests })).files[0]!
  const bytes = await io.read(source.path)
  for (let i = 0; i < n; i++) {
    const copy = `${metadata.location}/data/${label}-${i}-${uniqueName('f')}.parquet`
    await io.write(copy, bytes)
    await appendFiles(table, [{ ...source.dataFile, filePath: copy }], { 'k2.test': `${label} ${i}` })
  }
}

describe('lake maintenance beside the sink', () => {
  it('compacts small files while the sink commits, both retrying their conflicts, and loses or doubles nothing', async () => {
    const sinkAbort = new AbortController()
    const maintAbort = new AbortController()
    const metrics = createMetrics()
    const sinkMetrics = createMetrics()
    const sink = runIcebergSink(
      { namespace, topics, streams: ['trades'], groupId: uniqueName('m-sink'), maxRecords: 100_000, maxAgeMs: 200, rowGroupSize: 10_000, workDir },
      { kafka, catalog, io, serde, logger: silentLogger, metrics: sinkMetrics },
      sinkAbort.signal,
    )
    let produced = 0
    // 40 small batches, a commit each: many small files for compaction to merge as they arrive.
    const producing = (async () => {
      for (let b = 0; b < 40; b++) {
        await produceTrades(kafka, serde, topics.trades, makeTrades(symbols, 100, 1 + b * 100))
        produced += symbols.length * 100
        await new Promise((r) => setTimeout(r, 150))
      }
    })()
    await eventually(async () => ((await catalog.tableExists([namespace], 'trades')) ? true : undefined), 30_000, 'the sink to create its table')
    const maintenance = runMaintenance(
      { namespace, tables: ['trades'], intervalMs: 300, targetFileBytes: 64 * 2 ** 20, snapshotMaxAgeMs: 3_600_000, keepSnapshots: 1000, orphanMinAgeMs: 3_600_000, workDir, openHourMinFiles: 2 },
      { table: () => table, logger: silentLogger, metrics },
      maintAbort.signal,
    )
    await producing
    await eventually(async () => ((await counts()).n === produced ? true : undefined), 60_000, 'every trade committed')
    sinkAbort.abort()
    await sink
    // One more round after the last append, then stop.
    await new Promise((r) => setTimeout(r, 1500))
    maintAbort.abort()
    await maintenance

    expect(await counts()).toEqual({ n: produced, keys: produced })
    const text = await metrics.registry.metrics()
    const compacted = Number(/^k2_maintenance_files_compacted_total\{table="trades"\} (\d+)/m.exec(text)?.[1] ?? 0)
    expect(compacted).toBeGreaterThan(10)
    // Appends every 200 ms and compactions every 300 ms on one table: their commits collide, and both sides rebase.
    const conflicts = (text: string, name: string): number => Number(new RegExp(`^${name}\\{table="trades"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0)
    const sinkConflicts = conflicts(await sinkMetrics.registry.metrics(), 'k2_sink_commit_conflicts_total')
    const maintenanceConflicts = conflicts(text, 'k2_maintenance_commit_conflicts_total')
    console.log(`maintenance test: ${compacted} files compacted; commit conflicts rebased: sink ${sinkConflicts}, maintenance ${maintenanceConflicts}`)
    expect(sinkConflicts + maintenanceConflicts).toBeGreaterThan(0)
    // At most one data file per partition and hour remains (all test data is in one hour).
    const plan = await planScan({ metadata: (await catalog.loadTable([namespace], 'trades')).metadata, io, manifests })
    const perPartition = new Map<string, number>()
    for (const f of plan.files) perPartition.set(JSON.stringify(f.partition), (perPartition.get(JSON.stringify(f.partition)) ?? 0) + 1)
    expect(Math.max(...perPartition.values())).toBe(1)
  })

  it('rebases a compaction onto an append that landed after it planned (409 → reload → retry)', async () => {
    const before = await catalog.loadTable([namespace], 'trades')
    const plan = await planScan({ metadata: before.metadata, io, manifests })
    // An append lands first: the same file registered again would double rows, so append an empty snapshot instead.
    await appendFiles(table, [], { 'k2.test': 'interleaved' })
    const victim = plan.files[0]!
    // Replace one file by itself re-registered under its own path: a no-op on rows, a real commit on a stale base.
    const result = await replaceFiles(table, [victim.path], [{ ...victim.dataFile }], {}, { loaded: before }).catch((e: unknown) => e)
    // Removing and adding the same path is refused by nothing in the spec; what matters here is the conflict handling.
    expect(result).toMatchObject({ conflicts: 1 })
    expect(await counts()).toMatchObject({ n: plan.files.reduce((n, f) => n + Number(f.recordCount), 0) })
  })

  it('expires old snapshots and removes the files only they referenced, leaving the table readable', async () => {
    const rowsBefore = await counts()
    const expired = await expireSnapshots(table, { maxAgeMs: 0, keep: 1 })
    expect(expired).toBeGreaterThan(10)
    const { metadata } = await catalog.loadTable([namespace], 'trades')
    expect(metadata.snapshots).toHaveLength(1)
    const dataBefore = (await io.list(`${metadata.location}/data/`)).length
    const removed = await removeOrphanFiles(table, { minAgeMs: 0 })
    expect(removed.deleted).toBeGreaterThan(10)
    expect(removed.missing).toEqual([])
    const plan = await planScan({ metadata, io, manifests })
    expect((await io.list(`${metadata.location}/data/`)).length).toBe(plan.files.length)
    expect(dataBefore).toBeGreaterThan(plan.files.length)
    expect(await counts()).toEqual(rowsBefore)
  })

  it('gives up a replace whose files another commit already removed, rather than resurrect or double them', async () => {
    const { metadata } = await catalog.loadTable([namespace], 'trades')
    const plan = await planScan({ metadata, io, manifests })
    const gone = `${metadata.location}/data/never-committed.parquet`
    const err = await replaceFiles(table, [gone], [{ ...plan.files[0]!.dataFile, filePath: `${metadata.location}/data/also-never.parquet` }]).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'CONFLICT', retryable: false })
    expect(commitNeverLanded(err)).toBe(true) // refused before it was sent: its files may go
    expect((await catalog.loadTable([namespace], 'trades')).metadata.snapshots).toHaveLength(metadata.snapshots.length)
  })

  it('merges many small manifests into one per day, changing no file, row, sequence number or carried summary', async () => {
    // 20 appends of one file each (copies of a committed file): 20 one-entry manifests, as 20 sink commits leave them.
    await appendCopies(20, 'copy')
    const state = async (): Promise<{ manifests: number; files: Map<string, string>; summary: Record<string, string>; operation: string }> => {
      const loaded = await catalog.loadTable([namespace], 'trades')
      const snap = loaded.metadata.snapshots.find((s) => s['snapshot-id'] === loaded.metadata['current-snapshot-id'])!
      const list = await manifests.manifestList(snap)
      const files = new Map<string, string>()
      for (const m of list) for (const e of await manifests.entries(m)) if (e.status !== 2) files.set(e.dataFile.filePath, `${e.snapshotId}/${e.sequenceNumber}/${e.fileSequenceNumber}`)
      return { manifests: list.length, files, summary: snap.summary as Record<string, string>, operation: snap.summary.operation }
    }
    const before = await state()
    const rowsBefore = await counts()
    expect(before.manifests).toBeGreaterThan(20)

    const result = await rewriteManifests(table, { minManifests: 4, maxEntriesPerManifest: 10_000 })
    const after = await state()
    expect(result).toMatchObject({ manifestsBefore: before.manifests, manifestsAfter: 1 })
    expect(after.operation).toBe('replace')
    expect(after.manifests).toBe(1) // all test data is in one day
    expect(after.files).toEqual(before.files) // every live file, with the snapshot and sequence numbers it was added with
    expect(after.summary['k2.test']).toBe('copy 19')
    expect(after.summary['total-records']).toBe(before.summary['total-records'])
    expect(await counts()).toEqual(rowsBefore)
    // Nothing left to merge: no commit.
    expect(await rewriteManifests(table, { minManifests: 4, maxEntriesPerManifest: 10_000 })).toBeUndefined()
  })
  it('keeps the files of a compaction stopped while its commit was in flight: the table never names a missing file', async () => {
    // Small files to compact: copies of a committed file, one append each.
    await appendCopies(3, 'stop')
    const rowsBefore = await counts()
    // The worker is stopped (SIGTERM) after the catalog applied the replace but before its answer
    // arrived: the client sees no answer, as when the stop signal aborts the request.
    const stop = new AbortController()
    const stopped: TableHandle = {
      ...table,
      catalog: {
        ...catalog,
        async commitTable(ns, name, requirements, updates) {
          await catalog.commitTable(ns, name, requirements, updates)
          stop.abort()
          throw new WorkbenchError(ErrorCode.CommitStateUnknown, `commit to ${name}: outcome unknown (the worker was stopped while the answer was in flight)`, true)
        },
      },
    }
    const duck = await DuckDBInstance.create(':memory:')
    const connection = await duck.connect()
    try {
      const err = await compactTable(stopped, connection, { targetFileBytes: 64 * 2 ** 20, workDir, openHourMinFiles: 2, signal: stop.signal }).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'ABORTED' })
      expect(commitNeverLanded(err)).toBe(false)
    } finally {
      connection.closeSync()
      duck.closeSync()
    }
    const after = (await catalog.loadTable([namespace], 'trades')).metadata
    const current = after.snapshots.find((s) => s['snapshot-id'] === after['current-snapshot-id'])!
    expect(current.summary['k2.maintenance']).toBe('compaction') // the replace landed
    const stored = new Set(await io.list(`${after.location}/data/`))
    const missing = (await liveDataFiles(io, after)).filter((f) => !stored.has(f.path)).map((f) => f.path)
    expect(missing).toEqual([])
    expect(await counts()).toEqual(rowsBefore)
  })

  it('reports the data files the current snapshot names that the object store lost', async () => {
    const { metadata } = await catalog.loadTable([namespace], 'trades')
    const [lost] = await liveDataFiles(io, metadata)
    await io.delete(lost!.path)
    const sweep = await removeOrphanFiles(table, { minAgeMs: 3_600_000 })
    expect(sweep.missing).toEqual([lost!.path])
  })
})
