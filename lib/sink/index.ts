export { runIcebergSink, ensureTable } from './sink-kafka-iceberg'
export type { IcebergSinkOptions, IcebergSinkDeps, SinkReport, SinkRejectReason } from './sink-kafka-iceberg'
export { offsetsSummary, offsetsOfSnapshot, tableOffsets, partialTableOffsets, mergeOffsets, summaryTopicKey, summaryOffsetsKey } from './snapshot-offsets'
export type { SnapshotOffsets, KnownOffsets } from './snapshot-offsets'
