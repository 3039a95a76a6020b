import { errorMessage } from '../errors/index'
import type { BinanceRest } from '../feed/history-binance-rest'
import { nowMicros } from '../feed/source-binance-ws'
import type { Logger } from '../logger/index'
import type { RejectReason, Trade } from '../market/types'
import type { Metrics } from '../metrics/index'
import { gapCheckIntervalMs, tradesFromHistory, type GapTrade } from './gap-fill'
import type { NormaliseContext } from './normalise-binance'
import { createSequenceTracker, type TradeGap } from './sequence-tracker'

type LiveTrade = Omit<Trade, 'platformSequence'>

export interface SequencingOptions {
  readonly reorderWindowMs: number
  readonly maxPendingPerSymbol: number
  /** How history rows are normalised: the live feed's exchange, symbols, units and frame limit. */
  readonly context: Omit<NormaliseContext, 'receivedMicros'>
}

export interface SequencingDeps {
  readonly rest: Pick<BinanceRest, 'tradesById'>
  readonly logger: Logger
  readonly metrics: Metrics
  /** Gets every trade once, in id order per symbol: live ones and repaired ones alike. */
  readonly release: (trade: LiveTrade) => void
  /** A history row the normaliser refused. */
  readonly deadLetter: (raw: string, reason: RejectReason, detail: string, receivedMicros: bigint, source: 'rest', symbol: string) => void
  /** Fires at stop: a repair that fails then failed because of the stop, and is left alone. */
  readonly signal: AbortSignal
}

/** What sequencing counted, for the run's report. */
export interface SequencingReport {
  /** Trades and quotes dropped as already ingested. */
  readonly duplicates: number
  readonly gapTradesRepaired: number
  readonly gapTradesUnrepairable: bigint
  readonly outOfOrder: number
  readonly gaps: number
}

/** Per-symbol sequencing of the live feed, with gaps repaired from the exchange's REST history. */
export interface Sequencing {
  /** A live trade: released (with any it unblocks), held for the ids before it, or dropped as a duplicate. */
  offerTrade(trade: LiveTrade): void
  /** A live quote: true when its update id is above the last one of its symbol; false (counted) for a duplicate. */
  acceptQuote(symbol: string, updateId: bigint): boolean
  /** Resumes symbols after their checkpointed trade ids (symbols not ingested are skipped); returns how many. */
  seed(checkpoint: ReadonlyMap<string, bigint>): number
  /** Counts out-of-order trades, starts the repair of every gap due at `nowMs`, updates the held gauge. */
  checkGaps(nowMs: number): void
  /** Checks for gaps on a timer, every half reorder window (gap-fill.ts). */
  start(): void
  /** Stops the timer (at stop, and on failure where no repair is waited for). */
  stopChecking(): void
  /** At stop, once the feed is closed: waits for repairs under way, then repairs every gap still open, so no held trade is dropped. */
  finish(): Promise<void>
  report(): SequencingReport
}

/**
 * Trades leave in id order per symbol, exactly once; quotes leave only when newer than the last
 * of their symbol. A gap is fetched from REST history, normalised like live frames (gap-fill.ts)
 * and fed back to the tracker, which then releases the symbol's held trades in order. Ids the
 * history cannot supply are counted unrepairable and the symbol moves on.
 */
export function createSequencing(options: SequencingOptions, deps: SequencingDeps): Sequencing {
  const { logger: log, metrics: m, release } = deps
  const tracker = createSequenceTracker<LiveTrade>({ reorderWindowMs: options.reorderWindowMs, maxPendingPerSymbol: options.maxPendingPerSymbol })
  const lastQuote = new Map<string, bigint>()
  const duplicates = m.get('ingestDuplicates')
  const counts = { duplicates: 0, gapTradesRepaired: 0, gapTradesUnrepairable: 0n }
  const repairs = new Set<Promise<void>>()
  let outOfOrderSeen = 0
  let timer: NodeJS.Timeout | undefined

  const fetch = async (gap: TradeGap): Promise<GapTrade[] | undefined> => {
    try {
      const rows = await deps.rest.tradesById(gap.symbol, gap.from, gap.to)
      const receivedMicros = nowMicros()
      const ctx = { ...options.context, receivedMicros }
      return tradesFromHistory(gap, rows, ctx, (text, reason, detail) => deps.deadLetter(text, reason, detail, receivedMicros, 'rest', gap.symbol))
    } catch (err) {
      if (deps.signal.aborted) return undefined
      log.error('gap repair failed; the ids are counted as unrepairable', { symbol: gap.symbol, from: gap.from, to: gap.to, error: errorMessage(err) })
      return []
    }
  }

  const repair = async (gap: TradeGap): Promise<void> => {
    m.get('ingestGaps').inc()
    const started = Date.now()
    const fetched = await fetch(gap)
    if (fetched === undefined) return
    const { released, missing } = tracker.fill(gap, fetched)
    for (const t of released) release(t)
    counts.gapTradesRepaired += fetched.length
    m.get('ingestGapTradesRepaired').inc(fetched.length)
    if (missing > 0n) {
      counts.gapTradesUnrepairable += missing
      m.get('ingestGapTradesUnrepairable').inc(Number(missing))
      log.warn('trade ids missing from the exchange history', { symbol: gap.symbol, from: gap.from, to: gap.to, missing })
    }
    log.debug('gap repaired', { symbol: gap.symbol, from: gap.from, to: gap.to, fetched: fetched.length, ms: Date.now() - started })
  }

  const checkGaps = (nowMs: number): void => {
    m.get('ingestOutOfOrder').inc(tracker.counters.outOfOrder - outOfOrderSeen)
    outOfOrderSeen = tracker.counters.outOfOrder
    for (const gap of tracker.dueGaps(nowMs)) {
      const p = repair(gap).finally(() => repairs.delete(p))
      repairs.add(p)
    }
    m.get('ingestHeldTrades').set(tracker.held())
  }

  return {
    offerTrade(trade) {
      const before = tracker.counters.duplicates
      for (const t of tracker.offer(trade.symbol, trade.tradeId, trade, Date.now())) release(t)
      if (tracker.counters.duplicates > before) {
        counts.duplicates++
        duplicates.labels('trades').inc()
      }
    },
    acceptQuote(symbol, updateId) {
      const last = lastQuote.get(symbol)
      if (last !== undefined && updateId <= last) {
        counts.duplicates++
        duplicates.labels('quotes').inc()
        return false
      }
      lastQuote.set(symbol, updateId)
      return true
    },
    seed(checkpoint) {
      let seeded = 0
      for (const [symbol, lastId] of checkpoint) {
        if (!options.context.symbols.has(symbol)) continue
        tracker.seed(symbol, lastId)
        seeded++
      }
      return seeded
    },
    checkGaps,
    start() {
      timer = setInterval(() => checkGaps(Date.now()), gapCheckIntervalMs(options.reorderWindowMs))
    },
    stopChecking() {
      clearInterval(timer)
    },
    async finish() {
      await Promise.all([...repairs])
      // Trades still held wait for ids that never came: repair them now rather than drop them.
      for (const gap of tracker.dueGaps(Number.MAX_SAFE_INTEGER)) await repair(gap)
    },
    report: () => ({ ...counts, outOfOrder: tracker.counters.outOfOrder, gaps: tracker.counters.gaps }),
  }
}
