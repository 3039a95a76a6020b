import { ErrorCode, WorkbenchError } from '../errors/index'
import { arrayAt, numberAt, objectAt, stringAt, valueAt, type JsonDocument } from './json-fields'

/**
 * What the cost model knows about this code from its benchmarks (docs/bench/*.json), plus the
 * workload (which queries, how often) and a few named assumptions that no benchmark measures.
 * `figuresFromBenchmarks` extracts the figures from the parsed JSON; reading the files is the
 * caller's job.
 */

/** The shape of one query of the mix: what it reads, so the model can size it at any scale. */
export interface QueryShape {
  /** One symbol (reads one bucket of each table it touches) or all symbols (every bucket). */
  readonly symbols: 'one' | 'all'
  /** Length of the time window read, minutes. */
  readonly windowMinutes: number
  /** How long before now the window ends, minutes (0: up to now). */
  readonly minutesAgo: number
  readonly tables: 'trades' | 'trades+quotes'
}

/** A query of the workload, named as in docs/bench/query.json, and how often it runs. */
export interface QueryWorkloadEntry extends QueryShape {
  readonly name: string
  readonly queriesPerHour: number
}

/** A query of the mix with what the query benchmark measured for it. */
export interface QueryClass extends QueryWorkloadEntry {
  /** Rows the query returned in the benchmark (what goes back to the analyst). */
  readonly resultRows: number
}

/** Figures no benchmark here measures, named so that a report can list them. */
export interface AssumedFigures {
  /** GET requests per data file a query reads: 1, as the engine's file cache downloads whole files. */
  readonly getsPerFileRead: number
  /** Metadata objects a table commit writes: a manifest, a manifest list, a metadata.json. */
  readonly metadataPutsPerCommit: number
  /** Objects a reader fetches per new snapshot: metadata.json, manifest list, the new manifest. */
  readonly readerMetadataGetsPerCommit: number
  /** Consumer groups reading every Kafka record: the sink and the query engine's tail. */
  readonly kafkaConsumerGroups: number
  /** Replicated write rate one broker is allowed (leader plus follower bytes, MiB/s) before adding brokers. */
  readonly kafkaBrokerWriteMiBps: number
  /** Cores one worker process can use (a Node main thread plus its producer or DuckDB thread). */
  readonly coresPerProcess: number
  /** Memory of the processes beside the workers (Iceberg REST catalog JVM, maintenance), MiB. */
  readonly otherProcessesMiB: number
  /** Bytes a result row takes on the wire to the analyst (JSON). */
  readonly resultBytesPerRow: number
}

/** Figures measured by the benchmarks (per trade; used for quotes too, see `assumptions`). */
export interface MeasuredFigures {
  /** Each benchmark used: its command and date. */
  readonly sources: readonly string[]
  /** Parquet bytes per message in the lake, as the sink commits them and after compaction. */
  readonly lakeBytesPerMessage: { readonly asCommitted: number; readonly afterCompaction: number }
  /** Bytes per message in Kafka's log (Avro in compressed batches, one replica). */
  readonly kafkaBytesPerMessage: number
  /** Messages per second one core ingests (parse, normalise, Avro encode, produce with acks=all). */
  readonly ingestMessagesPerSecondPerCore: number
  /** Messages per second one core sinks (consume, decode, sort, write Parquet, commit). */
  readonly sinkMessagesPerSecondPerCore: number
  /** Core-µs to rewrite one message's share of small files into a compacted file. */
  readonly compactionCoreMicrosPerMessage: number
  /** Partitions a commit writes one file each in, when every symbol trades (bucket[16](symbol)). */
  readonly lakeBuckets: number
  /** A commit is cut at this many records even before the commit interval (K2_SINK_MAX_RECORDS). */
  readonly maxRecordsPerCommit: number
  /** Small files of the open hour that trigger a merge (planCompaction's openHourMinFiles). */
  readonly compactionOpenHourMinFiles: number
  /** Data files per hour per table the sink wrote in the live benchmark, and at what rate (a check on the model). */
  readonly measuredFilesPerHour: { readonly filesPerHourPerTable: number; readonly messagesPerSecond: number; readonly commitIntervalSeconds: number; readonly symbols: number }
  /** Core-seconds a query costs whatever it reads (planning, tail, conversion). */
  readonly queryOverheadCoreSeconds: number
  /** Core-seconds per GiB of Parquet a query scans. */
  readonly queryCoreSecondsPerGib: number
  /** Resident memory of one process of each worker, MiB. */
  readonly memoryMiB: { readonly ingest: number; readonly sink: number; readonly query: number }
  readonly queryMix: readonly QueryClass[]
  readonly assumed: AssumedFigures
  /** How each figure was derived and what it assumes, one line each. */
  readonly assumptions: readonly string[]
}

/** Named assumptions (see AssumedFigures for each one's reason). */
export const defaultAssumedFigures: AssumedFigures = {
  getsPerFileRead: 1,
  metadataPutsPerCommit: 3,
  readerMetadataGetsPerCommit: 3,
  kafkaConsumerGroups: 2,
  kafkaBrokerWriteMiBps: 20,
  coresPerProcess: 2,
  otherProcessesMiB: 1024,
  resultBytesPerRow: 100,
}

/**
 * The query mix: one analyst dashboard that refreshes recent trades every 30 s and 1-minute
 * bars every minute, with a few heavier questions an hour. Names are those of docs/bench/query.json.
 */
export const defaultQueryWorkload: readonly QueryWorkloadEntry[] = [
  { name: 'recent_trades_hybrid', queriesPerHour: 120, symbols: 'one', windowMinutes: 5, minutesAgo: 0, tables: 'trades' },
  { name: 'symbol_time_filter', queriesPerHour: 20, symbols: 'one', windowMinutes: 60, minutesAgo: 360, tables: 'trades' },
  { name: 'bars_1h_1m', queriesPerHour: 60, symbols: 'one', windowMinutes: 60, minutesAgo: 0, tables: 'trades' },
  { name: 'bars_24h_all', queriesPerHour: 4, symbols: 'all', windowMinutes: 1440, minutesAgo: 0, tables: 'trades' },
  { name: 'latest_per_symbol', queriesPerHour: 12, symbols: 'all', windowMinutes: 1440, minutesAgo: 0, tables: 'trades' },
  { name: 'asof_join', queriesPerHour: 10, symbols: 'one', windowMinutes: 5, minutesAgo: 0, tables: 'trades+quotes' },
]

/** The query-benchmark query that reads the whole lake (all symbols, 24 h): it calibrates core-seconds per GiB. */
export const scanCalibrationQuery = 'bars_24h_all'

/** planCompaction's default for openHourMinFiles (lib/maintenance/compaction-plan.ts). */
const openHourMinFilesDefault = 16

const bytesPerGib = 2 ** 30

/** The parsed benchmark results the figures come from (docs/bench/ingest-*.json, sink.json, query.json). */
export interface BenchmarkResults {
  readonly ingest: unknown
  readonly sink: unknown
  readonly query: unknown
  /** bench:scale's result, when it has run: CPU per record of one shard and one sink process, measured. */
  readonly scale?: unknown
}

/**
 * Extracts the cost model's figures from parsed benchmark JSON (pure). Per-core rates are the
 * benchmark's rate over all the machine's cores, which the broker and the other services shared:
 * an upper bound on CPU per message. Throws CONFIG_INVALID naming the benchmark and the missing
 * or malformed key, or a workload query the query benchmark did not run.
 */
export function figuresFromBenchmarks(results: BenchmarkResults, workload: readonly QueryWorkloadEntry[] = defaultQueryWorkload, assumed: AssumedFigures = defaultAssumedFigures): MeasuredFigures {
  const ingest: JsonDocument = { value: results.ingest, what: 'ingest benchmark' }
  const sink: JsonDocument = { value: results.sink, what: 'sink benchmark' }
  const query: JsonDocument = { value: results.query, what: 'query benchmark' }
  objectAt(ingest, '')
  objectAt(sink, '')
  objectAt(query, '')
  if (valueAt(ingest.value, 'benchmark') !== 'ingest') throw new WorkbenchError(ErrorCode.ConfigInvalid, `ingest benchmark: benchmark must be "ingest", got ${JSON.stringify(valueAt(ingest.value, 'benchmark'))}: pass docs/bench/ingest-*.json`)
  if (valueAt(sink.value, 'benchmark') !== 'sink') throw new WorkbenchError(ErrorCode.ConfigInvalid, `sink benchmark: benchmark must be "sink", got ${JSON.stringify(valueAt(sink.value, 'benchmark'))}: pass docs/bench/sink.json`)

  // Ingest: steady records/s = steady trades/s × (records / trades), spread over the machine's cores.
  const ingestCores = numberAt(ingest, 'machine.cores', { positive: true })
  const recordsPerTrade = numberAt(ingest, 'recordsPerSecond', { positive: true }) / numberAt(ingest, 'tradesPerSecond', { positive: true })
  const ingestPerCore = (numberAt(ingest, 'steadyTradesPerSecond', { positive: true }) * recordsPerTrade) / ingestCores
  const kafkaBytesPerMessage = numberAt(ingest, 'kafkaBytesPerTrade', { positive: true })

  // Sink: the backlog drain (size-triggered commits) is the sink's own ceiling, over the machine's cores.
  const sinkCores = numberAt(sink, 'machine.cores', { positive: true })
  const sinkPerCore = numberAt(sink, 'backlog.tradesPerSecond', { positive: true }) / sinkCores
  const backlogTrades = numberAt(sink, 'backlog.trades', { positive: true })
  // Compaction: wall seconds × cores / trades rewritten, in µs (an upper bound: it includes waiting on MinIO).
  const compactionMicros = ((numberAt(sink, 'backlog.files.compactionSeconds') * sinkCores) / backlogTrades) * 1e6
  const asCommitted = numberAt(sink, 'backlog.bytesPerTrade.asCommitted', { positive: true })
  const afterCompaction = numberAt(sink, 'backlog.bytesPerTrade.afterCompaction', { positive: true })

  // Query: core-seconds = p50 wall time × engine threads (both threads busy: an upper bound).
  const threads = numberAt(query, 'engine.threads', { positive: true })
  const queries = arrayAt(query, 'queries')
  const byName = new Map<string, number>()
  queries.forEach((_q, i) => byName.set(stringAt(query, `queries.${i}.name`), i))
  const coreSecondsOf = (i: number): number => (numberAt(query, `queries.${i}.ms.p50`, { positive: true }) / 1000) * threads
  if (queries.length === 0) throw new WorkbenchError(ErrorCode.ConfigInvalid, 'query benchmark: queries must list at least one query, got none')
  // Overhead: the cheapest query's core-seconds (it reads almost nothing).
  const overhead = Math.min(...queries.map((_q, i) => coreSecondsOf(i)))
  const scanIndex = byName.get(scanCalibrationQuery)
  if (scanIndex === undefined) throw new WorkbenchError(ErrorCode.ConfigInvalid, `query benchmark: queries must include ${scanCalibrationQuery} (the full scan that calibrates core-seconds per GiB), got ${[...byName.keys()].join(', ')}`)
  // GiB the scan read: every trade of the lake at the sink's committed bytes per trade (the lake was written in 1M-row appends like the backlog).
  const scanGib = (numberAt(query, 'lake.trades', { positive: true }) * asCommitted) / bytesPerGib
  const perGib = Math.max(0, coreSecondsOf(scanIndex) - overhead) / scanGib
  const peakQueryRss = Math.max(...queries.map((_q, i) => numberAt(query, `queries.${i}.peakRssMiB`, { positive: true })))

  const queryMix: QueryClass[] = workload.map((w) => {
    const i = byName.get(w.name)
    if (i === undefined) throw new WorkbenchError(ErrorCode.ConfigInvalid, `query benchmark: the workload's query ${JSON.stringify(w.name)} is not among its queries (${[...byName.keys()].join(', ')}); run it in bench/query.ts or drop it from the workload`)
    return { ...w, resultRows: numberAt(query, `queries.${i}.rows`) }
  })

  // bench:scale measured the CPU each worker process used per record (1,500 symbols, trades and
  // quotes): where it has run, the per-core rates, and so the instance counts, come from it
  // rather than from a machine-wide rate.
  const scale: JsonDocument | undefined = results.scale === undefined ? undefined : { value: results.scale, what: 'scale benchmark' }
  const perProcess = scale && { ingest: 1e6 / numberAt(scale, 'shards.0.cpuMicrosPerMessage', { positive: true }), sink: 1e6 / numberAt(scale, 'sinks.0.cpuMicrosPerRecord', { positive: true }) }

  const describe = (doc: JsonDocument): string => `${stringAt(doc, 'command')} (${stringAt(doc, 'date')})`
  return {
    sources: [describe(ingest), describe(sink), describe(query), ...(scale ? [describe(scale)] : [])],
    lakeBytesPerMessage: { asCommitted, afterCompaction },
    kafkaBytesPerMessage,
    ingestMessagesPerSecondPerCore: perProcess?.ingest ?? ingestPerCore,
    sinkMessagesPerSecondPerCore: perProcess?.sink ?? sinkPerCore,
    compactionCoreMicrosPerMessage: compactionMicros,
    lakeBuckets: numberAt(sink, 'backlog.filesPerCommit.max', { positive: true }),
    maxRecordsPerCommit: numberAt(sink, 'settings.maxRecords', { positive: true }),
    compactionOpenHourMinFiles: openHourMinFilesDefault,
    measuredFilesPerHour: {
      filesPerHourPerTable: numberAt(sink, 'live.filesPerHourBeforeCompaction'),
      // The rate the sink committed at while it wrote those files.
      messagesPerSecond: numberAt(sink, 'live.committedTradesPerSecondSteady', { positive: true }),
      commitIntervalSeconds: numberAt(sink, 'settings.maxAgeMs', { positive: true }) / 1000,
      symbols: numberAt(ingest, 'symbols', { positive: true }),
    },
    queryOverheadCoreSeconds: overhead,
    queryCoreSecondsPerGib: perGib,
    memoryMiB: { ingest: numberAt(ingest, 'rssMiB.maxAfterWarmup', { positive: true }), sink: numberAt(sink, 'backlog.peakRssMiB', { positive: true }), query: peakQueryRss },
    queryMix,
    assumed,
    assumptions: [
      perProcess
        ? `per-core rates are 1 / the CPU one ingest shard and one sink process used per record in bench:scale (1,500 symbols, trades and quotes): ${Math.round(perProcess.ingest).toLocaleString('en')} and ${Math.round(perProcess.sink).toLocaleString('en')} records/s per core; Kafka, MinIO and the catalog are priced apart`
        : `per-core rates are benchmark rate / ${ingestCores} cores of a machine shared with Kafka, MinIO and the catalog: an upper bound on CPU per message, taken to hold for one vCPU`,
      'quotes (bookTicker) are taken to cost what a trade costs in CPU, Kafka bytes and Parquet bytes: no benchmark measures quotes alone',
      "compaction µs per message = the sink benchmark's compaction wall seconds × cores / trades; an open-hour merge rewrites its k small files once, and the close rewrites the hour once more, which the model counts",
      `query core-seconds = p50 ms × ${threads} engine threads; per GiB from ${scanCalibrationQuery} over the whole benchmark lake at ${asCommitted} bytes per trade, less the cheapest query's core-seconds`,
      `query mix is a workload assumption (${workload.reduce((s, w) => s + w.queriesPerHour, 0)} queries per hour), the same at every scale`,
      `GETs: ${assumed.getsPerFileRead} per data file a query reads (whole-file download); ${assumed.readerMetadataGetsPerCommit} per commit for the reader's metadata; PUTs: ${assumed.metadataPutsPerCommit} metadata objects per commit`,
      `Kafka: ${assumed.kafkaConsumerGroups} consumer groups read every record; a broker takes up to ${assumed.kafkaBrokerWriteMiBps} MiB/s of replicated writes`,
    ],
  }
}
