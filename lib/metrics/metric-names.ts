/**
 * Every metric the workbench exports, with its help text: the one list Prometheus rules,
 * dashboards and the exposition test read. Names follow Prometheus conventions (base units,
 * `_total` for counters, `_seconds`, `_bytes`); label values come from bounded sets (tables,
 * streams, reasons, error codes, routes, levels: never a symbol or an id).
 */
export const metricDefinitions = {
  ingestFrames: { type: 'counter', name: 'k2_ingest_frames_total', help: 'WebSocket frames received, by what they turned into', workers: ['ingest'], labels: ['kind'] },
  ingestRecords: { type: 'counter', name: 'k2_ingest_records_total', help: 'Records produced to Kafka (acknowledged), by stream', workers: ['ingest'], labels: ['stream'] },
  ingestDeadLetters: { type: 'counter', name: 'k2_ingest_dead_letters_total', help: 'Frames sent to the dead-letter topic, by reason', workers: ['ingest'], labels: ['reason'] },
  ingestDuplicates: { type: 'counter', name: 'k2_ingest_duplicates_total', help: 'Trades and quotes dropped as already ingested', workers: ['ingest'], labels: ['stream'] },
  ingestOutOfOrder: { type: 'counter', name: 'k2_ingest_out_of_order_total', help: 'Trades that arrived with an id below the highest seen for their symbol', workers: ['ingest'], labels: [] },
  ingestGaps: { type: 'counter', name: 'k2_ingest_gaps_total', help: 'Trade-id gaps detected and sent for repair', workers: ['ingest'], labels: [] },
  ingestGapTradesRepaired: { type: 'counter', name: 'k2_ingest_gap_trades_repaired_total', help: 'Trades fetched from REST history to fill gaps', workers: ['ingest'], labels: [] },
  ingestGapTradesUnrepairable: { type: 'counter', name: 'k2_ingest_gap_trades_unrepairable_total', help: 'Trade ids in gaps that REST history could not supply', workers: ['ingest'], labels: [] },
  ingestReconnects: { type: 'counter', name: 'k2_ingest_reconnects_total', help: 'WebSocket reconnections, by cause', workers: ['ingest'], labels: ['cause'] },
  ingestFeedPauses: { type: 'counter', name: 'k2_ingest_feed_pauses_total', help: 'Times the ingest stopped reading the feed, by cause (backpressure: Kafka behind; circuit_break: the degradation level)', workers: ['ingest'], labels: ['cause'] },
  ingestConnected: { type: 'gauge', name: 'k2_ingest_connected', help: '1 while every WebSocket connection to the feed is open (one per group of at most 1,024 streams)', workers: ['ingest'], labels: [] },
  ingestHeldTrades: { type: 'gauge', name: 'k2_ingest_held_trades', help: 'Trades held back waiting for earlier ids', workers: ['ingest'], labels: [] },
  ingestProduceLatency: { type: 'histogram', name: 'k2_ingest_produce_latency_seconds', help: 'Time from frame receipt to Kafka acknowledgement', workers: ['ingest'], labels: ['stream'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] },
  sinkRecords: { type: 'counter', name: 'k2_sink_records_total', help: 'Records committed to Iceberg, by table', workers: ['iceberg-sink'], labels: ['table'] },
  sinkBytes: { type: 'counter', name: 'k2_sink_bytes_total', help: 'Bytes of Parquet data files committed to Iceberg, by table', workers: ['iceberg-sink'], labels: ['table'] },
  sinkFilesPerCommit: { type: 'histogram', name: 'k2_sink_files_per_commit', help: 'Data files in each sink commit, by table', workers: ['iceberg-sink'], labels: ['table'], buckets: [1, 2, 4, 8, 16, 32, 64, 128] },
  sinkCommitLatency: { type: 'histogram', name: 'k2_sink_commit_latency_seconds', help: 'Time from a flush starting (files written, uploaded) to its snapshot committed, by table', workers: ['iceberg-sink'], labels: ['table'], buckets: [0.1, 0.25, 0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 15, 20, 30, 60] },
  sinkCommitPhase: { type: 'histogram', name: 'k2_sink_commit_phase_seconds', help: 'Time of each part of a lake commit (write: sort and write Parquet; upload: data files to the object store; manifests, manifest_list, catalog: the Iceberg commit), by table and phase', workers: ['iceberg-sink'], labels: ['table', 'phase'], buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] },
  sinkCommitConflicts: { type: 'counter', name: 'k2_sink_commit_conflicts_total', help: 'Commits answered 409 by the catalog and rebased, by table', workers: ['iceberg-sink'], labels: ['table'] },
  sinkCommitRetries: { type: 'counter', name: 'k2_sink_commit_retries_total', help: 'Commit attempts retried after an outage or an unknown outcome, by table', workers: ['iceberg-sink'], labels: ['table'] },
  sinkAbandonedBatches: { type: 'counter', name: 'k2_sink_abandoned_batches_total', help: 'Batches dropped because the table already held their offsets (another instance committed them), by table', workers: ['iceberg-sink'], labels: ['table'] },
  sinkLagRecords: { type: 'gauge', name: 'k2_sink_lag_records', help: 'Records in Kafka not yet committed to the table, by table', workers: ['iceberg-sink'], labels: ['table'] },
  sinkLagSeconds: { type: 'gauge', name: 'k2_sink_lag_seconds', help: 'Age of the oldest record not yet committed to the table (0 when caught up), by table', workers: ['iceberg-sink'], labels: ['table'] },
  sinkDeadLetters: { type: 'counter', name: 'k2_sink_dead_letters_total', help: 'Kafka records the sink could not decode, sent to the dead-letter topic, by reason', workers: ['iceberg-sink'], labels: ['reason'] },
  maintenanceCompactions: { type: 'counter', name: 'k2_maintenance_compactions_total', help: 'Replace commits by compaction, by table', workers: ['maintenance'], labels: ['table'] },
  maintenanceFilesCompacted: { type: 'counter', name: 'k2_maintenance_files_compacted_total', help: 'Data files replaced by compaction, by table', workers: ['maintenance'], labels: ['table'] },
  maintenanceSnapshotsExpired: { type: 'counter', name: 'k2_maintenance_snapshots_expired_total', help: 'Snapshots expired, by table', workers: ['maintenance'], labels: ['table'] },
  maintenanceManifestsMerged: { type: 'counter', name: 'k2_maintenance_manifests_merged_total', help: 'Data manifests merged away by manifest rewrites (merged in, less written out), by table', workers: ['maintenance'], labels: ['table'] },
  maintenanceOrphansDeleted: { type: 'counter', name: 'k2_maintenance_orphan_files_deleted_total', help: 'Unreferenced files deleted, by table', workers: ['maintenance'], labels: ['table'] },
  maintenanceCommitConflicts: { type: 'counter', name: 'k2_maintenance_commit_conflicts_total', help: 'Maintenance commits answered 409 and rebased, by table', workers: ['maintenance'], labels: ['table'] },
  maintenanceMissingFiles: { type: 'gauge', name: 'k2_maintenance_missing_files', help: 'Data files the current snapshot names that the object store does not hold (found by the orphan sweep), by table', workers: ['maintenance'], labels: ['table'] },
  maintenanceDataFiles: { type: 'gauge', name: 'k2_maintenance_data_files', help: 'Live data files in the current snapshot, by table', workers: ['maintenance'], labels: ['table'] },
  rollupCommits: { type: 'counter', name: 'k2_rollup_commits_total', help: 'Rollup commits folding in source appends, by rollup table', workers: ['maintenance'], labels: ['table'] },
  rollupTradesFolded: { type: 'counter', name: 'k2_rollup_source_rows_total', help: 'Source rows (trades) folded into the rollup, by rollup table', workers: ['maintenance'], labels: ['table'] },
  rollupLagSeconds: { type: 'gauge', name: 'k2_rollup_lag_seconds', help: 'Age of the source snapshots the rollup has not folded in yet (the source\'s newest commit time less that of the one the rollup holds; 0 when current), by rollup table', workers: ['maintenance'], labels: ['table'] },
  queryDuration: { type: 'histogram', name: 'k2_query_duration_seconds', help: 'Query time in the engine (planning, tail wait, DuckDB), by kind of query', workers: ['api'], labels: ['kind'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] },
  queryErrors: { type: 'counter', name: 'k2_query_errors_total', help: 'Queries that failed, by error code', workers: ['api'], labels: ['code'] },
  queryFilesScanned: { type: 'counter', name: 'k2_query_files_scanned_total', help: 'Data files queries read after pruning, by table', workers: ['api'], labels: ['table'] },
  queryFilesPruned: { type: 'counter', name: 'k2_query_files_pruned_total', help: 'Data files queries skipped by partition or column bounds, by table', workers: ['api'], labels: ['table'] },
  queryLakeSlices: { type: 'counter', name: 'k2_query_lake_slices_total', help: "Minutes of lake reads confined to a few minutes (D93), by how they went: 'hit' read from a minute slice, 'miss' read from the data files, 'built' slices written, 'failed' slices not written", workers: ['api'], labels: ['result'] },
  queryTailRecords: { type: 'counter', name: 'k2_query_tail_records_total', help: 'Kafka tail records hybrid queries read beside the lake, by table', workers: ['api'], labels: ['table'] },
  queryTailReads: { type: 'counter', name: 'k2_query_tail_reads_total', help: "Hybrid queries by where their Kafka tail read ended: 'tail' where the tail stood (its marks checked after the run), 'marks' after waiting for the tail to reach them, 'rerun' run again at the marks, 'index' answered from the engine's in-memory latest index at the marks", workers: ['api'], labels: ['end'] },
  queryTailKept: { type: 'gauge', name: 'k2_query_tail_kept_records', help: 'Records the Kafka tail holds that the lake may not have yet, by topic', workers: ['api'], labels: ['topic'] },
  queryCacheBytes: { type: 'gauge', name: 'k2_query_cache_bytes', help: 'Bytes of data files in the local cache', workers: ['api'], labels: [] },
  queryCacheDownloads: { type: 'counter', name: 'k2_query_cache_downloads_total', help: 'Data files downloaded into the local cache', workers: ['api'], labels: [] },
  apiRequests: { type: 'counter', name: 'k2_api_requests_total', help: 'HTTP API requests, by route and status code', workers: ['api'], labels: ['route', 'status'] },
  apiLatency: { type: 'histogram', name: 'k2_api_request_duration_seconds', help: 'HTTP API request time, by route', workers: ['api'], labels: ['route'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] },
  degradeLevel: { type: 'gauge', name: 'k2_degrade_level', help: 'Degradation level: 0 NORMAL, 1 SOFT, 2 GRACEFUL, 3 AGGRESSIVE, 4 CIRCUIT_BREAK, by worker', workers: ['ingest', 'iceberg-sink'], labels: ['worker'] },
  degradeTransitions: { type: 'counter', name: 'k2_degrade_transitions_total', help: 'Degradation level changes, by worker and from/to level', workers: ['ingest', 'iceberg-sink'], labels: ['worker', 'from', 'to'] },
  degradeTimeInLevel: { type: 'counter', name: 'k2_degrade_time_in_level_seconds_total', help: 'Time spent at each degradation level, by worker', workers: ['ingest', 'iceberg-sink'], labels: ['worker', 'level'] },
  degradeSignal: { type: 'gauge', name: 'k2_degrade_signal', help: 'Degradation signals as the policy judged them (standing minimum over the window, or a percentile), by worker and signal', workers: ['ingest', 'iceberg-sink'], labels: ['worker', 'signal'] },
  degradeShed: { type: 'counter', name: 'k2_degrade_shed_records_total', help: 'Records deferred to the deferred topic instead of the hot topic, by stream and symbol tier', workers: ['ingest'], labels: ['stream', 'tier'] },
  degradeBackfilled: { type: 'counter', name: 'k2_degrade_backfilled_records_total', help: 'Deferred records committed to the lake by the sink, by table and symbol tier', workers: ['iceberg-sink'], labels: ['table', 'tier'] },
} as const satisfies Record<string, MetricDefinition>

export type MetricKey = keyof typeof metricDefinitions

/** The workers that serve /metrics; each registers all of its metrics when it starts. */
export const metricWorkers = ['ingest', 'iceberg-sink', 'maintenance', 'api'] as const
export type MetricWorker = (typeof metricWorkers)[number]

/** One metric: its Prometheus name and help, its label names, and the workers that export it. */
export interface MetricDefinition {
  readonly type: 'counter' | 'gauge' | 'histogram'
  readonly name: string
  readonly help: string
  readonly workers: readonly MetricWorker[]
  readonly labels: readonly string[]
  readonly buckets?: readonly number[]
}

/**
 * Node.js process metrics every worker also exports (prom-client's default collectors), for
 * CPU and memory per worker on the dashboard and in the cost model's measured figures.
 */
export const processMetricNames = ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes'] as const
