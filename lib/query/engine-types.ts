import type { Table } from 'apache-arrow'
import type { Kafka } from 'kafkajs'
import type { RecordSerde } from '../avro/index'
import type { RestCatalogClient } from '../iceberg/catalog-rest'
import type { FileIO } from '../iceberg/file-io'
import type { ScanFilter } from '../iceberg/scan-filter'
import type { Logger } from '../logger/index'
import type { Metrics } from '../metrics/index'
import type { DataFileCache } from './file-cache'
import type { QueryColumn, QueryRow } from './query-result'

/**
 * The query engine: SQL in DuckDB over the Iceberg tables `trades` and `quotes`, and, for reads
 * of the present, the Kafka tail the lake does not hold yet.
 *
 * For each table a query reads, the engine pins a snapshot S, plans the scan (only files that
 * survive partition and column-bound pruning are read, from a local cache of the immutable data
 * files), and — in hybrid mode — takes the read_committed high-water mark H of every partition
 * of the table's topic at query start, waits until its tail consumer has read up to H, and adds
 * the tail records at offsets [S's committed offsets, H). S holds exactly the records below its
 * offsets, so the union has no gap and no duplicate (docs/decisions.md, "Hybrid queries").
 * With the load shedder's deferred topics, the tail of each is read the same way from the
 * deferred offsets S records: shed records are visible before the sink backfills them, and
 * once only after (docs/decisions.md, "Shed data stays visible").
 * The SQL sees a view per table, with the table's columns and `_source` ('lake' or 'kafka').
 */
export interface QueryEngine {
  /**
   * Runs one SQL statement over the views `trades` and `quotes`. Values come in only as named
   * parameters (`$symbol`), never spliced into the text. Tables read are those named in
   * `options.tables`, else those the SQL mentions.
   */
  query<T extends QueryRow = QueryRow>(sql: string, options?: QueryOptions): Promise<QueryResult<T>>
  /**
   * The snapshots of a table, oldest first, with the Kafka offsets each holds. With `current`,
   * only the current one (none for an empty table), without loading the whole history.
   */
  snapshots(table: EngineTable, options?: { readonly current?: boolean }): Promise<SnapshotInfo[]>
  /** Reloads table metadata now (it is also refreshed in the background). */
  refresh(): Promise<void>
  /**
   * Where the tail of a table's hot topic (or its deferred topic) stands, and whether it reads or
   * rests for want of queries (undefined without Kafka, or without that topic).
   */
  tailPositions(table: EngineTable, topic?: 'hot' | 'deferred'): { next: ReadonlyMap<number, bigint>; kept: ReadonlyMap<number, bigint>; reading: boolean } | undefined
  /**
   * Whether a read of the present of `table` now is exact: always for the market tables; for a
   * rollup, when it exists and the engine reads the tail and still keeps it from the rollup's
   * offsets (a rollup far behind the trades is not kept for: read the trades instead).
   */
  readable(table: EngineTable): boolean
  /**
   * The latest row per key of a latest-row rollup (`trades_latest`) in [from, to) at the topics'
   * high-water marks now, from the engine's in-memory index of it (D91), or undefined when the
   * index cannot answer exactly (no tail, its lake part not read yet, a range it does not cover):
   * then run the SQL.
   */
  latestRows<T extends QueryRow = QueryRow>(request: LatestIndexRequest): Promise<QueryResult<T> | undefined>
  readonly cache: DataFileCache
  close(): Promise<void>
}

/** A read of the latest row per key from the engine's index of a latest-row rollup (D91). */
export interface LatestIndexRequest {
  readonly table: EngineTable
  readonly from: Date
  readonly to: Date
  /** Only these keys (symbols). */
  readonly keys?: readonly string[]
  /** Names of the result's columns, by field (default: the field's name). */
  readonly names?: Readonly<Record<string, string>>
  readonly timeoutMs?: number
  /** The query kind its duration is counted under (default `latest`). */
  readonly kind?: string
}

/** The tables SQL can name: the market tables, and the rollups kept of the trades (D74). */
export type EngineTable = 'trades' | 'quotes' | 'bars_1m' | 'trades_latest'
export const engineTables: readonly EngineTable[] = ['trades', 'quotes', 'bars_1m', 'trades_latest']


/** A parameter value: strings, numbers, bigints (64-bit ids), booleans, Dates (as TIMESTAMPTZ), string lists, null. */
export type QueryParam = string | number | bigint | boolean | Date | null | readonly string[]

/** How one table is read. */
export interface TableRead {
  /** Rows wanted: prunes files (the SQL must still filter rows). */
  readonly filter?: ScanFilter
  /** Time travel: read this snapshot (no Kafka tail). */
  readonly snapshotId?: bigint
  /** Time travel: read the snapshot current at this time, ms since the epoch (no Kafka tail). */
  readonly asOfTimestampMs?: number
  /** Add the Kafka tail (default: true when reading the present and the engine has Kafka). */
  readonly tail?: boolean
}

export interface QueryOptions {
  readonly params?: Readonly<Record<string, QueryParam>>
  readonly tables?: Readonly<Partial<Record<EngineTable, TableRead>>>
  /** Default: the engine's timeoutMs. */
  readonly timeoutMs?: number
  /** Rows returned at most; more are cut off and `truncated` is set (default: the engine's maxRows). */
  readonly maxRows?: number
  /** A label for metrics (bounded set: the analytics function names, `sql`). */
  readonly kind?: string
}

/** Where a read of one table drew its rows from: the snapshot and, in hybrid mode, the tail. */
export interface ReadBoundary {
  /** `namespace.table`. */
  readonly table: string
  /** The pinned snapshot (undefined when the table has none yet). */
  readonly snapshotId: bigint | undefined
  readonly snapshotTimestampMs: number | undefined
  /** Data files read, and skipped by pruning. */
  readonly filesScanned: number
  readonly filesPruned: number
  /** Records in the files read (before the SQL's own filtering). */
  readonly lakeRecords: bigint
  /** Locations of the data files read. */
  readonly files: readonly string[]
  /**
   * Minutes of those files read from the engine's minute slices (D93): the rows of a minute the
   * read is confined to, decoded once from the same files. Absent when every row came from the files.
   */
  readonly lakeSlices?: number
  /** The tail read of the hot topic: offsets [from, to) per partition, and the records in that range. */
  readonly tail?: TailRead
  /** The same for the load shedder's deferred topic (records shed and not yet backfilled into the snapshot). */
  readonly deferredTail?: TailRead
  /**
   * Set when the engine answered from its in-memory index of the rollup (D91) rather than a
   * query: the keys it answered. No file is read then; `snapshotId` is the snapshot the index's
   * lake part holds, and the tail reads are the records it noted past it.
   */
  readonly index?: { readonly keys: number }
}

/** A tail read of one topic: offsets [from, to) per partition, and the records in that range. */
export interface TailRead {
  readonly topic: string
  readonly from: Readonly<Record<number, bigint>>
  readonly to: Readonly<Record<number, bigint>>
  readonly records: number
  /** Of `records`, those read as the Kafka tail's folded partial rows (a rollup's read; tail-folds.ts). */
  readonly folded?: number
}

export interface QueryResult<T extends QueryRow = QueryRow> {
  readonly rows: T[]
  readonly columns: QueryColumn[]
  /** True when the result had more than maxRows rows. */
  readonly truncated: boolean
  readonly boundaries: Readonly<Partial<Record<EngineTable, ReadBoundary>>>
  /** Milliseconds: planning (metadata, manifests, downloads; tables in parallel), then waiting for the tail to reach the high-water mark, then running the SQL. */
  readonly timings: { readonly planMs: number; readonly tailMs: number; readonly executeMs: number; readonly totalMs: number }
  /** The same rows as an Arrow table, at full precision (Decimal128, Int64, µs timestamps). */
  toArrow(): Table
}

/** A snapshot as `snapshots()` lists it. */
export interface SnapshotInfo {
  readonly snapshotId: bigint
  readonly parentId: bigint | undefined
  readonly timestampMs: number
  readonly operation: string
  readonly addedRecords: number
  readonly totalRecords: number
  readonly addedFiles: number
  readonly totalFiles: number
  /** Bytes of the live data files at this snapshot (Iceberg's `total-files-size`). */
  readonly totalFilesBytes: number
  readonly current: boolean
  /** Kafka offsets the table holds at this snapshot, per partition. */
  readonly offsets: Readonly<Record<number, bigint>>
  /** The same for the deferred topic (when the engine reads one; empty before the first backfill). */
  readonly deferredOffsets?: Readonly<Record<number, bigint>>
}

export interface QueryEngineOptions {
  /** Iceberg namespace of the tables (config.sink.namespace). */
  readonly namespace: string
  /** Iceberg table names, when not `trades` and `quotes`. */
  readonly tables?: Readonly<Partial<Record<EngineTable, string>>>
  /**
   * Topics feeding the tables: given (with deps.kafka and deps.serde), queries of the present are
   * hybrid. The deferred topics (the load shedder's, backfilled by the sink) are read as tail too.
   */
  readonly topics?: EngineTopics
  /** Folder of the data file cache. */
  readonly cacheDir: string
  /** Default 4 GiB. */
  readonly cacheMaxBytes?: number
  /** Minute slices kept for reads confined to a few minutes (D93; default 64, 0: none). */
  readonly slices?: number
  /** How often table metadata is reloaded in the background (default 1000 ms). */
  readonly refreshMs?: number
  /** The Kafka tail rests after this long with no query (default 60 000 ms; 0: it always reads). */
  readonly tailIdleMs?: number
  /**
   * The tail keeps records from a rollup's offsets while it lags its source by at most this many
   * records per topic (default 2,000,000); beyond, reads of it go to the source (D74).
   */
  readonly maxRollupLagRecords?: number
  /** Default per-query timeout (default 30 s). */
  readonly timeoutMs?: number
  /** Default row limit (default 1,000,000). */
  readonly maxRows?: number
  /** Queries at the same time; each has its own DuckDB connection (default 4). */
  readonly concurrency?: number
  /** DuckDB threads (default: all cores) and memory limit (default '2GB'). */
  readonly threads?: number
  readonly memoryLimit?: string
}

/** The Kafka topics of the tables: the hot ones, and the load shedder's deferred ones when there are. */
export interface EngineTopics {
  readonly trades: string
  readonly quotes: string
  readonly deferredTrades?: string
  readonly deferredQuotes?: string
}

export interface QueryEngineDeps {
  readonly catalog: RestCatalogClient
  readonly io: FileIO
  readonly logger: Logger
  readonly metrics?: Metrics
  /** For hybrid reads. */
  readonly kafka?: Kafka
  readonly serde?: RecordSerde
  /** Sees every SQL text the engine sends to DuckDB for queries (tests prove no value is spliced in; debugging). */
  readonly onSql?: (sql: string) => void
}
