/**
 * Every metric the workbench exports, with its help text: the one list Prometheus rules,
 * dashboards and the exposition test read. Names follow Prometheus conventions (base units,
 * `_total` for counters, `_seconds`, `_bytes`); label values come from bounded sets.
 */
export const metricDefinitions = {
  ingestFrames: { type: 'counter', name: 'k2_ingest_frames_total', help: 'WebSocket frames received, by what they turned into', labels: ['kind'] },
  ingestRecords: { type: 'counter', name: 'k2_ingest_records_total', help: 'Records produced to Kafka (acknowledged), by stream', labels: ['stream'] },
  ingestDeadLetters: { type: 'counter', name: 'k2_ingest_dead_letters_total', help: 'Frames sent to the dead-letter topic, by reason', labels: ['reason'] },
  ingestDuplicates: { type: 'counter', name: 'k2_ingest_duplicates_total', help: 'Trades and quotes dropped as already ingested', labels: ['stream'] },
  ingestOutOfOrder: { type: 'counter', name: 'k2_ingest_out_of_order_total', help: 'Trades that arrived with an id below the highest seen for their symbol', labels: [] },
  ingestGaps: { type: 'counter', name: 'k2_ingest_gaps_total', help: 'Trade-id gaps detected and sent for repair', labels: [] },
  ingestGapTradesRepaired: { type: 'counter', name: 'k2_ingest_gap_trades_repaired_total', help: 'Trades fetched from REST history to fill gaps', labels: [] },
  ingestGapTradesUnrepairable: { type: 'counter', name: 'k2_ingest_gap_trades_unrepairable_total', help: 'Trade ids in gaps that REST history could not supply', labels: [] },
  ingestReconnects: { type: 'counter', name: 'k2_ingest_reconnects_total', help: 'WebSocket reconnections, by cause', labels: ['cause'] },
  ingestConnected: { type: 'gauge', name: 'k2_ingest_connected', help: '1 while a WebSocket connection to the feed is open', labels: [] },
  ingestHeldTrades: { type: 'gauge', name: 'k2_ingest_held_trades', help: 'Trades held back waiting for earlier ids', labels: [] },
  ingestProduceLatency: { type: 'histogram', name: 'k2_ingest_produce_latency_seconds', help: 'Time from frame receipt to Kafka acknowledgement', labels: ['stream'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] },
  sinkRecords: { type: 'counter', name: 'k2_sink_records_total', help: 'Records committed to Iceberg, by table', labels: ['table'] },
  sinkBytes: { type: 'counter', name: 'k2_sink_bytes_total', help: 'Bytes of Parquet data files committed to Iceberg, by table', labels: ['table'] },
  sinkFilesPerCommit: { type: 'histogram', name: 'k2_sink_files_per_commit', help: 'Data files in each sink commit, by table', labels: ['table'], buckets: [1, 2, 4, 8, 16, 32, 64, 128] },
  sinkCommitLatency: { type: 'histogram', name: 'k2_sink_commit_latency_seconds', help: 'Time from a flush starting (files written, uploaded) to its snapshot committed, by table', labels: ['table'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] },
  sinkCommitConflicts: { type: 'counter', name: 'k2_sink_commit_conflicts_total', help: 'Commits answered 409 by the catalog and rebased, by table', labels: ['table'] },
  sinkCommitRetries: { type: 'counter', name: 'k2_sink_commit_retries_total', help: 'Commit attempts retried after an outage or an unknown outcome, by table', labels: ['table'] },
  sinkAbandonedBatches: { type: 'counter', name: 'k2_sink_abandoned_batches_total', help: 'Batches dropped because the table already held their offsets (another instance committed them), by table', labels: ['table'] },
  sinkLagRecords: { type: 'gauge', name: 'k2_sink_lag_records', help: 'Records in Kafka not yet committed to the table, by table', labels: ['table'] },
  sinkLagSeconds: { type: 'gauge', name: 'k2_sink_lag_seconds', help: 'Age of the oldest record not yet committed to the table (0 when caught up), by table', labels: ['table'] },
  sinkDeadLetters: { type: 'counter', name: 'k2_sink_dead_letters_total', help: 'Kafka records the sink could not decode, sent to the dead-letter topic, by reason', labels: ['reason'] },
  maintenanceCompactions: { type: 'counter', name: 'k2_maintenance_compactions_total', help: 'Replace commits by compaction, by table', labels: ['table'] },
  maintenanceFilesCompacted: { type: 'counter', name: 'k2_maintenance_files_compacted_total', help: 'Data files replaced by compaction, by table', labels: ['table'] },
  maintenanceSnapshotsExpired: { type: 'counter', name: 'k2_maintenance_snapshots_expired_total', help: 'Snapshots expired, by table', labels: ['table'] },
  maintenanceOrphansDeleted: { type: 'counter', name: 'k2_maintenance_orphan_files_deleted_total', help: 'Unreferenced files deleted, by table', labels: ['table'] },
  maintenanceCommitConflicts: { type: 'counter', name: 'k2_maintenance_commit_conflicts_total', help: 'Maintenance commits answered 409 and rebased, by table', labels: ['table'] },
  maintenanceDataFiles: { type: 'gauge', name: 'k2_maintenance_data_files', help: 'Live data files in the current snapshot, by table', labels: ['table'] },
} as const

export type MetricKey = keyof typeof metricDefinitions
