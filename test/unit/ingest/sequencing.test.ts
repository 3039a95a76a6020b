import { describe, expect, it } from 'vitest'
import { createMetrics, silentLogger } from '../../../lib/internal'
import type { HistoricalTrade } from '../../../lib/internal'
import type { RejectReason, Trade } from '../../../lib/internal'
import { createSequencing } from '../../../lib/internal'

type LiveTrade = Omit<Trade, 'platformSequence'>

const symbols = new Map([
  ['BTCUSDT', { symbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT' }],
  ['ETHUSDT', { symbol: 'ETHUSDT', baseAsset: 'ETH', quoteAsset: 'USDT' }],
])
const context = { exchange: 'BINANCE', symbols, timeUnit: 'ms' as const, maxFrameBytes: 4096 }
const liveTrade = (id: number, symbol = 'BTCUSDT'): LiveTrade => ({
  messageId: `BINANCE:${symbol}:${id}`,
  tradeId: BigInt(id),
  symbol,
  exchange: 'BINANCE',
  assetClass: 'crypto',
  timestampMicros: 1_700_000_000_000_000n + BigInt(id),
  price: '1.00000000',
  quantity: '1.00000000',
  currency: 'USDT',
  side: 'BUY',
  tradeConditions: [],
  sourceSequence: BigInt(id),
  ingestionTimestampMicros: 1_700_000_000_000_000n,
  vendorData: {},
})
const historyRow = (id: bigint): HistoricalTrade => ({ id: Number(id), price: '2.0', qty: '3.0', quoteQty: '6.0', time: 1_700_000_000_000, isBuyerMaker: false, isBestMatch: true })

/**
 * Sequencing over a fake exchange history: `history` answers a range of ids (throw to fail the
 * call). Returns what was released and dead-lettered, and the run's metrics.
 */
function setUp(history: (symbol: string, from: bigint, to: bigint) => HistoricalTrade[] = (_s, from, to) => ids(from, to).map(historyRow), abort = new AbortController()) {
  const released: LiveTrade[] = []
  const deadLetters: Array<{ reason: RejectReason; symbol: string }> = []
  const calls: Array<[string, bigint, bigint]> = []
  const metrics = createMetrics()
  const sequencing = createSequencing(
    { reorderWindowMs: 5, maxPendingPerSymbol: 100, context },
    {
      rest: {
        tradesById: async (symbol, from, to) => {
          calls.push([symbol, from, to])
          return history(symbol, from, to)
        },
      },
      logger: silentLogger,
      metrics,
      release: (t) => released.push(t),
      deadLetter: (_raw, reason, _detail, _received, _source, symbol) => deadLetters.push({ reason, symbol }),
      signal: abort.signal,
    },
  )
  const counter = async (name: string): Promise<number> => (await metrics.registry.getSingleMetric(name)!.get()).values.reduce((n, v) => n + v.value, 0)
  return { sequencing, released, deadLetters, calls, counter, abort }
}
const ids = (from: bigint, to: bigint): bigint[] => Array.from({ length: Number(to - from + 1n) }, (_, i) => from + BigInt(i))
const releasedIds = (r: LiveTrade[], symbol = 'BTCUSDT'): number[] => r.filter((t) => t.symbol === symbol).map((t) => Number(t.tradeId))
const later = (): number => Date.now() + 60_000

describe('sequencing with gap repair', () => {
  it('repairs a missing id from REST history once its window passes, then releases what waited', async () => {
    const { sequencing, released, calls, counter } = setUp()
    for (const id of [10, 11, 14, 15]) sequencing.offerTrade(liveTrade(id))
    expect(releasedIds(released)).toEqual([10, 11])
    sequencing.checkGaps(later())
    expect(await counter('k2_ingest_held_trades')).toBe(2)
    await sequencing.finish()
    expect(calls).toEqual([['BTCUSDT', 12n, 13n]])
    expect(releasedIds(released)).toEqual([10, 11, 12, 13, 14, 15])
    expect(released.filter((t) => t.vendorData.repaired_from === 'rest').map((t) => Number(t.tradeId))).toEqual([12, 13])
    expect(sequencing.report()).toMatchObject({ gaps: 1, gapTradesRepaired: 2, gapTradesUnrepairable: 0n })
    expect(await counter('k2_ingest_gap_trades_repaired_total')).toBe(2)
    sequencing.checkGaps(later())
    expect(await counter('k2_ingest_held_trades')).toBe(0)
  })

  it('releases a reorder within the window without asking REST', async () => {
    const { sequencing, released, calls } = setUp()
    for (const id of [10, 12, 11, 13]) sequencing.offerTrade(liveTrade(id))
    sequencing.checkGaps(later())
    await sequencing.finish()
    expect(releasedIds(released)).toEqual([10, 11, 12, 13])
    expect(calls).toEqual([])
    expect(sequencing.report().outOfOrder).toBe(1)
  })

  it('counts ids the history cannot supply as unrepairable and moves the symbol on', async () => {
    const { sequencing, released, counter } = setUp((_s, from, to) => ids(from, to).filter((id) => id !== 13n).map(historyRow))
    for (const id of [10, 15, 16]) sequencing.offerTrade(liveTrade(id))
    sequencing.checkGaps(later())
    await sequencing.finish()
    expect(releasedIds(released)).toEqual([10, 11, 12, 14, 15, 16])
    expect(sequencing.report()).toMatchObject({ gapTradesRepaired: 3, gapTradesUnrepairable: 1n })
    expect(await counter('k2_ingest_gap_trades_unrepairable_total')).toBe(1)
    sequencing.offerTrade(liveTrade(17))
    expect(releasedIds(released).at(-1)).toBe(17)
  })

  it('a failed REST call makes the whole gap unrepairable, without stopping the symbol', async () => {
    const { sequencing, released } = setUp(() => {
      throw new Error('HTTP 429')
    })
    for (const id of [10, 13]) sequencing.offerTrade(liveTrade(id))
    sequencing.checkGaps(later())
    await sequencing.finish()
    expect(releasedIds(released)).toEqual([10, 13])
    expect(sequencing.report()).toMatchObject({ gapTradesRepaired: 0, gapTradesUnrepairable: 2n })
  })

  it('a REST call failing because the run is stopping leaves the gap, and what waits on it, to the next run (its checkpoint ends before them)', async () => {
    const abort = new AbortController()
    const { sequencing, released } = setUp(() => {
      abort.abort()
      throw new Error('aborted')
    }, abort)
    for (const id of [10, 13]) sequencing.offerTrade(liveTrade(id))
    sequencing.checkGaps(later())
    await sequencing.finish()
    expect(releasedIds(released)).toEqual([10])
    expect(sequencing.report().gapTradesUnrepairable).toBe(0n)
  })

  it('dead-letters a history row the normaliser refuses and counts its id unrepairable', async () => {
    const { sequencing, released, deadLetters } = setUp((_s, from, to) => ids(from, to).map((id) => (id === 12n ? { ...historyRow(id), price: '0' } : historyRow(id))))
    for (const id of [10, 14]) sequencing.offerTrade(liveTrade(id))
    sequencing.checkGaps(later())
    await sequencing.finish()
    expect(deadLetters).toEqual([{ reason: 'non_positive', symbol: 'BTCUSDT' }])
    expect(releasedIds(released)).toEqual([10, 11, 13, 14])
    expect(sequencing.report().gapTradesUnrepairable).toBe(1n)
  })

  it('at stop repairs the gaps whose window has not passed yet, so no held trade is dropped', async () => {
    const { sequencing, released } = setUp()
    for (const id of [10, 12]) sequencing.offerTrade(liveTrade(id))
    sequencing.checkGaps(Date.now() - 60_000) // nothing due yet
    expect(releasedIds(released)).toEqual([10])
    await sequencing.finish()
    expect(releasedIds(released)).toEqual([10, 11, 12])
  })

  it('drops duplicate trades and quotes, counting each', async () => {
    const { sequencing, released, counter } = setUp()
    for (const id of [10, 11, 11, 10]) sequencing.offerTrade(liveTrade(id))
    expect(sequencing.acceptQuote('BTCUSDT', 5n)).toBe(true)
    expect(sequencing.acceptQuote('BTCUSDT', 5n)).toBe(false)
    expect(sequencing.acceptQuote('BTCUSDT', 4n)).toBe(false)
    expect(sequencing.acceptQuote('ETHUSDT', 4n)).toBe(true) // each symbol has its own update ids
    expect(sequencing.acceptQuote('BTCUSDT', 6n)).toBe(true)
    expect(releasedIds(released)).toEqual([10, 11])
    expect(sequencing.report().duplicates).toBe(4)
    expect(await counter('k2_ingest_duplicates_total')).toBe(4)
  })

  it('resumes checkpointed symbols after their last id: what came since is repaired', async () => {
    const { sequencing, released, calls } = setUp()
    expect(sequencing.seed(new Map([['BTCUSDT', 100n], ['NOTOURS', 7n]]))).toBe(1)
    sequencing.offerTrade(liveTrade(103))
    sequencing.offerTrade(liveTrade(50, 'ETHUSDT')) // not seeded: starts where the feed does
    sequencing.checkGaps(later())
    await sequencing.finish()
    expect(calls).toEqual([['BTCUSDT', 101n, 102n]])
    expect(releasedIds(released)).toEqual([101, 102, 103])
    expect(releasedIds(released, 'ETHUSDT')).toEqual([50])
  })
})
