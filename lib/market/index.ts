export { rejectReasons } from './types'
export type { Trade, Quote, TradeSide, RejectReason } from './types'
export { Timestamp, isoMicros, microsOf, parseIsoMicros } from './timestamp'
