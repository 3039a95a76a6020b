export { ensureTopics, ensureTopicsOnce, freshTopicOffsets } from './topics-admin'
export { createHighWaterMarks, clusterFactoryOf } from './high-water-marks'
export type { HighWaterMarks, PartitionMark } from './high-water-marks'
