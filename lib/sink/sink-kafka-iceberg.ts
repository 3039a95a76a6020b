import * as fs from 'node:fs'
import * as path from 'node:path'
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import type { RecordSerde } from '../avro/serde-registry'
import { ErrorCode, WorkbenchError, backoffDelay, errorMessage, isTransientError, isWorkbenchError, sleep, type RetryPolicy } from '../errors/index'
import { processWorkDir } from '../config/work-dir'
import type { LoadedTable, RestCatalogClient } from '../iceberg/catalog-rest'
import type { FileIO } from '../iceberg/file-io'
import { createManifestReader } from '../iceberg/manifest-io'
import type { DataFile } from '../iceberg/spec-types'
import { appendFiles, commitNeverLanded, type CommitPolicy, type TableHandle } from '../iceberg/table-commit'
import { quotesTable, tradesTable, type TableDesign } from '../iceberg/table-design'
import { createParquetDataWriter, type ParquetDataWriter } from '../iceberg/writer-parquet-duckdb'
import type { SinkPhase } from '../config/index'
import type { Logger } from '../logger/index'
import type { Quote, Trade } from '../market/types'
import type { Metrics } from '../metrics/index'
import { createDegradationManager, processSignals, type DegradationManager, type DegradationTransition } from '../degrade/degradation-manager'
import type { DegradationPolicy, DegradationSignals } from '../degrade/degradation-policy'
import { backlogSeconds, createRateTracker, encodeProgress, progressSignals, type PartitionView } from '../degrade/sink-progress'
import { createBackfillGate } from './backfill-gate'
import { knownPartitions, partitionProgress, streamViews } from './stream-progress'
import { currentSnapshot } from '../iceberg/table-metadata'
import { ensureTopics, freshTopicOffsets } from '../ingest/topics-kafka'
import { mergeOffsets, offsetsSummary, tableOffsets } from './snapshot-offsets'

export interface IcebergSinkOptions {
  /** Iceberg namespace of the tables (one level). */
  readonly namespace: string
  /**
   * Kafka topics: records in, undecodable records out. With deferred topics (the load shedder's),
   * their records are backfilled into the same tables, only while the level is NORMAL.
   */
  readonly topics: { readonly trades: string; readonly quotes: string; readonly deadLetter: string; readonly deferredTrades?: string; readonly deferredQuotes?: string }
  /** Table names in the namespace (default `trades`, `quotes`); tests use their own. */
  readonly tables?: { readonly trades: string; readonly quotes: string }
  /** Which streams to sink (default both). */
  readonly streams?: ReadonlyArray<'trades' | 'quotes'>
  readonly groupId: string
  readonly maxRecords: number
  readonly maxAgeMs: number
  readonly rowGroupSize: number
  /**
   * Local folder for Parquet files between writing and upload. Each process works in its own
   * `<workDir>/<pid>`; folders of processes no longer running are removed at start.
   */
  readonly workDir: string
  readonly commitPolicy?: CommitPolicy
  /**
   * A batch uploaded longer ago than this is abandoned and re-read rather than committed: its
   * files may have been removed as orphans meanwhile (default 20 min; see K2_SINK_MAX_UNCOMMITTED_MS).
   */
  readonly maxUncommittedMs?: number
  /**
   * After the stop signal, how long commits in flight and the final flush of what is staged
   * may take in all (default 30 s). The catalog and registry clients must outlive it: give them
   * a signal that fires after this grace, not the stop signal itself.
   */
  readonly stopGraceMs?: number
  /** Kafka session timeout (default 10 s): how soon partitions of a dead instance move on. */
  readonly sessionTimeoutMs?: number
  /** Called as each flush passes a phase (metrics, tracing, chaos tests). */
  readonly onPhase?: (phase: SinkPhase, table: string) => void
  /**
   * The sink's degradation policy (signals: its lag, commit latency, heap, event loop). Above
   * NORMAL, commits wait up to `batchScale` times longer (fewer, larger files) and the deferred
   * topics are not read; at NORMAL they are backfilled. Absent: always NORMAL.
   */
  readonly degradation?: DegradationPolicy
  /** Called on every level change (the worker's log and the overload demo's timeline). */
  readonly onLevel?: (t: DegradationTransition) => void
}

export interface IcebergSinkDeps {
  readonly kafka: Kafka
  readonly catalog: RestCatalogClient
  readonly io: FileIO
  readonly serde: RecordSerde
  readonly logger: Logger
  readonly metrics: Metrics
}

/** What a run did, per table (`<table>+deferred`: records backfilled from the deferred topic). */
export interface SinkReport {
  readonly tables: Record<string, { records: number; files: number; commits: number; deadLetters: number; abandoned: number }>
  /** Level changes of the sink's degradation manager. */
  readonly degradation: readonly DegradationTransition[]
}

/** Why a Kafka record went to the dead-letter topic instead of the table (a bounded label set). */
export type SinkRejectReason = 'empty_value' | 'unknown_schema' | 'undecodable' | 'incompatible_schema'

const outagePolicy: RetryPolicy = { attempts: 0, initialDelayMs: 200, maxDelayMs: 5_000, factor: 2, jitter: 0.3 }

interface Stream<R> {
  readonly kind: 'trades' | 'quotes'
  readonly topic: string
  /** Reads the load shedder's deferred topic (backfill), not the hot one. */
  readonly deferred: boolean
  /** Records staged per symbol tier (deferred streams; the `k2-tier` header), and those of the commit in flight. */
  stagedTiers: Map<string, number>
  readonly design: TableDesign<R>
  readonly table: TableHandle
  readonly decode: (value: Buffer) => Promise<R>
  /** Where records are staged now. */
  writer: ParquetDataWriter
  /** The other writer: the one the commit in flight writes from, then free. */
  spare: ParquetDataWriter
  /** The commit in flight (at most one per table, in offset order). */
  inFlight: Promise<void> | undefined
  /** Kafka timestamp of the oldest record of the commit in flight (lag). */
  inFlightOldestMs: number | undefined
  /** The widest batchScale in force while the commit in flight was staged (1 when none). */
  inFlightScale: number
  loaded: LoadedTable
  /** Offsets the table holds (next record to write, per partition). */
  committed: Map<number, bigint>
  /** Offsets after the records staged in the current batch. */
  next: Map<number, bigint>
  /** First offset staged per partition in this batch (to rewind to when the table holds none). */
  firstStaged: Map<number, bigint>
  /** Kafka timestamp (ms) of the oldest staged record: the lake lag. */
  oldestStagedMs: number | undefined
  /** The same per partition, for the open batch and the one in flight, and the last record read (stream-progress.ts). */
  stagedOldest: Map<number, number>
  inFlightOldest: Map<number, number>
  lastReadMs: Map<number, number>
  /** When this batch staged its first record (ms): the age trigger, so a backlog is drained in full-size commits. */
  batchStartedMs: number | undefined
  /**
   * The widest batchScale in force while this batch was open: a batch widened at SOFT and cut at
   * NORMAL waited on purpose, and its age is not lag.
   */
  batchScale: number
  /** Latest high-water mark seen per partition. */
  highWatermarks: Map<number, bigint>
  rows: unknown[][]
  readonly report: { records: number; files: number; commits: number; deadLetters: number; abandoned: number }
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
  const log = deps.logger.child('sink')
  const m = deps.metrics
  const wanted = options.streams ?? ['trades', 'quotes']
  const names = options.tables ?? { trades: tradesTable.name, quotes: quotesTable.name }
  const manifests = createManifestReader(deps.io)
  const workDir = processWorkDir(options.workDir)

  // One DuckDB thread: a commit's sort and write then leave the other core to Kafka and the ingest
  // worker beside it; end to end this measured better than two threads (docs/bench/sink.md).
  const duck = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '2GB', preserve_insertion_order: 'false' })
  const connections: DuckDBConnection[] = []
  const producer = deps.kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  const admin = deps.kafka.admin()
  let consumer: Consumer | undefined
  let manager: DegradationManager | undefined
  let process$: ReturnType<typeof processSignals> | undefined
  let progressTimer: NodeJS.Timeout | undefined
  /** Lag and backlog count from here at most (stream-progress.ts): downtime is not overload. */
  const sinkStartedMs = Date.now()
  /** The slowest commit since the degradation manager last sampled (ms), one contention sample. */
  let commitLatencySample: number | undefined
  const streams: Array<Stream<Trade> | Stream<Quote>> = []
  const deadLetterLogged = new Set<string>()

  // Commits in flight when the sink is asked to stop, and then the final flush, get
  // `stopGraceMs` in all (a stop is not a reason to throw away a batch that is being committed);
  // after that they are abandoned and re-read on restart.
  const commitAbort = new AbortController()
  const onStop = (): void => void setTimeout(() => commitAbort.abort(), options.stopGraceMs ?? 30_000).unref()
  if (signal.aborted) onStop()
  else signal.addEventListener('abort', onStop, { once: true })
  const commitSignal = commitAbort.signal

  /**
   * Operations retrying after a failure (an outage of the catalog, the object store or the
   * schema registry). While any is, the sink publishes no progress: it reads as stopped, and
   * shedding does not help a stopped sink (D37). A commit that is slow but working is not one.
   */
  let failing = 0
  const outage = (): { begin(): void; end(): void } => {
    let on = false
    return {
      begin() {
        if (!on) failing++
        on = true
      },
      end() {
        if (on) failing--
        on = false
      },
    }
  }
  const untilDone = async <T>(what: string, fn: () => Promise<T>, until: AbortSignal = signal): Promise<T> => {
    const failed = outage()
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await fn()
        } catch (err) {
          if (until.aborted || !isTransientError(err)) throw err
          failed.begin()
          if (attempt === 1 || attempt % 10 === 0) log.warn(`${what} failed, retrying until it succeeds: ${errorMessage(err)}`, { attempt })
          await sleep(backoffDelay(outagePolicy, Math.min(attempt, 10)), until)
        }
      }
    } finally {
      failed.end()
    }
  }

  try {
    await untilDone('connecting to Kafka', async () => {
      await producer.connect()
      await admin.connect()
    })
    await untilDone('creating the namespace', () => deps.catalog.ensureNamespace([options.namespace]))
    await untilDone('creating the deferred topics', () => ensureDeferredTopics(admin, options.topics))

    const open = async <R>(kind: 'trades' | 'quotes', design: TableDesign<R>, topic: string, decode: (v: Buffer) => Promise<R>, deferred = false): Promise<Stream<R>> => {
      const name = names[kind]
      const loaded = await untilDone(`loading table ${options.namespace}.${name}`, () => ensureTable(deps.catalog, options.namespace, name, design))
      const schema = loaded.metadata.schemas.find((s) => s['schema-id'] === loaded.metadata['current-schema-id'])!
      const spec = loaded.metadata['partition-specs'].find((s) => s['spec-id'] === loaded.metadata['default-spec-id'])!
      const sortOrder = loaded.metadata['sort-orders'].find((s) => s['order-id'] === loaded.metadata['default-sort-order-id']) ?? design.sortOrder
      // Two writers, each on its own connection: one stages while the other's batch is written
      // and committed, so consuming does not stop for a commit.
      const writerOn = async (): Promise<ParquetDataWriter> => {
        const connection = await duck.connect()
        connections.push(connection)
        return createParquetDataWriter({ connection, schema, spec, sortOrder, workDir: path.join(workDir, name), rowGroupSize: options.rowGroupSize })
      }
      const writer = await writerOn()
      const spare = await writerOn()
      const committed = new Map(tableOffsets(loaded.metadata, topic))
      log.info(`table ${options.namespace}.${name} holds ${topic} up to ${describeOffsets(committed)}`, { table: name })
      return {
        kind,
        topic,
        deferred,
        stagedTiers: new Map(),
        design,
        table: { catalog: deps.catalog, io: deps.io, namespace: [options.namespace], name, manifests },
        decode,
        writer,
        spare,
        inFlight: undefined,
        inFlightOldestMs: undefined,
        inFlightScale: 1,
        loaded,
        committed,
        next: new Map(),
        firstStaged: new Map(),
        oldestStagedMs: undefined,
        stagedOldest: new Map(),
        inFlightOldest: new Map(),
        lastReadMs: new Map(),
        batchStartedMs: undefined,
        batchScale: 1,
        highWatermarks: new Map(),
        rows: [],
        report: { records: 0, files: 0, commits: 0, deadLetters: 0, abandoned: 0 },
      }
    }
    if (wanted.includes('trades')) streams.push(await open('trades', tradesTable, options.topics.trades, (v) => deps.serde.deserializeTrade(v)))
    if (wanted.includes('quotes')) streams.push(await open('quotes', quotesTable, options.topics.quotes, (v) => deps.serde.deserializeQuote(v)))
    const { deferredTrades, deferredQuotes } = options.topics
    if (wanted.includes('trades') && deferredTrades) streams.push(await open('trades', tradesTable, deferredTrades, (v) => deps.serde.deserializeTrade(v), true))
    if (wanted.includes('quotes') && deferredQuotes) streams.push(await open('quotes', quotesTable, deferredQuotes, (v) => deps.serde.deserializeQuote(v), true))
    const reportKey = (st: { table: TableHandle; deferred: boolean }): string => (st.deferred ? `${st.table.name}+deferred` : st.table.name)
    const byTopic = new Map<string, Stream<Trade> | Stream<Quote>>(streams.map((s) => [s.topic, s]))

    // The sink never positions itself from the group's offsets (they carry its published
    // progress), but the consumer starts from them: make sure they are not ahead of the table (a
    // table dropped and re-created, say).
    for (const s of streams) await alignGroupOffsets(s)

    // One thing at a time: batches, timed flushes and repositioning never interleave.
    let chain: Promise<unknown> = Promise.resolve()
    const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
      const run = chain.then(fn, fn)
      chain = run.catch(() => undefined)
      return run
    }
    let repositionNeeded = false
    let failure: unknown

    const c = deps.kafka.consumer({ groupId: options.groupId, readUncommitted: false, maxBytesPerPartition: 4 * 2 ** 20, sessionTimeout: options.sessionTimeoutMs ?? 10_000, heartbeatInterval: Math.max(500, Math.floor((options.sessionTimeoutMs ?? 10_000) / 10)) })
    consumer = c
    c.on(c.events.GROUP_JOIN, () => {
      repositionNeeded = true
    })
    c.on(c.events.CRASH, (e) => {
      if (!e.payload.restart) failure = e.payload.error
    })
    await untilDone('joining the consumer group', async () => {
      await c.connect()
      await c.subscribe({ topics: streams.map((s) => s.topic), fromBeginning: true })
    })

    // Every second on a timer of its own, and after each lake commit: the group's offsets are the
    // lake's (what lag tools expect), each with the sink's progress in its metadata, which the
    // ingest's load shedder reads and decides on (lib/degrade/sink-progress.ts): so the offsets
    // are more than monitoring, though the sink never positions itself from them (positions
    // always come from the table). Partitions the table holds nothing of yet are left out. A
    // failed publish is retried the next second. Its own timer, because the age loop waits while
    // a commit is in flight: a slow commit used to silence the progress, and the ingest read the
    // sink as stopped, not behind, and never shed. Not while an operation retries through an
    // outage (`failing`).
    let publishing = false
    const publishProgress = async (): Promise<void> => {
      if (publishing || failing > 0) return
      publishing = true
      try {
        const now = Date.now()
        const scaleNow = manager?.actions().batchScale ?? 1
        const offsets: Array<{ topic: string; partition: number; offset: string; metadata: string }> = []
        for (const s of streams) {
          for (const p of knownPartitions(s)) {
            const held = s.committed.get(p)
            if (held === undefined) continue
            offsets.push({ topic: s.topic, partition: p, offset: String(held), metadata: encodeProgress(partitionProgress(s, p, now, options.maxAgeMs, scaleNow, sinkStartedMs)) })
          }
        }
        if (offsets.length > 0) await c.commitOffsets(offsets)
      } catch (err) {
        log.debug(`publishing the sink's progress failed; the next second retries: ${errorMessage(err)}`)
      } finally {
        publishing = false
      }
    }

    const reposition = async (): Promise<void> => {
      for (const s of streams) await s.inFlight
      repositionNeeded = false
      for (const s of streams) {
        await s.writer.clear()
        await s.spare.clear()
        s.rows = []
        s.stagedTiers = new Map()
        s.loaded = await untilDone(`reloading ${s.table.name}`, () => deps.catalog.loadTable(s.table.namespace, s.table.name))
        const held = tableOffsets(s.loaded.metadata, s.topic)
        for (const [p, first] of s.firstStaged) if (!held.has(p)) c.seek({ topic: s.topic, partition: p, offset: String(first) })
        for (const [p, o] of held) c.seek({ topic: s.topic, partition: p, offset: String(o) })
        s.committed = new Map(held)
        s.next = new Map()
        s.firstStaged = new Map()
        s.oldestStagedMs = undefined
        s.stagedOldest = new Map()
        s.lastReadMs = new Map()
        // Partitions come back with their next batch: a partition another instance now owns is not reported on.
        s.highWatermarks = new Map()
        s.batchStartedMs = undefined
      }
      log.info('positioned from the tables after a rebalance', Object.fromEntries(streams.map((s) => [s.table.name, describeOffsets(s.committed)])))
    }

    const stageRows = (s: Stream<Trade> | Stream<Quote>): void => {
      if (s.rows.length === 0) return
      s.writer.append(s.rows)
      s.rows = []
    }

    /**
     * Hands what is staged to a commit and returns once it has started: the previous commit of
     * the table must have finished first (commits stay in offset order, one in flight), and
     * staging goes on into the other writer while this one is written, uploaded and committed.
     */
    const startFlush = async (s: Stream<Trade> | Stream<Quote>, why: string, until: AbortSignal = commitSignal): Promise<void> => {
      stageRows(s)
      if (s.inFlight) await s.inFlight
      if (repositionNeeded || failure) return
      const advanced = [...s.next].some(([p, o]) => s.committed.get(p) !== o)
      if (!advanced) return
      const writer = s.writer
      s.writer = s.spare
      s.spare = writer
      const startOffsets = new Map(s.committed)
      const batchOffsets = new Map(s.next)
      s.inFlightOldestMs = s.oldestStagedMs
      s.inFlightOldest = s.stagedOldest
      s.stagedOldest = new Map()
      s.inFlightScale = s.batchScale
      s.oldestStagedMs = undefined
      s.batchStartedMs = undefined
      s.batchScale = 1
      const tiers = s.stagedTiers
      s.stagedTiers = new Map()
      s.inFlight = commitBatch(s, writer, startOffsets, batchOffsets, why, until, tiers)
        .catch((err: unknown) => {
          failure ??= err
        })
        .finally(() => {
          s.inFlight = undefined
          s.inFlightOldestMs = undefined
          s.inFlightOldest = new Map()
          s.inFlightScale = 1
        })
    }

    /** Starts a flush and waits for its commit (age trigger with nothing else to do, and stop). */
    const flush = async (s: Stream<Trade> | Stream<Quote>, why: string, until: AbortSignal = commitSignal): Promise<void> => {
      await startFlush(s, why, until)
      await s.inFlight
    }

    const commitBatch = async (s: Stream<Trade> | Stream<Quote>, writer: ParquetDataWriter, startOffsets: Map<number, bigint>, batchOffsets: Map<number, bigint>, why: string, until: AbortSignal, tiers: ReadonlyMap<string, number>): Promise<void> => {
      const started = Date.now()
      options.onPhase?.('flush-started', s.table.name)
      const written = await writer.writeFiles()
      const writtenAt = Date.now()
      options.onPhase?.('files-written', s.table.name)
      const location = s.loaded.metadata.location.replace(/\/+$/, '')
      let files: DataFile[] = []
      try {
        // In parallel: one round trip per commit, not one per file.
        files = await Promise.all(
          written.map(async (w): Promise<DataFile> => {
            const filePath = `${location}/data/${w.relativePath}`
            const body = await fs.promises.readFile(w.localPath)
            await untilDone(`uploading ${filePath}`, () => deps.io.write(filePath, body), until)
            return { ...w.dataFile, filePath }
          }),
        )
      } finally {
        for (const w of written) await fs.promises.rm(w.localPath, { force: true })
      }
      const uploadedAt = Date.now()
      options.onPhase?.('files-uploaded', s.table.name)
      const records = files.reduce((n, f) => n + Number(f.recordCount), 0)
      const table = s.table.name
      const failed = outage()
      try {
        const result = await appendFiles(s.table, files, (base) => offsetsSummary(s.topic, mergeOffsets(tableOffsets(base, s.topic), batchOffsets), { primary: !s.deferred, carry: currentSnapshot(base)?.summary }), {
          policy: options.commitPolicy,
          logger: deps.logger,
          signal: until,
          loaded: s.loaded,
          beforeCommit: () => options.onPhase?.('commit-sent', table),
          onRetry: () => failed.begin(),
          // After an unknown outcome, a table whose offsets end exactly where this batch ends holds
          // it, even when its snapshot was expired before the reload could find it.
          landed: (base) => {
            const held = tableOffsets(base, s.topic)
            return [...batchOffsets].every(([p, end]) => held.get(p) === end)
          },
          validate: (base) => {
            const waited = Date.now() - uploadedAt
            if (waited > (options.maxUncommittedMs ?? 20 * 60_000)) {
              throw new WorkbenchError(ErrorCode.Conflict, `${table}: the batch's files were uploaded ${Math.round(waited / 1000)} s ago, longer than maintenance is guaranteed to keep uncommitted files`, false)
            }
            // The batch starts where the table was when it began; if another instance has moved
            // any of its partitions since, the batch is stale and must not be committed.
            const held = tableOffsets(base, s.topic)
            for (const p of batchOffsets.keys()) {
              if (held.get(p) !== startOffsets.get(p)) {
                throw new WorkbenchError(ErrorCode.Conflict, `${table}: partition ${p} of ${s.topic} is now at ${held.get(p) ?? 'nothing'} in the table, not ${startOffsets.get(p) ?? 'nothing'} where this batch started: another sink committed it`, false)
              }
            }
          },
        })
        failed.end()
        options.onPhase?.('committed', table)
        s.loaded = { 'metadata-location': result.metadataLocation, metadata: result.metadata }
        s.committed = mergeOffsets(s.committed, batchOffsets)
        s.report.records += records
        s.report.files += files.length
        s.report.commits++
        m.get('sinkRecords').labels(table).inc(records)
        m.get('sinkBytes').labels(table).inc(files.reduce((n, f) => n + Number(f.fileSizeInBytes), 0))
        m.get('sinkFilesPerCommit').labels(table).observe(files.length)
        m.get('sinkCommitLatency').labels(table).observe((Date.now() - started) / 1000)
        commitLatencySample = Math.max(commitLatencySample ?? 0, Date.now() - started)
        const phase = m.get('sinkCommitPhase')
        phase.labels(table, 'write').observe((writtenAt - started) / 1000)
        phase.labels(table, 'upload').observe((uploadedAt - writtenAt) / 1000)
        phase.labels(table, 'manifests').observe((result.timings.loadMs + result.timings.manifestsMs) / 1000)
        phase.labels(table, 'manifest_list').observe(result.timings.manifestListMs / 1000)
        phase.labels(table, 'catalog').observe(result.timings.catalogMs / 1000)
        for (const [tier, n] of tiers) m.get('degradeBackfilled').labels(table, tier).inc(n)
        if (result.conflicts) m.get('sinkCommitConflicts').labels(table).inc(result.conflicts)
        if (result.retries) m.get('sinkCommitRetries').labels(table).inc(result.retries)
        log.debug(`committed ${records} records in ${files.length} files to ${table} (${why})`, { snapshotId: String(result.snapshotId), ms: Date.now() - started, conflicts: result.conflicts, recovered: result.recovered })
        updateLag(s)
        void publishProgress()
      } catch (err) {
        failed.end()
        if (isWorkbenchError(err, ErrorCode.Conflict) && !err.retryable) {
          s.report.abandoned++
          m.get('sinkAbandonedBatches').labels(table).inc()
          log.warn(`abandoned a batch of ${records} records: ${errorMessage(err)}; repositioning from the table`)
          // After an attempt with an unknown outcome the catalog may still apply the batch: its
          // files stay for the orphan sweep, which keeps whatever a snapshot references.
          if (commitNeverLanded(err)) for (const f of files) await deps.io.delete(f.filePath).catch(() => undefined)
          repositionNeeded = true
          return
        }
        throw err
      }
    }

    const updateLag = (s: Stream<Trade> | Stream<Quote>): void => {
      // The lag gauges describe the hot path; a deferred backlog waits on purpose.
      if (s.deferred) return
      let behind = 0n
      for (const [p, hw] of s.highWatermarks) {
        const at = s.committed.get(p) ?? 0n
        if (hw > at) behind += hw - at
      }
      m.get('sinkLagRecords').labels(s.table.name).set(Number(behind))
      const oldest = s.inFlightOldestMs ?? s.oldestStagedMs
      m.get('sinkLagSeconds').labels(s.table.name).set(oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000))
    }

    const deadLetter = async (s: Stream<Trade> | Stream<Quote>, message: EachBatchPayload['batch']['messages'][number], partition: number, reason: SinkRejectReason, detail: string): Promise<void> => {
      m.get('sinkDeadLetters').labels(reason).inc()
      s.report.deadLetters++
      if (!deadLetterLogged.has(reason)) {
        deadLetterLogged.add(reason)
        log.warn('record sent to the dead-letter topic (logged once per reason; counted in k2_sink_dead_letters_total)', { reason, detail, topic: s.topic, partition, offset: message.offset })
      }
      await untilDone('producing to the dead-letter topic', () =>
        producer.send({
          topic: options.topics.deadLetter,
          acks: -1,
          messages: [
            {
              // The source record's coordinates: a crash before the batch commits re-reads and
              // dead-letters it again, under the same key, so readers (and compaction) keep one.
              key: deadLetterKey(s.topic, partition, message.offset),
              value: message.value,
              headers: {
                reason,
                detail: detail.slice(0, 500),
                source: 'iceberg-sink',
                source_topic: s.topic,
                source_partition: String(partition),
                source_offset: message.offset,
                ...(message.key ? { source_key: message.key } : {}),
              },
            },
          ],
        }),
      )
    }

    const handleBatch = async ({ batch, heartbeat, isStale }: EachBatchPayload): Promise<void> => {
      if (repositionNeeded) await reposition()
      if (isStale()) return
      const s = byTopic.get(batch.topic)
      if (!s) return
      const p = batch.partition
      s.highWatermarks.set(p, BigInt(batch.highWatermark))
      const expected = s.next.get(p) ?? s.committed.get(p)
      let beat = Date.now()
      for (const message of batch.messages) {
        const offset = BigInt(message.offset)
        if (expected !== undefined && offset < expected) continue
        if (!s.firstStaged.has(p)) s.firstStaged.set(p, offset)
        const producedMs = Number(message.timestamp)
        if (!s.stagedOldest.has(p)) s.stagedOldest.set(p, producedMs)
        s.lastReadMs.set(p, producedMs)
        if (message.value === null || message.value.length === 0) {
          await deadLetter(s, message, p, 'empty_value', 'record has no value')
        } else {
          try {
            const record = await decodeWithRetry(s, message.value)
            s.rows.push((s.design as TableDesign<unknown>).row(record))
            if (s.deferred) {
              const tier = message.headers?.['k2-tier']?.toString() ?? 'unknown'
              s.stagedTiers.set(tier, (s.stagedTiers.get(tier) ?? 0) + 1)
            }
            s.oldestStagedMs ??= Number(message.timestamp)
            if (s.batchStartedMs === undefined) {
              s.batchStartedMs = Date.now()
              s.batchScale = manager?.actions().batchScale ?? 1
            }
          } catch (err) {
            if (!isWorkbenchError(err) || err.retryable) throw err
            const reason: SinkRejectReason = err.code === ErrorCode.NotFound ? 'unknown_schema' : err.code === ErrorCode.SchemaIncompatible ? 'incompatible_schema' : 'undecodable'
            await deadLetter(s, message, p, reason, errorMessage(err))
          }
        }
        s.next.set(p, offset + 1n)
        if (s.rows.length >= 8192) {
          stageRows(s)
          // Decoding only yields to microtasks: let I/O callbacks (the commit in flight) run.
          await new Promise((r) => setImmediate(r))
        }
        if (Date.now() - beat > 2000) {
          await heartbeat()
          beat = Date.now()
        }
      }
      stageRows(s)
      updateLag(s)
      if (s.writer.stagedRows >= options.maxRecords) await withHeartbeat(startFlush(s, 'size'), heartbeat)
    }

    const decodeWithRetry = (s: Stream<Trade> | Stream<Quote>, value: Buffer): Promise<Trade | Quote> => untilDone(`decoding a ${s.kind} record`, (): Promise<Trade | Quote> => s.decode(value))

    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: (payload) => withHeartbeat(exclusive(() => handleBatch(payload)), payload.heartbeat),
    })
    progressTimer = setInterval(() => void publishProgress(), 1000)
    progressTimer.unref()

    // Degradation: the sink's own signals; deferred topics are read only at NORMAL.
    const deferredTopics = streams.filter((x) => x.deferred).map((x) => ({ topic: x.topic }))
    let backfilling: boolean | undefined
    const gateBackfill = (backfill: boolean): void => {
      if (deferredTopics.length === 0 || backfill === backfilling) return
      backfilling = backfill
      if (backfill) c.resume(deferredTopics)
      else c.pause(deferredTopics)
    }
    // The live topics come before the backfill: it yields while their unread records stand above
    // half of SOFT's backlog threshold (backfill-gate.ts).
    const softBacklog = options.degradation?.thresholds.backlogSeconds?.enter[0]
    const backfillGate = createBackfillGate(softBacklog === undefined ? Number.POSITIVE_INFINITY : softBacklog / 2, softBacklog === undefined ? Number.POSITIVE_INFINITY : softBacklog / 4)
    let liveBacklogSeconds: number | undefined
    if (options.degradation) {
      const proc = processSignals()
      process$ = proc
      // Lag and backlog as the ingest reads them from the published progress (D37): the lake lag in
      // cadences of the batch each record waits for (a batch widened on purpose is not late), and
      // the records not read yet in seconds of input. A restarted sink's backlog is downtime being
      // drained, not growing: it widens batches (SOFT) and sheds nothing.
      const inputRate = createRateTracker(10_000)
      // The input is what arrives after a partition is first seen: its end at first sight is history.
      const firstEnd = new Map<string, bigint>()
      manager = createDegradationManager({
        worker: 'iceberg-sink',
        policy: options.degradation,
        logger: log,
        metrics: m,
        sample: (): DegradationSignals => {
          const scaleNow = manager?.actions().batchScale ?? 1
          const now = Date.now()
          const views: PartitionView[] = []
          let ends = 0
          for (const x of streams) {
            if (x.deferred) continue
            if (x.batchStartedMs !== undefined) x.batchScale = Math.max(x.batchScale, scaleNow)
            const partitions = knownPartitions(x)
            streamViews(x, now, options.maxAgeMs, scaleNow, sinkStartedMs).forEach((v, i) => {
              views.push(v)
              const key = `${x.topic}:${partitions[i]}`
              if (!firstEnd.has(key)) firstEnd.set(key, v.end)
              ends += Number(v.end - firstEnd.get(key)!)
            })
          }
          inputRate.push(now, ends)
          const p = progressSignals(views, now, Number.POSITIVE_INFINITY)
          const seconds = backlogSeconds(p.backlogRecords, inputRate.perSecond())
          liveBacklogSeconds = seconds
          if (manager) gateBackfill(backfillGate.update(manager.actions().backfill, seconds))
          const commitLatencyMs = commitLatencySample
          commitLatencySample = undefined
          return { ...proc.sample(), ...p, ...(seconds === undefined ? {} : { backlogSeconds: seconds }), ...(commitLatencyMs === undefined ? {} : { commitLatencyMs }) }
        },
      })
      manager.onChange((t) => {
        gateBackfill(backfillGate.update(manager!.actions().backfill, liveBacklogSeconds))
        options.onLevel?.(t)
      })
    }
    gateBackfill(manager ? manager.actions().backfill : true)
    const maxAgeMs = (): number => options.maxAgeMs * (manager?.actions().batchScale ?? 1)

    // Age-based flushes: the lake lag bound.
    while (!signal.aborted) {
      if (failure) throw failure
      await sleep(Math.min(1000, options.maxAgeMs / 4), signal).catch(() => undefined)
      if (signal.aborted) break
      for (const s of streams) {
        const age = s.batchStartedMs === undefined ? 0 : Date.now() - s.batchStartedMs
        if (age >= maxAgeMs() || (s.batchStartedMs === undefined && [...s.next].some(([p, o]) => s.committed.get(p) !== o))) {
          await exclusive(() => startFlush(s, 'age'))
        } else updateLag(s)
      }
    }
    clearInterval(progressTimer)
    // A stopping sink has no level: the final flush ages staged records past SOFT's lag threshold,
    // and recording that as a transition ended an overload demo at SOFT after the lake had caught up.
    manager?.close()
    // A clean stop commits what is staged (within the stop's grace), so a restart has little to re-read.
    await c.stop().catch(() => undefined)
    const finalFlush = commitSignal
    await exclusive(async () => {
      for (const s of streams) await s.inFlight
      // A commit abandoned because the stop's grace ran out is re-read on restart, not a failure.
      if (failure && !isWorkbenchError(failure, ErrorCode.Aborted)) throw failure
      if (failure) log.warn(`stopping: a commit in flight was abandoned; a restart re-reads its records: ${errorMessage(failure)}`)
      for (const s of streams) {
        if (!repositionNeeded) await flush(s, 'stop', finalFlush).catch((err: unknown) => log.warn(`final flush of ${s.table.name} failed; a restart re-reads it: ${errorMessage(err)}`))
      }
    })
    return { tables: Object.fromEntries(streams.map((s) => [reportKey(s), { ...s.report }])), degradation: [...(manager?.transitions ?? [])] }
  } finally {
    signal.removeEventListener('abort', onStop)
    commitAbort.abort()
    clearInterval(progressTimer)
    manager?.close()
    process$?.close()
    await consumer?.disconnect().catch(() => undefined)
    await producer.disconnect().catch(() => undefined)
    await admin.disconnect().catch(() => undefined)
    for (const s of streams) await s.inFlight?.catch(() => undefined)
    for (const s of streams) {
      await s.writer.close().catch(() => undefined)
      await s.spare.close().catch(() => undefined)
    }
    for (const c of connections) c.closeSync()
    duck.closeSync()
  }

  async function alignGroupOffsets(s: Stream<Trade> | Stream<Quote>): Promise<void> {
    const group = await untilDone('reading the group offsets', () => admin.fetchOffsets({ groupId: options.groupId, topics: [s.topic] }))
    const low = await untilDone('reading the topic offsets', () => freshTopicOffsets(deps.kafka, s.topic))
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

/** Keeps the consumer's session alive while `work` runs (a commit can wait out a catalog outage). */
async function withHeartbeat<T>(work: Promise<T>, heartbeat: () => Promise<void>): Promise<T> {
  const timer = setInterval(() => {
    heartbeat().catch(() => undefined)
  }, 3000)
  try {
    return await work
  } finally {
    clearInterval(timer)
  }
}

/**
 * The key of the sink's dead letter for a source record (`topic/partition/offset`): the same
 * for every time the record is dead-lettered, so a re-read after a crash can be told apart.
 */
export function deadLetterKey(topic: string, partition: number, offset: string): string {
  return `${topic}/${partition}/${offset}`
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

function describeOffsets(offsets: ReadonlyMap<number, bigint>): string {
  if (offsets.size === 0) return 'nothing (starting from the beginning of the topic)'
  return [...offsets].map(([p, o]) => `${p}:${o}`).join(', ')
}

