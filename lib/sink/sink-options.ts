import type { Kafka } from 'kafkajs'
import type { RecordSerde } from '../avro/serde-registry'
import type { SinkPhase } from './sink-phases'
import type { DegradationTransition } from '../degrade/degradation-manager'
import type { DegradationPolicy } from '../degrade/degradation-policy'
import type { RestCatalogClient } from '../iceberg/catalog-rest'
import type { FileIO } from '../iceberg/file-io'
import type { CommitPolicy } from '../iceberg/table-commit'
import type { Logger } from '../logger/index'
import type { Metrics } from '../metrics/index'

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
  /**
   * Bytes one fetch returns per partition at most (default 4 MiB). The sink learns a partition's
   * end, and so its own backlog, from the fetches it handles: a backlog that fits in one fetch
   * is read (though not committed) as soon as it is handled.
   */
  readonly fetchBytesPerPartition?: number
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
