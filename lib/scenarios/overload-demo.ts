import * as os from 'node:os'
import * as path from 'node:path'
import type { Admin, Kafka } from 'kafkajs'
import type { RecordSerde, SchemaRegistryClient } from '../avro/index'
import { ErrorCode, WorkbenchError, errorMessage } from '../errors/index'
import { spawn } from 'node:child_process'
import * as readline from 'node:readline'
import type { RestCatalogClient } from '../iceberg/catalog-rest'
import type { FileIO } from '../iceberg/file-io'
import { currentSnapshot } from '../iceberg/table-metadata'
import { defaultRowGroupRows } from '../iceberg/table-design'
import { createThreadedKafkaSender } from '../ingest/producer-kafka'
import { runIngestor, type IngestorOptions, type IngestReport } from '../ingest/ingestor'
import { ensureTopics } from '../kafka/topics-admin'
import { marketTopicSpecs } from '../market/topics'
import type { Logger } from '../logger/index'
import { createMetrics, type Metrics } from '../metrics/index'
import { createQueryEngine } from '../query/query-engine'
import { runIcebergSink, type IcebergSinkOptions, type SinkReport } from '../sink/sink-kafka-iceberg'
import { tableOffsets } from '../sink/snapshot-offsets'
import { levelRank, type DegradationLevel, type DegradationPolicy, type DegradationTransition } from '../degrade/index'

/**
 * The overload demo, a scenario (not policy: it drives the workers' libraries, so it sits above
 * them): the replay exchange (a process of its own, as a real exchange is), and the
 * ingest worker and the sink (sharing this process's event loop, as two workers on one core
 * would), driven through a normal phase, an overload (the exchange's schedule at ≥4× what this
 * machine sustains end to end), and a recovery, with degradation on (D41). Prints nothing itself: `onSample` gets one sample a second
 * (the live view) and the result carries the whole timeline (the notebook's charts) and the
 * invariants checked at the end: every trade id exactly once per symbol in the lake, deferred
 * ones included; tier 1 never deferred; levels up and back down in order.
 */
export interface OverloadDemoOptions {
  /** quick: ~2 minutes (CI); full: ~5. */
  readonly mode: 'quick' | 'full'
  /** Iceberg namespace and Kafka topic prefix of this run (its own tables and topics). */
  readonly namespace: string
  readonly topicPrefix: string
  readonly partitions?: number
  /** Scratch folder for the sink's Parquet files and the query cache. */
  readonly workDir?: string
  /**
   * The end-to-end rate the overload schedule is 5× of, trades/s. The default, 55k, puts the
   * schedule at 550k events/s, ≥4× the 63k of the last `npm run bench` on the 2-core machine
   * (docs/benchmarks.json; the integration test checks the ratio against it). See D36.
   */
  readonly sustainableTradesPerSecond?: number
}

export interface OverloadDemoDeps {
  readonly kafka: Kafka
  readonly brokers: readonly string[]
  readonly catalog: RestCatalogClient
  readonly io: FileIO
  readonly serde: RecordSerde
  readonly logger: Logger
  readonly metrics?: Metrics
  readonly onSample?: (s: OverloadSample) => void
  readonly signal?: AbortSignal
}

/** One second of the run. */
export interface OverloadSample {
  /** Seconds since the start. */
  readonly t: number
  readonly phase: 'normal' | 'overload' | 'recovery' | 'drain'
  readonly ingestLevel: DegradationLevel
  readonly sinkLevel: DegradationLevel
  /** Trades acknowledged by Kafka so far (hot and deferred). */
  readonly ingested: number
  /** Trades sent to the deferred topic so far. */
  readonly shed: number
  /** Trades in the lake (the table's snapshot). */
  readonly committed: number
  /** Trades in Kafka not yet in the lake (hot and deferred). */
  readonly lagRecords: number
  /** The exchange's scheduled pace, events/s. */
  readonly offeredEventsPerSecond: number
}

export interface OverloadDemoResult {
  readonly mode: 'quick' | 'full'
  /** When the timeline's t = 0 was (Date.now(), the clock of the transitions' atMs). */
  readonly startedAtMs: number
  readonly phases: ReadonlyArray<{ readonly name: string; readonly seconds: number; readonly rate: number }>
  readonly timeline: readonly OverloadSample[]
  readonly transitions: { readonly ingest: readonly DegradationTransition[]; readonly sink: readonly DegradationTransition[] }
  readonly ingest: IngestReport
  readonly sink: SinkReport
  /** What was checked at the end; `ok` only when every check held. */
  readonly invariants: {
    readonly ok: boolean
    readonly symbols: number
    readonly trades: number
    readonly duplicates: number
    readonly missing: number
    /** Trades the ingest worker acknowledged minus trades in the lake (0: nothing lost, nothing extra). */
    readonly notInLake: number
    readonly tier1Shed: number
    readonly levelsInOrder: boolean
    readonly problems: readonly string[]
  }
}

/** The synthetic market's base pace: events/s at rate 1 (trades and quotes). */
const baseEventsPerSecond = 600

/**
 * The demo's degradation policy, for both workers. The sink commits every 3 s here, so the window
 * is short too: a backlog of 1.5 s of input standing for 4 s widens batches, 2 s growing sheds
 * tier 3 (D37). The backlogs alone decide: a commit of a few seconds is several 3 s cadences,
 * which is this demo's choice of cadence, not overload. Where the overload stops depends on the
 * machine: the sink's backlog if the sink falls behind first, the feed reader's delay behind the
 * exchange's clock if the ingest does (D50; seen in CI: the ingest wrote 13k of 215k trades/s
 * while the sink kept up, and with the sink's backlog alone nothing was raised). CIRCUIT_BREAK is
 * out of reach: pausing the feed would hide the shedding this demo is about.
 */
export function overloadDemoPolicy(mode: 'quick' | 'full'): DegradationPolicy {
  const standing = { kind: 'standing', windowMs: 4000, minGrowthPerSecond: 0.05 } as const
  return {
    cooldownMs: mode === 'quick' ? 4000 : 10_000,
    thresholds: {
      backlogSeconds: { enter: [1.5, 2, 4, 600], recover: [0.75, 1, 2, 300], judge: standing, growthGated: true },
      feedDelaySeconds: { enter: [1.5, 2], recover: [0.75, 1], judge: standing, growthGated: true },
    },
  }
}

/** Runs the demo; resolves when the lake holds everything (or throws after a deadline). */
export async function runOverloadDemo(options: OverloadDemoOptions, deps: OverloadDemoDeps): Promise<OverloadDemoResult> {
  const log = deps.logger.child('overload-demo')
  const metrics = deps.metrics ?? createMetrics()
  const quick = options.mode === 'quick'
  const sustainable = options.sustainableTradesPerSecond ?? 55_000
  // Events are roughly half trades: the overload schedule is ≥5× sustainable in trades.
  const overloadRate = Math.ceil((5 * sustainable * 2) / baseEventsPerSecond)
  const phases = [
    { name: 'normal' as const, seconds: quick ? 15 : 45, rate: 4 },
    { name: 'overload' as const, seconds: quick ? 40 : 120, rate: overloadRate },
    { name: 'recovery' as const, seconds: quick ? 30 : 90, rate: 4 },
  ]
  const drainRate = 1
  const topics = { ...demoTopics(options.topicPrefix), partitions: options.partitions ?? 6 }
  const workDir = options.workDir ?? path.join(os.tmpdir(), `k2-overload-${process.pid}`)
  const policy = overloadDemoPolicy(options.mode)

  const exchange = await startExchange(17, phases[0]!.rate)
  const admin = deps.kafka.admin()
  await admin.connect()
  await ensureTopics(admin, [...marketTopicSpecs(topics), ...[topics.deferredTrades, topics.deferredQuotes].map((topic) => ({ topic, partitions: topics.partitions }))])
  await deps.serde.registerSchemas({ trades: topics.trades, quotes: topics.quotes })
  await deps.serde.registerSchemas({ trades: topics.deferredTrades, quotes: topics.deferredQuotes })

  const transitions = { ingest: [] as DegradationTransition[], sink: [] as DegradationTransition[] }
  const level = { ingest: 'NORMAL' as DegradationLevel, sink: 'NORMAL' as DegradationLevel }
  const stopIngest = new AbortController()
  const stopSink = new AbortController()
  const sinkGroup = demoSinkGroup(options.topicPrefix)
  const sender = await createThreadedKafkaSender({ brokers: deps.brokers, clientId: `${options.topicPrefix}-ingest` })
  const ingest = runIngestor(
    demoIngestOptions(exchange, topics, policy, sinkGroup, (t) => {
      transitions.ingest.push(t)
      level.ingest = t.to
    }),
    { kafka: deps.kafka, encoder: { encodeTrade: (t) => deps.serde.serializeTrade(t), encodeQuote: (q) => deps.serde.serializeQuote(q) }, logger: log.child('ingest'), metrics, sender },
    stopIngest.signal,
  )
  const sink = runIcebergSink(
    demoSinkOptions(options.namespace, topics, sinkGroup, path.join(workDir, 'sink'), policy, (t) => {
      transitions.sink.push(t)
      level.sink = t.to
    }),
    { kafka: deps.kafka, catalog: deps.catalog, io: deps.io, serde: deps.serde, logger: log.child('sink'), metrics },
    stopSink.signal,
  )
  let failure: unknown
  ingest.catch((err: unknown) => (failure ??= err))
  sink.catch((err: unknown) => (failure ??= err))

  const counter = async (name: string, labels: Record<string, string>): Promise<number> => {
    const metric = await metrics.registry.getSingleMetric(name)?.get()
    return (metric?.values ?? []).filter((v) => Object.entries(labels).every(([k, x]) => String((v.labels as Record<string, unknown>)[k]) === x)).reduce((a, v) => a + v.value, 0)
  }
  const lake = watchLake(() => committedRecords(deps, admin, options.namespace, topics), log)
  const timeline: OverloadSample[] = []
  const started = Date.now()
  let phase: OverloadSample['phase'] = 'normal'
  let rate = phases[0]!.rate
  // A timed phase's sample takes the lake as last read (a slow catalog on a loaded machine must not
  // thin the timeline out: one run had 2 samples in a 15 s phase); the drain's read it afresh.
  const sample = async (fresh = false): Promise<OverloadSample> => {
    const c = fresh ? await lake.fresh() : lake.latest()
    const s: OverloadSample = {
      t: Math.round((Date.now() - started) / 100) / 10,
      phase,
      ingestLevel: level.ingest,
      sinkLevel: level.sink,
      ingested: await counter('k2_ingest_records_total', { stream: 'trades' }),
      shed: await counter('k2_degrade_shed_records_total', { stream: 'trades' }),
      committed: c.total,
      lagRecords: c.behind,
      offeredEventsPerSecond: rate * baseEventsPerSecond,
    }
    timeline.push(s)
    deps.onSample?.(s)
    return s
  }
  // A sample reads the catalog and Kafka, which a saturated machine may answer late: a failed one
  // is skipped (the next comes a second later), never the end of the run.
  const trySample = (fresh = false): Promise<OverloadSample | undefined> =>
    sample(fresh).catch((err: unknown) => {
      log.warn('sampling failed', { error: errorMessage(err) })
      return undefined
    })
  const wait = async (ms: number): Promise<void> => {
    const end = Date.now() + ms
    while (Date.now() < end) {
      if (failure) throw failure
      if (deps.signal?.aborted) throw new WorkbenchError(ErrorCode.Aborted, 'the overload demo was stopped')
      await new Promise((r) => setTimeout(r, Math.min(1000, end - Date.now())))
      await trySample()
    }
  }

  let ingestReport: IngestReport | undefined
  let sinkReport: SinkReport | undefined
  try {
    for (const p of phases) {
      phase = p.name
      rate = p.rate
      exchange.setRate(p.rate)
      log.info(`phase ${p.name}: ${p.rate}× the market's pace (${(p.rate * baseEventsPerSecond).toLocaleString('en')} events/s scheduled) for ${p.seconds} s`)
      await wait(p.seconds * 1000)
    }
    // Drain: the market quietens to its base pace until both workers are back at NORMAL (an
    // ingest worker stopped while degraded would never come down), then the feed stops, the sink
    // backfills and the lake catches up. At the recovery pace the synthetic market's stress
    // regimes (a few times 10k trades/s for ~30 s) kept a 2-core machine, running the exchange,
    // both workers with 3 s commits and the stack, from settling within the deadline (D36).
    phase = 'drain'
    rate = drainRate
    exchange.setRate(drainRate)
    const deadline = Date.now() + (quick ? 120_000 : 300_000)
    while (level.ingest !== 'NORMAL' || level.sink !== 'NORMAL') {
      const s = await trySample(true)
      if (Date.now() > deadline) throw new WorkbenchError(ErrorCode.Timeout, `the workers did not return to NORMAL within the drain deadline (ingest at ${level.ingest}, sink at ${level.sink}, ${s?.lagRecords ?? 'unknown'} records behind)`, true)
      if (failure) throw failure
      await new Promise((r) => setTimeout(r, 1000))
    }
    stopIngest.abort()
    ingestReport = await ingest
    for (;;) {
      const s = await trySample(true)
      if (s?.lagRecords === 0 && level.sink === 'NORMAL') break
      if (Date.now() > deadline) throw new WorkbenchError(ErrorCode.Timeout, `the lake did not catch up within the drain deadline (${s?.lagRecords ?? 'unknown'} records behind, sink at ${level.sink})`, true)
      if (failure) throw failure
      await new Promise((r) => setTimeout(r, 1000))
    }
    stopSink.abort()
    sinkReport = await sink
  } finally {
    await lake.stop()
    stopIngest.abort()
    stopSink.abort()
    await ingest.catch(() => undefined)
    await sink.catch(() => undefined)
    await exchange.close()
    await admin.disconnect().catch(() => undefined)
  }

  const invariants = await checkInvariants(options, deps, ingestReport!, transitions, topics, timeline)
  return { mode: options.mode, startedAtMs: started, phases, timeline, transitions, ingest: ingestReport, sink: sinkReport, invariants }
}

/** Records the lake holds (the trades table's total) and how many Kafka holds beyond its offsets. */
async function committedRecords(deps: OverloadDemoDeps, admin: Admin, namespace: string, topics: { trades: string; deferredTrades: string }): Promise<{ total: number; behind: number }> {
  let total = 0
  let behind = 0
  if (await deps.catalog.tableExists([namespace], 'trades')) {
    const meta = (await deps.catalog.loadTable([namespace], 'trades')).metadata
    total = Number(currentSnapshot(meta)?.summary['total-records'] ?? 0)
    for (const topic of [topics.trades, topics.deferredTrades]) {
      const held = tableOffsets(meta, topic)
      for (const p of await admin.fetchTopicOffsets(topic)) behind += Math.max(0, Number(p.high) - Number(held.get(p.partition) ?? BigInt(p.low)))
    }
  }
  return { total, behind }
}

/** Reads the lake in the background, every half second, so a sample never waits for the catalog. */
function watchLake(read: () => Promise<{ total: number; behind: number }>, log: Logger): { latest(): { total: number; behind: number }; fresh(): Promise<{ total: number; behind: number }>; stop(): Promise<void> } {
  let latest = { total: 0, behind: 0 }
  let running = true
  const loop = (async () => {
    while (running) {
      try {
        latest = await read()
      } catch (err) {
        log.warn('reading the lake failed', { error: errorMessage(err) })
      }
      await new Promise((r) => setTimeout(r, 500))
    }
  })()
  return {
    latest: () => latest,
    fresh: async () => (latest = await read()),
    async stop() {
      running = false
      await loop
    },
  }
}

/** Reads the lake back and checks what the demo promises. */
async function checkInvariants(
  options: OverloadDemoOptions,
  deps: OverloadDemoDeps,
  ingest: IngestReport,
  transitions: { ingest: readonly DegradationTransition[]; sink: readonly DegradationTransition[] },
  topics: { deferredTrades: string },
  timeline: readonly OverloadSample[],
): Promise<OverloadDemoResult['invariants']> {
  const problems: string[] = []
  const engine = await createQueryEngine({ namespace: options.namespace, cacheDir: path.join(options.workDir ?? os.tmpdir(), 'query-cache') }, { catalog: deps.catalog, io: deps.io, logger: deps.logger })
  let trades = 0
  let duplicates = 0
  let missing = 0
  let symbols = 0
  try {
    const r = await engine.query<{ symbol: string; n: bigint; ids: bigint; lo: bigint; hi: bigint }>('SELECT symbol, count(*) AS n, count(DISTINCT trade_id) AS ids, min(trade_id) AS lo, max(trade_id) AS hi FROM trades GROUP BY symbol', { maxRows: 100_000 })
    for (const row of r.rows) {
      symbols++
      trades += Number(row.n)
      duplicates += Number(row.n - row.ids)
      missing += Number(row.hi - row.lo + 1n - row.ids)
    }
  } finally {
    await engine.close()
  }
  if (duplicates > 0) problems.push(`${duplicates} duplicate trades in the lake`)
  if (missing > 0) problems.push(`${missing} trade ids missing inside symbols' ranges`)
  // Everything the ingest worker had acknowledged (hot and deferred) is in the lake, and no more.
  const notInLake = ingest.trades - trades
  if (notInLake !== 0) problems.push(`the ingest worker wrote ${ingest.trades} trades to Kafka and the lake holds ${trades}`)
  // Tier 1 never deferred: every deferred record says its tier.
  const tier1Shed = await countTier1(deps.kafka, topics.deferredTrades)
  if (tier1Shed > 0) problems.push(`${tier1Shed} tier-1 trades were deferred`)
  const inOrder = (ts: readonly DegradationTransition[]): boolean => {
    // Up moves may skip levels; down moves go one level at a time; the run ends at NORMAL.
    for (const t of ts) if (levelRank(t.to) < levelRank(t.from) && levelRank(t.from) - levelRank(t.to) !== 1) return false
    return ts.length === 0 || ts.at(-1)!.to === 'NORMAL'
  }
  const levelsInOrder = inOrder(transitions.ingest) && inOrder(transitions.sink)
  if (!levelsInOrder) problems.push('a level stepped down more than one level at once, or the run did not end at NORMAL')
  if (transitions.ingest.length === 0 && transitions.sink.length === 0) problems.push(`the overload never raised a level (${describeOverload(timeline)})`)
  return { ok: problems.length === 0, symbols, trades, duplicates, missing, notInLake, tier1Shed, levelsInOrder, problems }
}

/** What the overload phase did, for a failure message: the ingest's pace and the most the lake fell behind. */
function describeOverload(timeline: readonly OverloadSample[]): string {
  const o = timeline.filter((s) => s.phase === 'overload')
  if (o.length < 2) return `${o.length} samples in the overload`
  const seconds = o.at(-1)!.t - o[0]!.t
  const pace = Math.round((o.at(-1)!.ingested - o[0]!.ingested) / Math.max(1, seconds))
  const behind = Math.max(...timeline.map((s) => s.lagRecords))
  return `in the overload the ingest wrote ${pace.toLocaleString('en')} trades/s against ${Math.round(o[0]!.offeredEventsPerSecond / 2).toLocaleString('en')} scheduled; the lake was at most ${behind.toLocaleString('en')} records behind`
}

/** Deferred records whose `k2-tier` header says 1 (none should): reads the topic to its end. */
async function countTier1(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin()
  await admin.connect()
  const ends = new Map((await admin.fetchTopicOffsets(topic)).filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.high)]))
  await admin.disconnect()
  if (ends.size === 0) return 0
  const consumer = kafka.consumer({ groupId: `${topic}.check-${Date.now()}` })
  let tier1 = 0
  const done = new Set<number>()
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) if (m.headers?.['k2-tier']?.toString() === '1') tier1++
          if (BigInt(batch.lastOffset()) + 1n >= (ends.get(batch.partition) ?? 0n)) done.add(batch.partition)
          if (done.size >= ends.size) resolve()
        },
      })
    })
  } finally {
    await consumer.disconnect()
  }
  return tier1
}

/**
 * The exchange in a process of its own (`serveOverloadExchange`), as a real one is: in the demo's
 * process its frame rendering took the event loop the ingest and the sink share, and the offered
 * overload never reached them (the exchange paces to a slow reader).
 */
async function startExchange(seed: number, rate: number): Promise<{ url: string; restUrl: string; setRate(rate: number): void; close(): Promise<void> }> {
  const entry = path.join(__dirname, 'overload-exchange.ts')
  const program = `require(${JSON.stringify(entry)}).serveOverloadExchange(${seed}, ${rate}, { input: process.stdin, output: process.stdout }).then(() => process.exit(0), (err) => { process.stderr.write('overload exchange failed: ' + String(err) + '\\n'); process.exit(1) })`
  const args = ['--import', 'tsx', '--eval', program]
  const child = spawn(process.execPath, args, { cwd: path.resolve(__dirname, '..', '..'), stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const first = await new Promise<string>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout })
    lines.once('line', (l) => resolve(l))
    child.once('exit', (code) => reject(new WorkbenchError(ErrorCode.ServiceStartFailed, `the demo's exchange exited (${code}): ${stderr.trim()}`)))
  })
  const { url, restUrl } = JSON.parse(first) as { url: string; restUrl: string }
  return {
    url,
    restUrl,
    setRate: (r) => void child.stdin.write(`${JSON.stringify({ rate: r })}\n`),
    close: async () => {
      child.stdin.end()
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** The topics of a demo run under `prefix`. */
function demoTopics(prefix: string): { trades: string; quotes: string; deadLetter: string; deferredTrades: string; deferredQuotes: string } {
  return { trades: `${prefix}.trades`, quotes: `${prefix}.quotes`, deadLetter: `${prefix}.dead`, deferredTrades: `${prefix}.trades.deferred`, deferredQuotes: `${prefix}.quotes.deferred` }
}

const demoSinkGroup = (prefix: string): string => `${prefix}.sink`

/**
 * Removes what one run of the demo made on the stack: its five topics with their schema
 * subjects, its sink's consumer group, and its namespace with the trades and quotes tables (data
 * purged). A run's names are its own, so nothing else is touched; what is already gone is
 * skipped. The resilience notebook calls it after its checks, so that runs do not pile up on
 * the user's broker and lake (npm test's sweep removed 206 such leftovers once).
 */
export async function removeOverloadDemo(run: Pick<OverloadDemoOptions, 'namespace' | 'topicPrefix'>, deps: { readonly kafka: Kafka; readonly catalog: RestCatalogClient; readonly registry: SchemaRegistryClient }): Promise<{ topics: string[]; tables: string[] }> {
  const admin = deps.kafka.admin()
  await admin.connect()
  let topics: string[]
  try {
    const present = new Set(await admin.listTopics())
    topics = Object.values(demoTopics(run.topicPrefix)).filter((t) => present.has(t))
    if (topics.length) await admin.deleteTopics({ topics })
    await admin.deleteGroups([demoSinkGroup(run.topicPrefix)]).catch(() => undefined)
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
  for (const t of topics) await deps.registry.deleteSubject(`${t}-value`).catch(() => undefined)
  const tables: string[] = []
  for (const table of ['trades', 'quotes']) {
    if (!(await deps.catalog.tableExists([run.namespace], table))) continue
    await deps.catalog.dropTable([run.namespace], table, true)
    tables.push(`${run.namespace}.${table}`)
  }
  await deps.catalog.dropNamespace([run.namespace])
  return { topics, tables }
}

/** The demo's ingest: the replay exchange's whole universe, small batches, the demo's policy. */
function demoIngestOptions(exchange: { readonly url: string; readonly restUrl: string }, topics: IngestorOptions['topics'], policy: DegradationPolicy, sinkGroupId: string, onLevel: (t: DegradationTransition) => void): IngestorOptions {
  return {
    exchange: 'BINANCE',
    wsUrl: exchange.url,
    restUrl: exchange.restUrl,
    symbols: [],
    timeUnit: 'us',
    maxConnectionMs: 3_600_000,
    maxFrameBytes: 64 * 1024,
    topics,
    reorderWindowMs: 250,
    maxPendingPerSymbol: 100_000,
    batchMaxRecords: 20_000,
    lingerMs: 20,
    compression: 'zstd',
    degradation: {
      policy,
      sinkGroupId,
      intervalMs: 1000,
      onLevel,
    },
  }
}

/** The demo's sink: 3 s commits, so the lake's catch-up shows within the demo. */
function demoSinkOptions(namespace: string, topics: IcebergSinkOptions['topics'], groupId: string, workDir: string, policy: DegradationPolicy, onLevel: (t: DegradationTransition) => void): IcebergSinkOptions {
  return {
    namespace,
    topics,
    groupId,
    maxRecords: 500_000,
    maxAgeMs: 3000,
    rowGroupSize: defaultRowGroupRows,
    workDir,
    degradation: policy,
    onLevel,
  }
}
