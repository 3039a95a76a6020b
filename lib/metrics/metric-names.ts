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
} as const

export type MetricKey = keyof typeof metricDefinitions
