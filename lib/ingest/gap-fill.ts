import type { Trade, RejectReason } from '../market/types'
import { historyRowToTradeEvent, type HistoricalTrade } from '../feed/history-binance-rest'
import { normaliseBinanceFrame, type NormaliseContext } from './normalise-binance'
import type { TradeGap } from './sequence-tracker'

/**
 * What fills a trade-id gap: the exchange's REST history, turned into trades the way live frames
 * are. Pure.
 *
 * Each history row is rewritten as the trade event the WebSocket would have sent and passes
 * through the same normaliser, so a repaired trade is validated exactly like a live one and a row
 * that fails validation is dead-lettered with its reason, never slipped into the lake. Repaired
 * trades carry `repaired_from: rest` in their vendor data, so the lake can tell them apart.
 */

/** A trade fetched for a gap, by id, ready for the sequence tracker's `fill`. */
export interface GapTrade {
  readonly id: bigint
  readonly record: Omit<Trade, 'platformSequence'>
}

/**
 * The trades of `rows` (history of `gap.symbol`); `onReject` gets each row the normaliser refuses,
 * as the event text it was turned into, in row order.
 */
export function tradesFromHistory(
  gap: TradeGap,
  rows: readonly HistoricalTrade[],
  ctx: NormaliseContext,
  onReject: (text: string, reason: RejectReason, detail: string) => void,
): GapTrade[] {
  const fetched: GapTrade[] = []
  for (const row of rows) {
    const text = historyRowToTradeEvent(gap.symbol, row, ctx.timeUnit)
    const n = normaliseBinanceFrame(text, ctx)
    if (n.kind === 'trade') fetched.push({ id: n.trade.tradeId, record: { ...n.trade, vendorData: { ...n.trade.vendorData, repaired_from: 'rest' } } })
    else if (n.kind === 'reject') onReject(text, n.reason, n.detail)
  }
  return fetched
}

/**
 * How often due gaps are looked for (and the held-trades gauge updated): half the reorder window,
 * so a gap is taken up soon after its window ends, kept within 10 to 50 ms.
 */
export function gapCheckIntervalMs(reorderWindowMs: number): number {
  return Math.max(10, Math.min(50, Math.floor(reorderWindowMs / 2)))
}
