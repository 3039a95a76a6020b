export { createSequenceTracker } from './sequence-tracker'
export type { SequenceTracker, SequenceTrackerOptions, SequenceCounters, TradeGap } from './sequence-tracker'
