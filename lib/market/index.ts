export type { Trade, Quote, TradeSide, RejectReason } from './types'
