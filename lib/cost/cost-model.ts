import { ErrorCode, WorkbenchError } from '../errors/index'
import type { MeasuredFigures, QueryClass } from './measured-figures'
import type { InstancePrice, UnitPrices } from './unit-prices'

/**
 * The cost model (pure): what running the workbench in the cloud costs a month, and per million
 * messages, from unit prices, the benchmarks' figures, a scale (how much market data) and the
 * levers an operator can pull. Every formula is one commented line; the arithmetic is plain
 * enough to redo by hand, and `detail` shows each intermediate count.
 */

/** Hours in a billing month, as AWS prices them. */
export const hoursPerMonth = 730
const secondsPerMonth = hoursPerMonth * 3600
/** AWS bills a GB as 2^30 bytes. */
const bytesPerGb = 2 ** 30
/** The open (not yet compacted) hour is on average half over. */
const openHourAgeMinutes = 30

/** How much market data: symbols, trades and quotes per second, averaged over a day. */
export interface Scale {
  readonly name: string
  readonly symbols: number
  readonly tradesPerSecond: number
  /** bookTicker quotes per second (0: the quotes stream is not ingested). */
  readonly quotesPerSecond: number
  /** Share of the messages of the symbol a one-symbol query reads (analysts look at the busy symbols). */
  readonly querySymbolShare: number
  /** Where the numbers come from, in words. */
  readonly assumption: string
}

export type ScaleName = 'small' | 'medium' | 'large'

/** The three scales, smallest first: the order every table and chart shows them in. */
export const scaleNames: readonly ScaleName[] = ['small', 'medium', 'large']

/** The three scales of issue 8. The rates are assumptions, stated in each `assumption`. */
export const scales: Readonly<Record<ScaleName, Scale>> = {
  small: {
    name: 'small',
    symbols: 2,
    tradesPerSecond: 5,
    quotesPerSecond: 0,
    querySymbolShare: 0.6,
    assumption: 'BTCUSDT and ETHUSDT trades only, as the seed project ingested them, at the "few trades per second" the seeds ran at (5/s). Binance spot itself averages more on these two pairs (tens per second, from general knowledge, not measured here).',
  },
  medium: {
    name: 'medium',
    symbols: 100,
    tradesPerSecond: 4_000,
    quotesPerSecond: 0,
    querySymbolShare: 0.1,
    assumption: 'The top 100 Binance spot symbols, trades only: 80% of the whole exchange\'s 5,000 trades/s (trade counts concentrate in the top pairs). A one-symbol query reads a symbol with 10% of them. An assumption from general knowledge, not measured.',
  },
  large: {
    name: 'large',
    symbols: 1_500,
    tradesPerSecond: 5_000,
    quotesPerSecond: 50_000,
    querySymbolShare: 0.05,
    assumption: 'The whole Binance spot exchange (about 1,500 symbols) plus bookTicker quotes: 5,000 trades/s averaged over the day across all symbols ("several thousand"), and quotes at 10x the trade rate (every change of a best bid or ask is one). An assumption from general knowledge, not measured: peaks run several times higher, and a lower true average raises $ per million, since the fixed costs stay.',
  },
}

/** What an operator can change. */
export interface Levers {
  /** The sink commits at least this often (K2_SINK_MAX_AGE_MS / 1000); more often when a commit reaches maxRecordsPerCommit. */
  readonly commitIntervalSeconds: number
  /** Kafka bytes relative to the measured codec (zstd): 1.07 for gzip, 6.45 for none (docs/bench). The lake stays zstd Parquet. */
  readonly compressionFactor: number
  readonly kafkaRetentionHours: number
  readonly lakeRetentionDays: number
  /** Hourly compaction by the maintenance worker (one file per partition per hour; the open hour's small files merged k at a time). */
  readonly compaction: boolean
  /** Instance type of the workers (ingest, sink, query and the catalog share instances): a key of prices.compute.instances. */
  readonly instance: string
  readonly kafka: 'managed' | 'self-run'
  /** Brokers at least (more when the write rate needs them), rounded up to a multiple of the zones. */
  readonly kafkaBrokers: number
  /** Availability zones Kafka spans (managed Kafka needs 2 or more). Clients in one zone cross to the others. */
  readonly kafkaZones: number
  readonly kafkaReplicationFactor: number
  /** Workers are sized to run at this CPU utilisation on average (headroom for bursts and catch-up). */
  readonly cpuTargetUtilisation: number
  /** Share of the data files a query reads that the engine's local file cache already holds (0: every read is a GET). */
  readonly queryCacheHitRatio: number
}

/** The levers as the workbench ships: 30-s commits, zstd, the broker's 7-day retention, a year of lake, compaction on, MSK. */
export const defaultLevers: Levers = {
  commitIntervalSeconds: 30,
  compressionFactor: 1,
  kafkaRetentionHours: 168,
  lakeRetentionDays: 365,
  compaction: true,
  instance: 'm7g.large',
  kafka: 'managed',
  kafkaBrokers: 3,
  kafkaZones: 3,
  kafkaReplicationFactor: 3,
  cpuTargetUtilisation: 0.6,
  queryCacheHitRatio: 0,
}

/** Monthly cost by component, $. */
export interface CostBreakdown {
  readonly computeIngest: number
  readonly computeSink: number
  readonly computeQuery: number
  readonly kafka: number
  readonly objectStorage: number
  readonly requests: number
  readonly network: number
}

/** The components of CostBreakdown, in the order a table shows them. */
export const costComponents: ReadonlyArray<keyof CostBreakdown> = ['computeIngest', 'computeSink', 'computeQuery', 'kafka', 'objectStorage', 'requests', 'network']

/** Each component as a reader sees it (tables, chart legends). */
export const costComponentTitles: Readonly<Record<keyof CostBreakdown, string>> = {
  computeIngest: 'compute: ingest',
  computeSink: 'compute: sink',
  computeQuery: 'compute: queries',
  kafka: 'Kafka',
  objectStorage: 'object storage',
  requests: 'S3 requests',
  network: 'network',
}

/** What the sink and the maintenance worker do to one table, per hour. */
export interface TableActivity {
  readonly table: 'trades' | 'quotes'
  readonly messagesPerSecond: number
  readonly commitsPerHour: number
  /** Partitions (buckets) a commit writes a file in: fewer than the buckets when few symbols trade. */
  readonly filesPerCommit: number
  readonly dataFilesPerHour: number
  /** Merges of the open hour's small files per partition per hour (0 without compaction). */
  readonly openHourMergesPerPartition: number
  /** Times each message is rewritten by compaction (0 without). */
  readonly compactionRewriteFactor: number
  readonly putsPerHour: number
  /** Compaction reads and readers' metadata fetches (queries are counted in QueryActivity). */
  readonly getsPerHour: number
}

/** One query of the mix at this scale. */
export interface QueryActivity {
  readonly name: string
  readonly queriesPerHour: number
  readonly filesReadPerQuery: number
  readonly gibScannedPerQuery: number
  readonly coreSecondsPerQuery: number
  readonly getsPerHour: number
}

/** The monthly estimate at one scale and one set of levers, with every intermediate figure. */
export interface CostEstimate {
  readonly scale: string
  readonly levers: Levers
  readonly messagesPerSecond: number
  readonly messagesPerMonth: number
  readonly monthly: CostBreakdown
  readonly total: number
  /** $ per million messages (trades + quotes). */
  readonly perMillion: number
  readonly detail: {
    readonly vcpu: { readonly ingest: number; readonly sink: number; readonly query: number; readonly total: number }
    readonly memoryGiB: number
    readonly instance: string
    readonly instances: number
    readonly kafka: { readonly mode: Levers['kafka']; readonly brokers: number; readonly writeMiBps: number; readonly storageGiB: number; readonly brokerCost: number; readonly storageCost: number }
    readonly lakeStoredGiB: number
    readonly tables: readonly TableActivity[]
    readonly queries: readonly QueryActivity[]
    readonly requests: { readonly putsPerMonth: number; readonly getsPerMonth: number; readonly putCost: number; readonly getCost: number }
    readonly network: { readonly crossAzGiB: number; readonly egressGiB: number; readonly crossAzCost: number; readonly egressCost: number }
  }
}

function bad(message: string): WorkbenchError {
  return new WorkbenchError(ErrorCode.ConfigInvalid, message)
}

/** Throws CONFIG_INVALID naming the first lever or scale field out of its range. */
function checkInputs(prices: UnitPrices, scale: Scale, levers: Levers): InstancePrice {
  const instance = Object.prototype.hasOwnProperty.call(prices.compute.instances, levers.instance) ? prices.compute.instances[levers.instance] : undefined
  if (!instance) throw bad(`cost levers: instance must be one of the priced instances (${Object.keys(prices.compute.instances).join(', ')}), got ${JSON.stringify(levers.instance)}`)
  const positive: Array<[string, number]> = [['commitIntervalSeconds', levers.commitIntervalSeconds], ['compressionFactor', levers.compressionFactor]]
  for (const [k, v] of positive) if (!(v > 0 && Number.isFinite(v))) throw bad(`cost levers: ${k} must be a number > 0, got ${v}`)
  const nonNegative: Array<[string, number]> = [['kafkaRetentionHours', levers.kafkaRetentionHours], ['lakeRetentionDays', levers.lakeRetentionDays]]
  for (const [k, v] of nonNegative) if (!(v >= 0 && Number.isFinite(v))) throw bad(`cost levers: ${k} must be a number ≥ 0, got ${v}`)
  if (!(levers.cpuTargetUtilisation > 0 && levers.cpuTargetUtilisation <= 1)) throw bad(`cost levers: cpuTargetUtilisation must be in (0, 1], got ${levers.cpuTargetUtilisation}`)
  if (!(levers.queryCacheHitRatio >= 0 && levers.queryCacheHitRatio <= 1)) throw bad(`cost levers: queryCacheHitRatio must be in [0, 1], got ${levers.queryCacheHitRatio}`)
  const counts: Array<[string, number]> = [['kafkaBrokers', levers.kafkaBrokers], ['kafkaZones', levers.kafkaZones], ['kafkaReplicationFactor', levers.kafkaReplicationFactor]]
  for (const [k, v] of counts) if (!(Number.isInteger(v) && v >= 1)) throw bad(`cost levers: ${k} must be a whole number ≥ 1, got ${v}`)
  if (levers.kafkaReplicationFactor > levers.kafkaBrokers) throw bad(`cost levers: kafkaReplicationFactor (${levers.kafkaReplicationFactor}) must not exceed kafkaBrokers (${levers.kafkaBrokers}): each replica needs its own broker`)
  if (levers.kafka !== 'managed' && levers.kafka !== 'self-run') throw bad(`cost levers: kafka must be "managed" or "self-run", got ${JSON.stringify(levers.kafka)}`)
  if (levers.kafka === 'managed' && levers.kafkaZones < 2) throw bad(`cost levers: managed Kafka (MSK) spreads brokers over 2 or 3 zones, got kafkaZones ${levers.kafkaZones}; use kafka "self-run" for a single zone`)
  if (typeof levers.compaction !== 'boolean') throw bad(`cost levers: compaction must be true or false, got ${JSON.stringify(levers.compaction)}`)
  if (!(Number.isInteger(scale.symbols) && scale.symbols >= 1)) throw bad(`scale ${scale.name}: symbols must be a whole number ≥ 1, got ${scale.symbols}`)
  if (!(scale.tradesPerSecond > 0)) throw bad(`scale ${scale.name}: tradesPerSecond must be > 0, got ${scale.tradesPerSecond}`)
  if (!(scale.quotesPerSecond >= 0)) throw bad(`scale ${scale.name}: quotesPerSecond must be ≥ 0, got ${scale.quotesPerSecond}`)
  if (!(scale.querySymbolShare > 0 && scale.querySymbolShare <= 1)) throw bad(`scale ${scale.name}: querySymbolShare must be in (0, 1], got ${scale.querySymbolShare}`)
  return instance
}

/** Expected partitions a commit touches when `symbols` hash into `buckets`: B·(1 − (1 − 1/B)^S). */
export function expectedBuckets(buckets: number, symbols: number): number {
  return buckets * (1 - Math.pow(1 - 1 / buckets, symbols)) // each bucket is empty with probability (1 − 1/B)^S
}

/** Commits per hour of one table: by the interval, or by the record cap when that comes first. */
export function commitsPerHour(messagesPerSecond: number, commitIntervalSeconds: number, maxRecordsPerCommit: number): number {
  return Math.max(3600 / commitIntervalSeconds, (messagesPerSecond * 3600) / maxRecordsPerCommit) // interval-triggered vs size-triggered commits
}

/** Open-hour merges per partition per hour: one per k new small files (earlier merges wait for the close). */
export function openHourMerges(commits: number, minFiles: number): number {
  return Math.floor(commits / minFiles) // merge j happens at commit j·k
}

/** Times compaction rewrites each message of an hour: the closing merge (1) plus the open-hour merges, which rewrite n·k of the m commits once. */
export function compactionRewriteFactor(commits: number, minFiles: number): number {
  if (commits < 2) return 0 // one file per hour: nothing to merge
  return 1 + (openHourMerges(commits, minFiles) * minFiles) / commits // n·k / m of the hour once more, plus the whole hour at the close
}

/** Data files a query reads in one partition of one table. */
export function filesReadPerPartition(query: QueryClass, commits: number, minFiles: number, compaction: boolean): number {
  const commitSeconds = 3600 / commits // seconds between commits
  if (!compaction) return Math.ceil((query.windowMinutes * 60) / commitSeconds) + 1 // one file per commit in the window, plus the one straddling its start
  const openMinutes = Math.max(0, Math.min(query.minutesAgo + query.windowMinutes, openHourAgeMinutes) - query.minutesAgo) // part of the window in the open hour
  const closedMinutes = query.windowMinutes - openMinutes // part in compacted hours
  const openSmallFiles = Math.floor(commits >= minFiles ? (minFiles - 1) / 2 : commits / 2) // small files since the last merge (or since the hour began), on average
  const windowCommits = Math.ceil((openMinutes * 60) / commitSeconds) // commits in the open part of the window
  const small = Math.min(windowCommits, openSmallFiles) // the window's newest commits, still small files
  const openFiles = openMinutes > 0 ? small + Math.ceil(Math.max(1, windowCommits - small) / minFiles) : 0 // plus the open-hour merges holding the rest (at least the one straddling the window's start)
  return openFiles + Math.ceil(closedMinutes / 60) // one compacted file per closed hour
}

/**
 * Monthly cost of running the workbench at `scale` with `levers`, by component, and per million
 * messages (pure). Throws CONFIG_INVALID for a lever or scale out of range.
 */
export function estimateCost(prices: UnitPrices, figures: MeasuredFigures, scale: Scale, levers: Levers): CostEstimate {
  const instance = checkInputs(prices, scale, levers)
  const a = figures.assumed
  const k = figures.compactionOpenHourMinFiles
  const util = levers.cpuTargetUtilisation
  const mps = scale.tradesPerSecond + scale.quotesPerSecond // messages per second, both streams
  const messagesPerMonth = mps * secondsPerMonth // messages/s × 2,628,000 s
  const lakeBytes = levers.compaction ? figures.lakeBytesPerMessage.afterCompaction : figures.lakeBytesPerMessage.asCommitted // Parquet bytes per message at rest

  // Lake activity per table.
  const streams: Array<{ table: 'trades' | 'quotes'; rate: number }> = [{ table: 'trades', rate: scale.tradesPerSecond }]
  if (scale.quotesPerSecond > 0) streams.push({ table: 'quotes', rate: scale.quotesPerSecond })
  const buckets = expectedBuckets(figures.lakeBuckets, scale.symbols) // files per commit
  const tables: TableActivity[] = streams.map(({ table, rate }) => {
    const m = commitsPerHour(rate, levers.commitIntervalSeconds, figures.maxRecordsPerCommit)
    const n = levers.compaction ? openHourMerges(m, k) : 0
    const close = levers.compaction && m >= 2 ? 1 : 0 // the closed hour's final merge
    const sinkPuts = m * (buckets + a.metadataPutsPerCommit) // each commit: a data file per partition, plus the metadata objects
    const compactionPuts = (n + close) * (buckets + a.metadataPutsPerCommit) // each merge round: a file per partition, plus one commit's metadata
    const compactionGets = close ? (m + n) * buckets : 0 // every small file read once (by an open-hour merge or the close), each merged file once more at the close
    const readerGets = (m + n + close) * a.readerMetadataGetsPerCommit // the query engine loads each new snapshot's metadata
    return {
      table,
      messagesPerSecond: rate,
      commitsPerHour: m,
      filesPerCommit: buckets,
      dataFilesPerHour: m * buckets,
      openHourMergesPerPartition: n,
      compactionRewriteFactor: levers.compaction ? compactionRewriteFactor(m, k) : 0,
      putsPerHour: sinkPuts + compactionPuts,
      getsPerHour: compactionGets + readerGets,
    }
  })

  // Queries.
  const queries: QueryActivity[] = figures.queryMix.map((q) => {
    const read = tables.filter((t) => t.table === 'trades' || q.tables === 'trades+quotes')
    const partitions = q.symbols === 'one' ? 1 : buckets // a one-symbol query prunes to its symbol's bucket
    const share = q.symbols === 'one' ? scale.querySymbolShare : 1 // of the table's messages in the window
    const filesRead = read.reduce((s, t) => s + partitions * filesReadPerPartition(q, t.commitsPerHour, k, levers.compaction), 0)
    const gibScanned = read.reduce((s, t) => s + (t.messagesPerSecond * q.windowMinutes * 60 * share * lakeBytes) / bytesPerGb, 0) // messages in the window × Parquet bytes
    const coreSeconds = figures.queryOverheadCoreSeconds + gibScanned * figures.queryCoreSecondsPerGib // fixed overhead + scan
    const getsPerHour = q.queriesPerHour * filesRead * a.getsPerFileRead * (1 - levers.queryCacheHitRatio) // cache misses download a file each
    return { name: q.name, queriesPerHour: q.queriesPerHour, filesReadPerQuery: filesRead, gibScannedPerQuery: gibScanned, coreSecondsPerQuery: coreSeconds, getsPerHour }
  })

  // Compute: vCPUs at the target utilisation, packed onto whole instances.
  const vIngest = mps / figures.ingestMessagesPerSecondPerCore / util // messages/s ÷ messages/s per core
  const compactionCores = tables.reduce((s, t) => s + (t.messagesPerSecond * figures.compactionCoreMicrosPerMessage * t.compactionRewriteFactor) / 1e6, 0) // messages/s × core-µs × rewrites
  const vSink = (mps / figures.sinkMessagesPerSecondPerCore + compactionCores) / util // sink and its compaction
  const vQuery = queries.reduce((s, q) => s + (q.queriesPerHour * q.coreSecondsPerQuery) / 3600, 0) / util // core-seconds per hour ÷ 3600
  const vTotal = vIngest + vSink + vQuery
  const processes = (v: number): number => Math.max(1, Math.ceil(v / a.coresPerProcess)) // a worker scales out by processes of coresPerProcess
  const memoryMiB = processes(vIngest) * figures.memoryMiB.ingest + processes(vSink) * figures.memoryMiB.sink + processes(vQuery) * figures.memoryMiB.query + a.otherProcessesMiB
  const memoryGiB = memoryMiB / 1024
  const instances = Math.max(1, Math.ceil(vTotal / instance.vcpu), Math.ceil(memoryGiB / instance.memoryGiB)) // enough vCPUs and memory, at least one
  const computeCost = instances * instance.perHour * hoursPerMonth // instance-hours × $/hour
  const shareOf = (v: number): number => (vTotal > 0 ? v / vTotal : 1 / 3) // instances are shared: cost split by vCPU demand

  // Kafka.
  const kafkaBytesPerSecond = mps * figures.kafkaBytesPerMessage * levers.compressionFactor // one replica's log growth
  const rf = levers.kafkaReplicationFactor
  const writeMiBps = (kafkaBytesPerSecond * rf) / 2 ** 20 // all replicas' writes
  const brokersForWrites = Math.ceil(writeMiBps / a.kafkaBrokerWriteMiBps) // brokers the write rate needs
  const brokers = Math.ceil(Math.max(levers.kafkaBrokers, brokersForWrites) / levers.kafkaZones) * levers.kafkaZones // a multiple of the zones
  const kafkaStorageGiB = (kafkaBytesPerSecond * levers.kafkaRetentionHours * 3600 * rf) / bytesPerGb // retained bytes × replicas
  const selfRunInstance = prices.compute.instances[prices.kafkaSelfRun.instance]!
  const brokerCost = brokers * (levers.kafka === 'managed' ? prices.kafkaManaged.perBrokerHour : selfRunInstance.perHour) * hoursPerMonth // broker-hours × $/hour
  const kafkaStorageCost = kafkaStorageGiB * (levers.kafka === 'managed' ? prices.kafkaManaged.storagePerGbMonth : prices.kafkaSelfRun.volumePerGbMonth) // GB-months × $/GB-month

  // Object storage: a retention's worth of Parquet, in steady state.
  const lakeStoredGiB = (mps * 86400 * levers.lakeRetentionDays * lakeBytes) / bytesPerGb // messages/day × days × bytes
  const objectStorage = lakeStoredGiB * prices.objectStorage.perGbMonth

  // Requests.
  const putsPerMonth = tables.reduce((s, t) => s + t.putsPerHour, 0) * hoursPerMonth
  const getsPerMonth = (tables.reduce((s, t) => s + t.getsPerHour, 0) + queries.reduce((s, q) => s + q.getsPerHour, 0)) * hoursPerMonth
  const putCost = (putsPerMonth / 1000) * prices.requests.putPer1000
  const getCost = (getsPerMonth / 1000) * prices.requests.getPer1000

  // Network: Kafka traffic between zones, results out to the analysts. Feed in and S3 in-region are free.
  const z = levers.kafkaZones
  const kafkaGiBPerMonth = (kafkaBytesPerSecond * secondsPerMonth) / bytesPerGb
  const crossZone = (z - 1) / z // clients in one zone reach leaders in the others
  const followersAcross = z >= rf ? rf - 1 : (rf * (z - 1)) / z // replicas outside the leader's zone
  const replicationGiB = levers.kafka === 'self-run' ? kafkaGiBPerMonth * followersAcross : 0 // MSK does not bill replication inside the cluster
  const crossAzGiB = kafkaGiBPerMonth * crossZone * (1 + a.kafkaConsumerGroups) + replicationGiB // produce + each consumer group + replication
  const crossAzCost = crossAzGiB * prices.network.interAzPerGbEachWay * 2 // billed leaving one zone and entering the other
  const egressGiB = figures.queryMix.reduce((s, q) => s + q.queriesPerHour * hoursPerMonth * q.resultRows * a.resultBytesPerRow, 0) / bytesPerGb // result rows × bytes
  const egressCost = egressGiB * prices.network.egressInternetPerGb

  const monthly: CostBreakdown = {
    computeIngest: computeCost * shareOf(vIngest),
    computeSink: computeCost * shareOf(vSink),
    computeQuery: computeCost * shareOf(vQuery),
    kafka: brokerCost + kafkaStorageCost,
    objectStorage,
    requests: putCost + getCost,
    network: crossAzCost + egressCost,
  }
  const total = costComponents.reduce((s, c) => s + monthly[c], 0)
  return {
    scale: scale.name,
    levers,
    messagesPerSecond: mps,
    messagesPerMonth,
    monthly,
    total,
    perMillion: total / (messagesPerMonth / 1e6), // $ ÷ millions of messages
    detail: {
      vcpu: { ingest: vIngest, sink: vSink, query: vQuery, total: vTotal },
      memoryGiB,
      instance: levers.instance,
      instances,
      kafka: { mode: levers.kafka, brokers, writeMiBps, storageGiB: kafkaStorageGiB, brokerCost, storageCost: kafkaStorageCost },
      lakeStoredGiB,
      tables,
      queries,
      requests: { putsPerMonth, getsPerMonth, putCost, getCost },
      network: { crossAzGiB, egressGiB, crossAzCost, egressCost },
    },
  }
}

/** The estimate at each of the three scales with the same levers (the defaults unless given). */
export function estimateAtScales(prices: UnitPrices, figures: MeasuredFigures, levers: Levers = defaultLevers): Readonly<Record<ScaleName, CostEstimate>> {
  const at = (n: ScaleName): CostEstimate => estimateCost(prices, figures, scales[n], levers)
  return { small: at('small'), medium: at('medium'), large: at('large') }
}
