export { runIcebergSink, ensureTable } from './sink-kafka-iceberg'
export type { IcebergSinkOptions, IcebergSinkDeps, SinkReport, SinkRejectReason } from './sink-kafka-iceberg'
export { offsetsSummary, offsetsOfSnapshot, tableOffsets, mergeOffsets, summaryTopicKey, summaryOffsetsKey } from './snapshot-offsets'
export type { SnapshotOffsets } from './snapshot-offsets'
