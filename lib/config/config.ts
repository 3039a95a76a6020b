import * as path from 'node:path'
import { ErrorCode, WorkbenchError, errorMessage } from '../errors/index'
import type { LogLevel } from '../logger/index'
import { parseShard, wholeFeed, type IngestShard } from '../ingest/shard'
import { sinkPhases, type SinkPhase } from '../sink/sink-phases'
import { defaultRowGroupRows } from '../iceberg/table-design'
import { defaultDegradationPolicy, defaultStandingWindowMs, type DegradationPolicy, type SignalName, type SignalRule } from '../degrade/degradation-policy'

/**
 * The one typed configuration of the workbench, parsed once from an environment record.
 * Every key, its default and its meaning is declared in the section readers below (`readKafka`,
 * `readSink`, …), called in order by `read`; `configKeys()` lists them (docs and the
 * docker-compose agreement test read that list).
 */
export interface WorkbenchConfig {
  /** Address the native stack binds to and clients connect to (loopback by default). */
  readonly host: string
  readonly paths: {
    /** Project root: where package.json, stack/ and notebooks/ are. */
    readonly root: string
    /** Downloaded and built artefacts (Kafka jars, MinIO binary, Python venv). Git-ignored. */
    readonly cache: string
    /** Service data, logs, pid files and generated credentials; survives `stack down`. */
    readonly state: string
    /** Where workers drop Prometheus file_sd target files (the native stack scrapes them). */
    readonly scrapeTargets: string
    /** Where `npm run demo` writes the executed story and its HTML and PDF report. */
    readonly demoReports: string
  }
  readonly kafka: {
    readonly port: number
    readonly controllerPort: number
    readonly brokers: readonly string[]
    readonly clientId: string
  }
  readonly schemaRegistry: { readonly port: number; readonly url: string }
  /** Kafka Connect (distributed, with Apache Iceberg's sink): started on demand, not by default. */
  readonly connect: { readonly port: number; readonly url: string }
  /** QuestDB, a peer for the query benchmarks (bench:peers): started on demand, not by default. */
  readonly questdb: { readonly httpPort: number; readonly ilpPort: number; readonly url: string }
  readonly catalog: { readonly port: number; readonly url: string; readonly warehouse: string }
  readonly s3: {
    readonly port: number
    readonly consolePort: number
    readonly endpoint: string
    readonly region: string
    readonly bucket: string
    /** Secret: from the environment (or the stack's generated credentials file), never code. */
    readonly accessKeyId: string | undefined
    readonly secretAccessKey: string | undefined
  }
  readonly prometheus: { readonly port: number; readonly url: string }
  readonly jupyter: { readonly port: number; readonly url: string; readonly token: string | undefined }
  readonly log: { readonly level: LogLevel; readonly format: 'pretty' | 'json' }
  /** The exchange feed: Binance itself or the local replay exchange (the default). */
  readonly feed: {
    readonly wsUrl: string
    readonly restUrl: string
    /** Upper-case symbols to subscribe to; empty means every symbol the exchange lists. */
    readonly symbols: readonly string[]
    readonly timeUnit: 'ms' | 'us'
    /** Streams per symbol: `trade`, `bookTicker`. */
    readonly streams: ReadonlyArray<'trade' | 'bookTicker'>
    /** Connections are rolled over before this age (Binance closes them at 24 h). */
    readonly maxConnectionMs: number
    readonly maxFrameBytes: number
  }
  /** The local replay exchange that speaks Binance's protocol. */
  readonly replay: {
    readonly port: number
    readonly rate: number | 'max'
    readonly seed: number
    readonly faults: string
    /** Trades kept per symbol for historicalTrades: how long a gap can be repaired after. */
    readonly historyPerSymbol: number
    /** Beyond that, the seconds of trading each symbol keeps. */
    readonly historySeconds: number
    /** Symbols the synthetic market lists, its base rate of actions per second at rate 1, and the share of them that trade. */
    readonly symbols: number
    readonly actionsPerSecond: number
    readonly takerShare: number
    /** Whether the synthetic market's stress regime comes (off: a calm market, whose rate is the load it names). */
    readonly stress: boolean
  }
  readonly topics: {
    readonly trades: string
    readonly quotes: string
    readonly deadLetter: string
    /** Compacted topic of the last trade id per symbol, committed with the trades. */
    readonly checkpoint: string
    /** The load shedder's topics: records of shed symbols, backfilled into the lake at NORMAL. */
    readonly deferredTrades: string
    readonly deferredQuotes: string
    readonly partitions: number
  }
  /** Degradation (ingest and sink): thresholds per signal and level, and the cooldown. */
  readonly degrade: {
    readonly enabled: boolean
    readonly policy: DegradationPolicy
  }
  readonly ingest: {
    readonly metricsPort: number
    readonly compression: 'none' | 'gzip' | 'zstd'
    /** Held-back window for reordered trades before a gap is repaired from REST. */
    readonly reorderWindowMs: number
    readonly maxPendingPerSymbol: number
    /** Records per produce request, and the longest a record waits for its batch. */
    readonly batchMaxRecords: number
    readonly lingerMs: number
    /** Bytes waiting for Kafka above which the feed is paused (back-pressure). */
    readonly maxPendingBytes: number
    /** This process's share of the symbols (K2_INGEST_SHARD). */
    readonly shard: IngestShard
  }
  /** The Kafka → Iceberg sink. */
  readonly sink: {
    readonly metricsPort: number
    /** Iceberg namespace of the market tables. */
    readonly namespace: string
    readonly groupId: string
    /** A batch is committed when it reaches this many records… */
    readonly maxRecords: number
    /** …or when its oldest record has waited this long. */
    readonly maxAgeMs: number
    readonly rowGroupSize: number
    /** Kafka session timeout: how soon a dead sink's partitions move to another instance. */
    readonly sessionTimeoutMs: number
    /**
     * A batch whose upload is older than this when it would commit is abandoned and re-read: its
     * files may have been taken as orphans (maintenance's orphan age must be at least twice this).
     */
    readonly maxUncommittedMs: number
    /**
     * Fault injection for chaos tests: the sink kills itself (SIGKILL) at a phase of a flush
     * with the given probability. Empty (no faults) unless set.
     */
    readonly chaos: Readonly<Partial<Record<SinkPhase, number>>>
  }
  /** Compaction and snapshot expiry, beside the sink. */
  readonly maintenance: {
    readonly metricsPort: number
    readonly intervalMs: number
    /** Files smaller than this are compacted; compacted files aim for it. */
    readonly targetFileBytes: number
    /** In the hour still being written, small files are merged once this many have gathered in a partition. */
    readonly openHourMinFiles: number
    /** Snapshots older than this are expired (the newest `keepSnapshots` always stay). */
    readonly snapshotMaxAgeMs: number
    readonly keepSnapshots: number
    /** Files no snapshot references are deleted once older than this (in-flight writes are younger). */
    readonly orphanMinAgeMs: number
    /** Scheduling niceness (0–19): compaction and merges yield the CPU to the ingest and sink (D55). */
    readonly nice: number
    /** Time between rounds of the one-minute rollup while it is current (D74). */
    readonly rollupIntervalMs: number
  }
  /** The query engine (notebooks, the API, benchmarks). */
  readonly query: {
    /** Local copies of immutable data files (under the cache folder by default). */
    readonly cacheDir: string
    readonly cacheMaxBytes: number
    /** Minute slices kept for reads confined to a few minutes, such as the bars' edges (D93; 0: none). */
    readonly slices: number
    /** How often the engine reloads table metadata (the Kafka tail covers what is newer). */
    readonly refreshMs: number
    /** The Kafka tail rests after this long with no query (0: it always reads). */
    readonly tailIdleMs: number
    readonly timeoutMs: number
    /** Queries at the same time (each has its own DuckDB connection). */
    readonly concurrency: number
    readonly memoryLimit: string
  }
  /** The HTTP API worker. */
  readonly api: {
    readonly port: number
    /** Rows one response carries at most. */
    readonly maxRows: number
    /** Widest time range a request may ask for. */
    readonly maxRangeMs: number
    readonly timeoutMs: number
    /** Scheduling niceness (0–19): queries yield the CPU to the ingest and sink under contention (D55). */
    readonly nice: number
  }
  /** Every worker process. */
  readonly worker: {
    /** Stop cleanly once this process is gone (the notebook kernel that started the worker). */
    readonly stopWithPid: number | undefined
    /**
     * What a stop (SIGTERM, SIGINT) leaves a worker to finish: commits in flight and the sink's
     * final flush. The worker's clients (catalog, schema registry) are cut off only after it, and
     * the stack manager sends SIGKILL only 10 s later still.
     */
    readonly stopGraceMs: number
  }
  /** Notebook parameters: how long the story runs and what it looks at. */
  readonly notebook: {
    /** quick: the short headless run (CI, reports); full: a presentation. */
    readonly mode: 'quick' | 'full'
    /** Minutes of history the analysis cells look back over. */
    readonly rangeMinutes: number
    readonly symbol: string
    /** Scheduling niceness of the notebook kernel (0–19; default 0: the user's foreground, D55). */
    readonly nice: number
  }
}


/** One configuration key as documented. */
export interface ConfigKey {
  readonly key: string
  readonly default: string | undefined
  readonly description: string
  readonly secret: boolean
}

type Env = Readonly<Record<string, string | undefined>>

/** Reads keys from `env`, records what it read, and gathers every bad value before failing. */
class EnvReader {
  readonly keys: ConfigKey[] = []
  readonly problems: string[] = []
  constructor(private readonly env: Env) {}

  str(key: string, fallback: string, description: string): string {
    this.keys.push({ key, default: fallback, description, secret: false })
    const raw = this.env[key]?.trim()
    return raw ? raw : fallback
  }

  secret(key: string, description: string): string | undefined {
    this.keys.push({ key, default: undefined, description, secret: true })
    const raw = this.env[key]?.trim()
    return raw ? raw : undefined
  }

  port(key: string, fallback: number, description: string): number {
    const raw = this.str(key, String(fallback), description)
    const value = Number(raw)
    if (!/^\d+$/.test(raw) || value < 1 || value > 65535) {
      this.problems.push(`${key}=${JSON.stringify(raw)} is not a TCP port (expected a whole number 1-65535)`)
      return fallback
    }
    return value
  }

  int(key: string, fallback: number, description: string, min: number, max: number): number {
    const raw = this.str(key, String(fallback), description)
    const value = Number(raw)
    if (!/^-?\d+$/.test(raw) || value < min || value > max) {
      this.problems.push(`${key}=${JSON.stringify(raw)} is not a whole number from ${min} to ${max}`)
      return fallback
    }
    return value
  }

  oneOf<T extends string>(key: string, fallback: T, allowed: readonly T[], description: string): T {
    const raw = this.str(key, fallback, description)
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${key}=${JSON.stringify(raw)} is not one of ${allowed.join(', ')}`)
      return fallback
    }
    return raw as T
  }

  url(key: string, fallback: string, description: string): string {
    const raw = this.str(key, fallback, description)
    try {
      new URL(raw)
    } catch {
      this.problems.push(`${key}=${JSON.stringify(raw)} is not a URL (expected e.g. ${fallback})`)
      return fallback
    }
    return raw.replace(/\/+$/, '')
  }
}

/** The project root, found from this file's place in lib/config/. */
export const projectRoot = path.resolve(__dirname, '..', '..')

/**
 * Parses and validates the configuration. Throws one CONFIG_INVALID error that lists every bad
 * key, so a user fixes them all in one go. `K2_PORT_OFFSET` shifts every default port, which is
 * how a second stack runs beside the first on one machine.
 */
export function parseConfig(env: Env, root: string = projectRoot): WorkbenchConfig {
  return read(env, root).config
}

/** Every configuration key with its default and description, in declaration order. */
export function configKeys(): readonly ConfigKey[] {
  return read({}, projectRoot).keys
}

function read(env: Env, root: string): { config: WorkbenchConfig; keys: ConfigKey[] } {
  const r = new EnvReader(env)
  // The sections are read in the order configKeys() lists their keys (the docs and the
  // docker-compose agreement test read that list), which is also the order problems are reported.
  const { host, offset, paths } = readBase(r, root)
  const kafka = readKafka(r, host, offset)
  const { schemaRegistry, connect, questdb } = readRegistryAndPeers(r, host, offset)
  const { catalog, s3 } = readCatalogAndStore(r, host, offset)
  const prometheus = readPrometheus(r, host, offset)
  const jupyter = readJupyter(r, host, offset)
  const replay = readReplay(r, offset)
  const feed = readFeed(r, host, replay.port)
  const topics = readTopics(r)
  const ingest = readIngest(r, offset)
  const sink = readSink(r, offset, topics.trades)
  const { rollupIntervalMs, ...maintenance } = readMaintenance(r, offset, sink.maxUncommittedMs)
  const query = readQuery(r, root, paths.state)
  const { api, niceness } = readApi(r, offset)
  const degrade = readDegrade(r)
  const worker = readWorker(r)
  const notebook = readNotebook(r, niceness.notebook)
  const log = readLog(r)

  checkDistinctPorts(r, [
    ['K2_KAFKA_PORT', kafka.port],
    ['K2_KAFKA_CONTROLLER_PORT', kafka.controllerPort],
    ['K2_SCHEMA_REGISTRY_PORT', schemaRegistry.port],
    ['K2_CONNECT_PORT', connect.port],
    ['K2_QUESTDB_HTTP_PORT', questdb.httpPort],
    ['K2_QUESTDB_ILP_PORT', questdb.ilpPort],
    ['K2_CATALOG_PORT', catalog.port],
    ['K2_S3_PORT', s3.port],
    ['K2_S3_CONSOLE_PORT', s3.consolePort],
    ['K2_PROMETHEUS_PORT', prometheus.port],
    ['K2_JUPYTER_PORT', jupyter.port],
    ['K2_REPLAY_PORT', replay.port],
    ['K2_INGEST_METRICS_PORT', ingest.metricsPort],
    ['K2_SINK_METRICS_PORT', sink.metricsPort],
    ['K2_MAINTENANCE_METRICS_PORT', maintenance.metricsPort],
    ['K2_API_PORT', api.port],
  ])

  if (r.problems.length > 0) {
    throw new WorkbenchError(ErrorCode.ConfigInvalid, `invalid configuration:\n  - ${r.problems.join('\n  - ')}`)
  }
  return {
    config: {
      host,
      paths,
      kafka,
      schemaRegistry,
      connect,
      questdb,
      catalog,
      s3,
      prometheus,
      jupyter,
      log,
      feed,
      replay,
      topics,
      degrade,
      ingest,
      sink,
      // Its niceness is read with the API's and the notebook's (where configKeys() lists it).
      maintenance: { ...maintenance, nice: niceness.maintenance, rollupIntervalMs },
      query,
      api,
      worker,
      notebook,
    },
    keys: r.keys,
  }
}

/** The host, the port offset and the folders: what the other sections' defaults are made of. */
function readBase(r: EnvReader, root: string): { host: string; offset: number; paths: WorkbenchConfig['paths'] } {
  const host = r.str('K2_HOST', '127.0.0.1', 'address the native stack binds to and clients connect to')
  // A multiple of 1000, because the default ports sit within 1000 of each other (8081 + 100
  // would land on the first stack's 8181).
  const offset = r.int('K2_PORT_OFFSET', 0, 'a multiple of 1000 added to every default port: run a second stack beside the first', 0, 50_000)
  if (offset % 1000 !== 0) r.problems.push(`K2_PORT_OFFSET=${offset} is not a multiple of 1000 (default ports are within 1000 of each other, so other offsets collide)`)
  const cache = path.resolve(root, r.str('K2_CACHE_DIR', path.join(root, '.cache'), 'downloads and builds (git-ignored)'))
  const state = path.resolve(root, r.str('K2_STATE_DIR', path.join(root, '.state'), 'service data, logs and generated credentials'))
  const demoReports = path.resolve(root, r.str('K2_DEMO_REPORTS_DIR', path.join(state, 'reports'), 'where npm run demo writes the executed story and its HTML and PDF report'))
  return { host, offset, paths: { root, cache, state, scrapeTargets: path.join(state, 'prometheus', 'targets'), demoReports } }
}

function readKafka(r: EnvReader, host: string, offset: number): WorkbenchConfig['kafka'] {
  const port = r.port('K2_KAFKA_PORT', 9092 + offset, 'Kafka broker listener')
  const controllerPort = r.port('K2_KAFKA_CONTROLLER_PORT', 9093 + offset, 'Kafka KRaft controller listener')
  const brokers = r
    .str('K2_KAFKA_BROKERS', `${host}:${port}`, 'bootstrap servers, comma-separated host:port')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean)
  for (const b of brokers) if (!/^[^:\s]+:\d+$/.test(b)) r.problems.push(`K2_KAFKA_BROKERS entry ${JSON.stringify(b)} is not host:port`)
  const clientId = r.str('K2_KAFKA_CLIENT_ID', 'k2-workbench', 'Kafka client id prefix')
  return { port, controllerPort, brokers, clientId }
}

/** The schema registry and the services started on demand beside Kafka (Connect, QuestDB). */
function readRegistryAndPeers(
  r: EnvReader,
  host: string,
  offset: number,
): Pick<WorkbenchConfig, 'schemaRegistry' | 'connect' | 'questdb'> {
  const registryPort = r.port('K2_SCHEMA_REGISTRY_PORT', 8081 + offset, 'schema registry HTTP port')
  const connectPort = r.port('K2_CONNECT_PORT', 8083 + offset, 'Kafka Connect REST port (npm run stack -- up kafka-connect; not started by default)')
  const questdbHttpPort = r.port('K2_QUESTDB_HTTP_PORT', 9020 + offset, 'QuestDB HTTP port: REST /exec and the web console (npm run stack -- up questdb; not started by default)')
  const questdbIlpPort = r.port('K2_QUESTDB_ILP_PORT', 9021 + offset, 'QuestDB InfluxDB line protocol (TCP) port')
  const registryUrl = r.url('K2_SCHEMA_REGISTRY_URL', `http://${host}:${registryPort}/apis/ccompat/v7`, 'Confluent-compatible schema registry base URL (Apicurio serves it under /apis/ccompat/v7)')
  return {
    schemaRegistry: { port: registryPort, url: registryUrl },
    connect: { port: connectPort, url: `http://${host}:${connectPort}` },
    questdb: { httpPort: questdbHttpPort, ilpPort: questdbIlpPort, url: `http://${host}:${questdbHttpPort}` },
  }
}

/** The Iceberg REST catalog and the object store under its warehouse. */
function readCatalogAndStore(r: EnvReader, host: string, offset: number): Pick<WorkbenchConfig, 'catalog' | 's3'> {
  const catalogPort = r.port('K2_CATALOG_PORT', 8181 + offset, 'Iceberg REST catalog HTTP port')
  const catalogUrl = r.url('K2_CATALOG_URL', `http://${host}:${catalogPort}`, 'Iceberg REST catalog base URL')

  const s3Port = r.port('K2_S3_PORT', 9000 + offset, 'object store (MinIO) S3 API port')
  const s3ConsolePort = r.port('K2_S3_CONSOLE_PORT', 9001 + offset, 'object store web console port')
  const s3Endpoint = r.url('K2_S3_ENDPOINT', `http://${host}:${s3Port}`, 'S3 endpoint (path-style addressing)')
  const region = r.str('K2_S3_REGION', 'us-east-1', 'S3 region')
  const bucket = r.str('K2_S3_BUCKET', 'warehouse', 'bucket that holds the Iceberg warehouse')
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) r.problems.push(`K2_S3_BUCKET=${JSON.stringify(bucket)} is not a valid bucket name`)
  const accessKeyId = r.secret('K2_S3_ACCESS_KEY', 'object store access key (generated into the state folder by `stack up`)')
  const secretAccessKey = r.secret('K2_S3_SECRET_KEY', 'object store secret key (generated into the state folder by `stack up`)')
  const warehouse = r.str('K2_WAREHOUSE', `s3://${bucket}/`, 'Iceberg warehouse location')
  return {
    catalog: { port: catalogPort, url: catalogUrl, warehouse },
    s3: { port: s3Port, consolePort: s3ConsolePort, endpoint: s3Endpoint, region, bucket, accessKeyId, secretAccessKey },
  }
}

function readPrometheus(r: EnvReader, host: string, offset: number): WorkbenchConfig['prometheus'] {
  const port = r.port('K2_PROMETHEUS_PORT', 9090 + offset, 'Prometheus HTTP port')
  const url = r.url('K2_PROMETHEUS_URL', `http://${host}:${port}`, 'Prometheus base URL')
  return { port, url }
}

function readJupyter(r: EnvReader, host: string, offset: number): WorkbenchConfig['jupyter'] {
  const port = r.port('K2_JUPYTER_PORT', 8888 + offset, 'JupyterLab HTTP port')
  const url = r.url('K2_JUPYTER_URL', `http://${host}:${port}`, 'JupyterLab base URL')
  const token = r.secret('K2_JUPYTER_TOKEN', 'JupyterLab access token (generated into the state folder by `stack up`)')
  return { port, url, token }
}

function readReplay(r: EnvReader, offset: number): WorkbenchConfig['replay'] {
  const port = r.port('K2_REPLAY_PORT', 9443 + offset, 'replay exchange WebSocket and REST port')
  const rateRaw = r.str('K2_REPLAY_RATE', '1', 'replay speed: 1 = real time, 10 = ten times faster, max = as fast as possible')
  const rate = rateRaw === 'max' ? 'max' : Number(rateRaw)
  if (rate !== 'max' && !(rate > 0)) r.problems.push(`K2_REPLAY_RATE=${JSON.stringify(rateRaw)} is not a positive number or "max"`)
  const seed = r.int('K2_REPLAY_SEED', 42, 'seed of the synthetic market', 0, 2 ** 31 - 1)
  const historyPerSymbol = r.int('K2_REPLAY_HISTORY', 10_000, 'trades per symbol the replay exchange keeps for historicalTrades at least (grown on demand, ~41 bytes each)', 100, 5_000_000)
  const historySeconds = r.int('K2_REPLAY_HISTORY_SECONDS', 60, 'beyond K2_REPLAY_HISTORY, the seconds of trading each symbol keeps for historicalTrades (a client reconnecting after its backoff finds its gap; up to 1M trades a symbol)', 0, 3600)
  const symbols = r.int('K2_REPLAY_SYMBOLS', 160, 'symbols the synthetic market lists (Zipf activity); 1,500 is about the whole Binance spot exchange', 1, 2000)
  const actionsPerSecond = r.int('K2_REPLAY_ACTIONS_PER_SECOND', 600, 'base rate of the synthetic market\'s actions per second at rate 1, over all symbols, before excitation and regimes (600 gives about 2,000 events/s)', 1, 1_000_000)
  const takerShareText = r.str('K2_REPLAY_TAKER_SHARE', '0.45', 'share of the synthetic market\'s actions that are taker orders (trades); 0.45 is about one trade to one quote, ~0.06 Binance\'s one to ten')
  const takerShare = Number(takerShareText)
  if (!(takerShare > 0 && takerShare <= 1)) r.problems.push(`K2_REPLAY_TAKER_SHARE=${JSON.stringify(takerShareText)} is not a number in (0, 1]`)
  const stress = r.oneOf('K2_REPLAY_STRESS', 'on', ['on', 'off'], 'the synthetic market\'s stress regime (every ~1,800 s of market time, ~120 s at 2.5× the rate): off keeps the market calm, so a replay rate is the load it names') === 'on'
  const faults = r.str('K2_REPLAY_FAULTS', '{}', 'replay fault injection as JSON, e.g. {"duplicate":0.01,"drop":0.001}')
  return { port, rate, seed, faults, historyPerSymbol, historySeconds, symbols, actionsPerSecond, takerShare, stress }
}

/** The exchange feed: its URLs default to the replay exchange's port. */
function readFeed(r: EnvReader, host: string, replayPort: number): WorkbenchConfig['feed'] {
  const wsUrl = r.url('K2_FEED_WS_URL', `ws://${host}:${replayPort}`, 'market-stream WebSocket base (wss://stream.binance.com:9443 for Binance)')
  const restUrl = r.url('K2_FEED_REST_URL', `http://${host}:${replayPort}`, 'REST base for exchangeInfo and historicalTrades (https://api.binance.com for Binance)')
  const symbols = r
    .str('K2_FEED_SYMBOLS', '', 'symbols to ingest, comma-separated (empty: every listed symbol)')
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean)
  const streamKinds = r
    .str('K2_FEED_STREAMS', 'trade,bookTicker', 'streams per symbol: trade, bookTicker, or both comma-separated')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  for (const k of streamKinds) if (k !== 'trade' && k !== 'bookTicker') r.problems.push(`K2_FEED_STREAMS entry ${JSON.stringify(k)} is not trade or bookTicker`)
  const timeUnit = r.oneOf('K2_FEED_TIME_UNIT', 'us', ['ms', 'us'] as const, 'ask the exchange for ms or µs timestamps')
  const maxConnectionMs = r.int('K2_FEED_MAX_CONNECTION_MS', 23 * 3600_000 + 30 * 60_000, 'roll the WebSocket over before this age', 1000, 24 * 3600_000)
  const maxFrameBytes = r.int('K2_FEED_MAX_FRAME_BYTES', 64 * 1024, 'larger frames go to the dead-letter topic', 256, 16 * 2 ** 20)
  return { wsUrl, restUrl, symbols, streams: streamKinds as Array<'trade' | 'bookTicker'>, timeUnit, maxConnectionMs, maxFrameBytes }
}

function readTopics(r: EnvReader): WorkbenchConfig['topics'] {
  const trades = r.str('K2_TOPIC_TRADES', 'market.crypto.trades.binance', 'Kafka topic of trade records')
  const quotes = r.str('K2_TOPIC_QUOTES', 'market.crypto.quotes.binance', 'Kafka topic of quote records')
  const deadLetter = r.str('K2_TOPIC_DEAD_LETTER', 'market.crypto.deadletter.binance', 'Kafka topic of frames that could not become records')
  const checkpoint = r.str('K2_TOPIC_CHECKPOINT', `${trades}.checkpoint`, 'compacted Kafka topic: last trade id per symbol, committed with the trades')
  const deferredTrades = r.str('K2_TOPIC_DEFERRED_TRADES', `${trades}.deferred`, 'Kafka topic of trades the load shedder deferred (backfilled into the lake at NORMAL)')
  const deferredQuotes = r.str('K2_TOPIC_DEFERRED_QUOTES', `${quotes}.deferred`, 'Kafka topic of quotes the load shedder deferred')
  for (const [key, t] of [['K2_TOPIC_TRADES', trades], ['K2_TOPIC_QUOTES', quotes], ['K2_TOPIC_DEAD_LETTER', deadLetter], ['K2_TOPIC_CHECKPOINT', checkpoint], ['K2_TOPIC_DEFERRED_TRADES', deferredTrades], ['K2_TOPIC_DEFERRED_QUOTES', deferredQuotes]] as const) {
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(t)) r.problems.push(`${key}=${JSON.stringify(t)} is not a valid Kafka topic name`)
  }
  const partitions = r.int('K2_TOPIC_PARTITIONS', 6, 'partitions of the trade and quote topics (created by the project)', 1, 256)
  return { trades, quotes, deadLetter, checkpoint, deferredTrades, deferredQuotes, partitions }
}

function readIngest(r: EnvReader, offset: number): WorkbenchConfig['ingest'] {
  const metricsPort = r.port('K2_INGEST_METRICS_PORT', 9464 + offset, 'ingest worker /metrics port')
  const compression = r.oneOf('K2_KAFKA_COMPRESSION', 'zstd', ['none', 'gzip', 'zstd'] as const, 'compression of produced batches (zstd: best ratio for its CPU, measured in docs/bench)')
  const reorderWindowMs = r.int('K2_INGEST_REORDER_WINDOW_MS', 250, 'how long a later trade waits for earlier ids before a REST repair', 0, 60_000)
  const maxPendingPerSymbol = r.int('K2_INGEST_MAX_PENDING', 5000, 'records held per symbol while a gap is open', 10, 1_000_000)
  const batchMaxRecords = r.int('K2_INGEST_BATCH_RECORDS', 20_000, 'most records per produce request (one transaction each); batches only reach it under load', 1, 1_000_000)
  const maxPendingMiB = r.int('K2_INGEST_MAX_PENDING_MB', 64, 'MiB of records waiting for Kafka above which the ingest stops reading the feed until half is acknowledged (a memory bound)', 1, 4096)
  const shardText = r.str('K2_INGEST_SHARD', '0/1', 'this ingest process\'s share of the symbols, i/n: shard i of n takes the symbols a stable hash gives it (own transactional id; stop every shard before changing n)')
  let shard: IngestShard = wholeFeed
  try {
    shard = parseShard(shardText)
  } catch (err) {
    r.problems.push(errorMessage(err))
  }
  const lingerMs = r.int('K2_INGEST_LINGER_MS', 100, 'longest a record waits for its produce batch (each batch is one transaction: fewer of them cost the ingest and the broker less)', 0, 10_000)
  return { metricsPort, compression, reorderWindowMs, maxPendingPerSymbol, batchMaxRecords, lingerMs, maxPendingBytes: maxPendingMiB * 2 ** 20, shard }
}

/** The sink; its consumer group defaults to one per namespace and trades topic. */
function readSink(r: EnvReader, offset: number, tradesTopic: string): WorkbenchConfig['sink'] {
  const metricsPort = r.port('K2_SINK_METRICS_PORT', 9465 + offset, 'Iceberg sink /metrics port')
  const namespace = r.str('K2_SINK_NAMESPACE', 'market', 'Iceberg namespace of the trades and quotes tables (one level: DuckDB cannot read nested namespaces)')
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(namespace)) r.problems.push(`K2_SINK_NAMESPACE=${JSON.stringify(namespace)} is not a one-level identifier (letters, digits, _)`)
  // One group per namespace and topics: two sinks on other tables or topics (a test's beside the
  // user's) in one group would take each other's partitions and leave them unread.
  const groupId = r.str('K2_SINK_GROUP', `k2-iceberg-sink.${namespace}.${tradesTopic}`, 'Kafka consumer group of the sink (its offsets are for monitoring; positions come from the table); default k2-iceberg-sink.<namespace>.<trades topic>')
  const maxRecords = r.int('K2_SINK_MAX_RECORDS', 1_000_000, 'records per table commit at most (bounds memory: about 100 bytes each while staged)', 1, 20_000_000)
  const maxAgeMs = r.int('K2_SINK_MAX_AGE_MS', 30_000, 'longest a record waits for its commit (lake lag; the Kafka tail covers freshness)', 100, 3_600_000)
  const rowGroupSize = r.int('K2_SINK_ROW_GROUP_SIZE', defaultRowGroupRows, 'rows per Parquet row group', 1024, 10_000_000)
  const sessionTimeoutMs = r.int('K2_SINK_SESSION_TIMEOUT_MS', 10_000, "Kafka session timeout of the sink's consumer (failover time after a crash)", 6_000, 300_000)
  const maxUncommittedMs = r.int('K2_SINK_MAX_UNCOMMITTED_MS', 20 * 60_000, 'a batch uploaded longer ago than this is re-read instead of committed (its files may be gone as orphans)', 10_000, 86_400_000)
  const chaosRaw = r.str('K2_SINK_CHAOS', '', 'chaos tests only: phase:probability,… at which the sink SIGKILLs itself (phases: ' + sinkPhases.join(', ') + ')')
  const chaos: Partial<Record<SinkPhase, number>> = {}
  for (const part of chaosRaw.split(',').filter((x) => x.trim() !== '')) {
    const [phase, p] = part.split(':').map((x) => x.trim())
    if (!(sinkPhases as readonly string[]).includes(phase ?? '') || !(Number(p) >= 0 && Number(p) <= 1)) r.problems.push(`K2_SINK_CHAOS entry ${JSON.stringify(part)} is not phase:probability with a phase among ${sinkPhases.join(', ')} and a probability from 0 to 1`)
    else chaos[phase as SinkPhase] = Number(p)
  }
  return { metricsPort, namespace, groupId, maxRecords, maxAgeMs, rowGroupSize, sessionTimeoutMs, maxUncommittedMs, chaos }
}

/**
 * Maintenance, but its niceness (read with the API's, see readApi). The orphan age is checked
 * against the sink's longest uncommitted upload, whose files it must not take as orphans.
 */
function readMaintenance(r: EnvReader, offset: number, sinkMaxUncommittedMs: number): Omit<WorkbenchConfig['maintenance'], 'nice'> {
  const metricsPort = r.port('K2_MAINTENANCE_METRICS_PORT', 9466 + offset, 'maintenance worker /metrics port')
  const intervalMs = r.int('K2_MAINTENANCE_INTERVAL_MS', 60_000, 'time between maintenance rounds', 100, 86_400_000)
  const targetFileBytes = r.int('K2_MAINTENANCE_TARGET_FILE_BYTES', 128 * 2 ** 20, 'target size of compacted data files', 1024, 2 ** 31)
  const openHourMinFiles = r.int('K2_MAINTENANCE_OPEN_HOUR_MIN_FILES', 16, 'small files of one partition in the hour still being written that are merged together (a closed hour is merged from two)', 2, 100_000)
  const snapshotMaxAgeMs = r.int('K2_MAINTENANCE_SNAPSHOT_MAX_AGE_MS', 6 * 3600_000, 'snapshots older than this are expired (time travel reaches this far back)', 0, 365 * 86_400_000)
  const keepSnapshots = r.int('K2_MAINTENANCE_KEEP_SNAPSHOTS', 20, 'newest snapshots always kept', 1, 100_000)
  const rollupIntervalMs = r.int('K2_ROLLUP_INTERVAL_MS', 5_000, 'time between rounds of the one-minute rollup (trades_bars_1m) while it is current', 100, 3_600_000)
  const orphanMinAgeMs = r.int('K2_MAINTENANCE_ORPHAN_MIN_AGE_MS', 3600_000, 'unreferenced files are deleted once older than this', 60_000, 365 * 86_400_000)

  if (orphanMinAgeMs < 2 * sinkMaxUncommittedMs) {
    r.problems.push(`K2_MAINTENANCE_ORPHAN_MIN_AGE_MS=${orphanMinAgeMs} must be at least twice K2_SINK_MAX_UNCOMMITTED_MS=${sinkMaxUncommittedMs}: otherwise maintenance could delete files the sink uploaded and is about to commit`)
  }
  return { metricsPort, intervalMs, targetFileBytes, openHourMinFiles, snapshotMaxAgeMs, keepSnapshots, orphanMinAgeMs, rollupIntervalMs }
}

function readQuery(r: EnvReader, root: string, state: string): WorkbenchConfig['query'] {
  const cacheDir = path.resolve(root, r.str('K2_QUERY_CACHE_DIR', path.join(state, 'query-cache'), 'local copies of lake data files read by queries'))
  const cacheMaxBytes = r.int('K2_QUERY_CACHE_MAX_BYTES', 4 * 2 ** 30, 'bytes of data file copies to keep', 0, 2 ** 50)
  const slices = r.int('K2_QUERY_SLICES', 64, 'minute slices of lake files the query engine keeps for reads confined to a few minutes (0: none)', 0, 100_000)
  const refreshMs = r.int('K2_QUERY_REFRESH_MS', 1000, 'how often the query engine reloads table metadata', 50, 3_600_000)
  const tailIdleMs = r.int('K2_QUERY_TAIL_IDLE_MS', 60_000, 'how long the Kafka tail reads with no query before it rests (0: always)', 0, 86_400_000)
  const timeoutMs = r.int('K2_QUERY_TIMEOUT_MS', 30_000, 'default query timeout', 100, 3_600_000)
  const concurrency = r.int('K2_QUERY_CONCURRENCY', 4, 'queries at the same time per engine', 1, 64)
  const memoryLimit = r.str('K2_QUERY_MEMORY_LIMIT', '2GB', "DuckDB's memory limit in the query engine")
  if (!/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(memoryLimit)) r.problems.push(`K2_QUERY_MEMORY_LIMIT=${JSON.stringify(memoryLimit)} is not a size such as 2GB or 512MiB`)
  return { cacheDir, cacheMaxBytes, slices, refreshMs, tailIdleMs, timeoutMs, concurrency, memoryLimit }
}

/**
 * The API, and the niceness of the maintenance worker and the notebook kernel: configKeys()
 * lists the three niceness keys together, after the API's port, so they are read here.
 */
function readApi(r: EnvReader, offset: number): { api: WorkbenchConfig['api']; niceness: { maintenance: number; notebook: number } } {
  const port = r.port('K2_API_PORT', 8010 + offset, 'HTTP API port')
  const nice = r.int('K2_API_NICE', 5, 'scheduling niceness of the API worker: its queries yield the CPU to the ingest and sink when the machine is busy', 0, 19)
  const maintenanceNice = r.int('K2_MAINTENANCE_NICE', 10, 'scheduling niceness of the maintenance worker: compaction waits for the ingest, sink and queries', 0, 19)
  const notebookNice = r.int('K2_NOTEBOOK_NICE', 0, 'scheduling niceness of the notebook kernel JupyterLab starts (0: the user\'s foreground; 5 makes its queries yield the CPU as the API\'s do)', 0, 19)
  const maxRows = r.int('K2_API_MAX_ROWS', 10_000, 'rows one API response carries at most', 1, 1_000_000)
  const maxRangeMs = r.int('K2_API_MAX_RANGE_MS', 31 * 86_400_000, 'widest time range an API request may ask for', 1000, 3650 * 86_400_000)
  const timeoutMs = r.int('K2_API_TIMEOUT_MS', 10_000, 'API request timeout (504 beyond it)', 100, 600_000)
  return { api: { port, maxRows, maxRangeMs, timeoutMs, nice }, niceness: { maintenance: maintenanceNice, notebook: notebookNice } }
}

/**
 * Degradation: thresholds set here get recovery thresholds at `K2_DEGRADE_RECOVER_RATIO` of
 * them; thresholds left at their defaults keep the policy's own recovery thresholds.
 */
function readDegrade(r: EnvReader): WorkbenchConfig['degrade'] {
  const enabled = r.oneOf('K2_DEGRADE', 'on', ['on', 'off'] as const, 'degradation manager and load shedder in the ingest worker and the sink') === 'on'
  const cooldownMs = r.int('K2_DEGRADE_COOLDOWN_MS', defaultDegradationPolicy.cooldownMs, 'time every signal must stay below a level\'s recovery threshold before stepping down one level', 0, 3_600_000)
  const recoverRatio = Number(r.str('K2_DEGRADE_RECOVER_RATIO', '0.5', 'recovery threshold as a fraction of the entry threshold, for thresholds set here (hysteresis)'))
  if (!(recoverRatio > 0 && recoverRatio < 1)) r.problems.push(`K2_DEGRADE_RECOVER_RATIO=${recoverRatio} must be between 0 and 1 (exclusive)`)
  const windowMs = r.int('K2_DEGRADE_WINDOW_MS', defaultStandingWindowMs, 'standing window of the backlog, lag and heap signals: a level rises only on what stood for the whole window', 1000, 600_000)
  const thresholds: Partial<Record<SignalName, SignalRule>> = {}
  for (const [name, fallback] of Object.entries(defaultDegradationPolicy.thresholds) as Array<[SignalName, SignalRule]>) {
    const key = `K2_DEGRADE_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`
    const levels = ['SOFT', 'GRACEFUL', 'AGGRESSIVE', 'CIRCUIT_BREAK'].slice(0, fallback.enter.length).join(', ')
    const raw = r.str(key, fallback.enter.join(','), `${name}: entry thresholds of ${levels} (rising; "off" ignores the signal)`)
    if (raw === 'off') continue
    // The backlog, lag and heap share one standing window; a rule with its own (the feed reader's) keeps it.
    const judge = fallback.judge.kind === 'standing' && fallback.judge.windowMs === defaultStandingWindowMs ? { ...fallback.judge, windowMs } : fallback.judge
    if (raw === fallback.enter.join(',')) {
      thresholds[name] = { ...fallback, judge }
      continue
    }
    const enter = raw.split(',').map((x) => Number(x.trim()))
    if (enter.length !== fallback.enter.length || enter.some((x) => !Number.isFinite(x) || x < 0) || enter.some((x, i) => i > 0 && x <= enter[i - 1]!)) {
      r.problems.push(`${key}=${JSON.stringify(raw)} is not ${fallback.enter.length} rising non-negative number(s) (${levels})`)
      continue
    }
    thresholds[name] = { ...fallback, judge, enter, recover: enter.map((x) => x * recoverRatio) }
  }
  return { enabled, policy: { cooldownMs, thresholds } }
}

function readWorker(r: EnvReader): WorkbenchConfig['worker'] {
  const stopGraceMs = r.int('K2_STOP_GRACE_MS', 30_000, 'a stopping worker finishes commits in flight and its final flush within this (then the stack manager waits 10 s more before SIGKILL)', 1_000, 300_000)
  const stopWithPid = r.int('K2_STOP_WITH_PID', 0, 'workers stop cleanly once this process exits (set by a notebook kernel for the workers it starts; 0: never)', 0, 2 ** 31 - 1)
  return { stopWithPid: stopWithPid === 0 ? undefined : stopWithPid, stopGraceMs }
}

/** Notebook parameters; the kernel's niceness was read with the API's (see readApi). */
function readNotebook(r: EnvReader, nice: number): WorkbenchConfig['notebook'] {
  const mode = r.oneOf('K2_NOTEBOOK_MODE', 'full', ['quick', 'full'] as const, 'notebooks: quick (short headless run, CI and reports) or full (a presentation)')
  const rangeMinutes = r.int('K2_NOTEBOOK_RANGE_MINUTES', 15, 'notebooks: minutes of history the analysis cells look back over', 1, 525_600)
  const symbol = r.str('K2_NOTEBOOK_SYMBOL', 'BTCUSDT', 'notebooks: the symbol the single-symbol cells look at').toUpperCase()
  return { mode, rangeMinutes, symbol, nice }
}

function readLog(r: EnvReader): WorkbenchConfig['log'] {
  const level = r.oneOf<LogLevel>('K2_LOG_LEVEL', 'info', ['debug', 'info', 'warn', 'error', 'silent'], 'log threshold')
  const format = r.oneOf('K2_LOG_FORMAT', 'pretty', ['pretty', 'json'] as const, 'log line format')
  return { level, format }
}

/** Two services on one port would fail only when the second starts: say so at parse time. */
function checkDistinctPorts(r: EnvReader, ports: ReadonlyArray<readonly [string, number]>): void {
  const seen = new Map<number, string>()
  for (const [key, port] of ports) {
    const other = seen.get(port)
    if (other) r.problems.push(`${key} and ${other} are both ${port}: every service needs its own port`)
    seen.set(port, key)
  }
}

/** Returns a secret from the config or throws a clear error naming the key to set. */
export function requireSecret(value: string | undefined, key: string): string {
  if (value) return value
  throw new WorkbenchError(
    ErrorCode.ConfigInvalid,
    `${key} is not set: export it, or run \`npm run stack -- up\`, which generates local credentials into the state folder`,
  )
}
