/**
 * The K2 workbench library's public surface: what a notebook or a pipeline imports. Tests and
 * the project's tools reach every module through lib/internal instead; anything not named here
 * is an internal part, free to change.
 */

// ── Configuration, errors, logging: every entry point starts here ──────────────────────────
/** One typed configuration from the environment (`loadConfig(process.env)`); every key and its default in `configKeys()`. */
export { parseConfig, loadConfig, configKeys, projectRoot } from './config/index'
export type { WorkbenchConfig, ConfigKey } from './config/index'
/** Errors carry a code and a retry flag; `retry` and `pollUntil` wait things out. */
export { ErrorCode, WorkbenchError, isWorkbenchError, isTransientError, errorMessage, retry, backoffDelay, sleep, settleWithin, pollUntil, restartPolicy } from './errors/index'
export type { RetryPolicy } from './errors/index'
export { createLogger, silentLogger } from './logger/index'
export type { Logger, LogLevel } from './logger/index'
export { requestJson } from './http/index'

// ── Querying the lake and the Kafka tail (notebooks, the API) ────────────────────────────────
/** The hybrid engine on the configured stack: the committed Iceberg snapshot joined with the Kafka tail. */
export { createWarehouseFileIO, openQueryEngine } from './wiring/index'
export type { OpenQueryEngineOptions } from './wiring/index'
export type { QueryEngine, QueryResult, EngineTable } from './query/index'
export type { Queryable, TimeRange, TimeTravel, TradeRow, QuoteRow, BarRow, LatestTradeRow, TradeQuoteRow, SymbolRow, GapRow, GapSummaryRow } from './query/index'
/** Market analytics over the engine (`analytics.bars(engine, …)`), grouped so `trades`/`bars` do not crowd the top level. */
export * as analytics from './query/market-analytics'
/** Market records and exact timestamps (µs since the epoch). */
export { Timestamp, isoMicros, microsOf, parseIsoMicros } from './market/index'
export type { Trade, Quote, TradeSide } from './market/index'
/** The schema registry, the catalog and the tables' designs, for looking under the hood. */
export { createSchemaRegistryClient, createRecordSerde, valueSubject, tradeSchema } from './avro/index'
export { createManifestReader, createRestCatalogClient, tradesTable, quotesTable, quoteIdent, sqlString } from './iceberg/index'

// ── The story notebooks ──────────────────────────────────────────────────────────────────────
/** What the story notebooks do in their cells (`story.sampleIngestRates(wb, …)`), grouped so the notebooks' helpers do not crowd the top level. */
export * as story from './story/index'
/** Charts and tables in a notebook (Plotly, Vega-Lite, HTML), and a display that updates in place. */
export { tableBundle, show, createLiveDisplay } from './viz/index'
export type { DisplayBundle } from './viz/index'
/** The cost model, its scales and levers, and the committed benchmark figures it reads. */
export { scaleNames, scales, defaultLevers, estimateCost, estimateAtScales, figuresFromBenchmarks, sensitivity, seedCostPerMillion, largeScaleTargetPerMillion, compareScalesWithSeed, costModelReport, readBenchmarkIndex, readBenchmarkResults, readUnitPrices, readQueryBenchmark, readPeerSystems, machineCeiling, peersLatency } from './cost/index'
export type { Scale, CostEstimate } from './cost/index'
/** The overload demo, run on the configured stack, and its recorded timelines. */
export { overloadDemoRun, runOverloadDemoFromConfig, removeOverloadDemoFromConfig, writeOverloadTimeline, readOverloadTimeline } from './scenarios/index'
export type { OverloadSample } from './scenarios/index'
/** Degradation levels, in order. */
export { degradationLevels, levelAtRank } from './degrade/index'
export type { DegradationLevel, DegradationTransition } from './degrade/index'

// ── The workers (pipelines/) ─────────────────────────────────────────────────────────────────
/** The replay exchange (Binance's protocol over a seeded market) and its resume file. */
export { createReplayExchange, resumeFilePath, readResumeFile, writeResumeFile, createSyntheticMarket, captureLine } from './feed/index'
export type { ReplayFaults } from './feed/index'
/** The ingest: exchange → normalised Avro records → Kafka, one transaction per batch; its shards. */
export { createThreadedKafkaSender, runIngestor, shardTransactionalId } from './ingest/index'
export { parseShard, wholeFeed } from './ingest/shard'
export type { IngestShard } from './ingest/shard'
/** The exactly-once sink: Kafka → Iceberg, the offsets in each snapshot. */
export { runIcebergSink, processWorkDir } from './sink/index'
export type { SinkPhase } from './sink/index'
/** Maintenance: compaction, expiry, orphan removal, and the rollups it keeps. */
export { runMaintenance } from './maintenance/index'
export { minuteBarsTable, minuteBarsRollup, compactionTimeColumns, latestTradesTable, latestTradesRollup, runRollup } from './rollup/index'
/** The HTTP API over the engine, and its health checks. */
export { startApiServer, createHealthChecks } from './api/index'
/** Prometheus metrics: one registry per worker, its server, and reading an exposition back. */
export { createMetrics, createWorkerMetrics, startMetricsServer, quantile, parseExposition } from './metrics/index'
export type { Metrics, MetricSample } from './metrics/index'
