export { rejectReasons } from './types'
export type { Trade, Quote, TradeSide, RejectReason } from './types'
