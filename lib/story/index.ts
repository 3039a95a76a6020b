/**
 * What the story notebooks do in their cells, so a cell reads as a sentence of the story: read
 * the live stack (worker counters, Prometheus, the lake, the tail), shape what it says into
 * tables and charts, and check the promises the story makes (a failed check throws, failing
 * `npm run notebooks`). Exported as the `story` namespace of lib/index.ts.
 */
export type { StoryStack, StoryWorker, ScrapedWorker, PromSample, PromPoint, Sleep } from './story-stack'
export { storyParameters, describeRun, storyRange } from './run-parameters'
export type { StoryParameters, StoryRange } from './run-parameters'
export { readingOf, ratesBetween, sampleIngestRates, meanRatesLine, ingestRateChart } from './ingest-rates'
export type { StreamRate, CounterReading } from './ingest-rates'
export { topicRoles, recordsHeld, topicRows } from './topics-kafka'
export type { TopicRow } from './topics-kafka'
export { avroTypeName, schemaFields } from './record-schema'
export type { SchemaFieldRow } from './record-schema'
export { commitsSince, snapshotRows, snapshotDetailRows, partitionOf, partitionFileRows, lakeFiles, jsonBytesPerTrade, parquetBytesPerTrade, bytesPerTradeChart } from './lake-snapshots'
export type { SnapshotRow, SnapshotDetailRow } from './lake-snapshots'
export { bytesPerTrade } from './lake-footprint-files'
export { readMonitoring, ingestRatePoints, lakeLagPoints, ingestRateHistoryChart, lakeLagChart, readCommitLatency, commitLatencyLine, scrapeTargetRows } from './monitoring'
export type { IngestRatePoint, LakeLagPoint, CommitLatency } from './monitoring'
export { phaseBands, overloadLevelChart, overloadFlowChart, offeredAndBehindChart, transitionRows, invariantRows, invariantsCaption, invariantsLine, assertInvariants, overloadSampleLine, overloadSampleBundle } from './overload-views'
export { tradesBySource, boundaryLine, boundaryRows, sampleFreshness, freshnessRows } from './hybrid-reads'
export type { SourceRow, FreshnessSample } from './hybrid-reads'
export { storyQueries, measureQueryLatency, latencyChart, benchmarkLatencyChart, peersLatencyChart } from './query-latency'
export type { NamedQuery, LatencyRow } from './query-latency'
export { ceilingTable, peerSystemRows } from './benchmark-views'
export { money } from '../cost/index'
export {
  leverSummary,
  measuredFigureRows,
  scaleRows,
  scaleAssumptions,
  costByComponentChart,
  costLines,
  seedAndTargetLine,
  targetLine,
  seedComparisonRows,
  perMillionChart,
  sensitivityRows,
  sensitivityChart,
  commitIntervalSweep,
  commitIntervalChart,
  assumptionRows,
  priceSourceRows,
} from './cost-views'
export type { IntervalCost } from './cost-views'
export {
  barsCandlestickChart,
  newestBarRows,
  closeVsVwapChart,
  quoteCoverageLine,
  tradeQuoteRows,
  spreadDistributionChart,
  volumeBySymbol,
  volumeByTier,
  topSymbolsChart,
  gapTotals,
  gapReportLine,
  worstSymbolsFirst,
} from './trade-exploration'
export type { SymbolVolume } from './trade-exploration'
export { timeTravel, timeTravelLine } from './time-travel'
export type { TimeTravelReading } from './time-travel'
export { killSinkMidCommit, restartSink, proveLakeWhole, proofLine, assertNothingDoubled } from './sink-chaos'
export type { SinkKill, SinkRestart, ProofRow, LakeProof } from './sink-chaos'
