import { describe, expect, it } from 'vitest'
import { computeTiers, story, type GapSummaryRow, type QueryEngine, type TradeQuoteRow } from '../../../lib/internal'

const gap = (symbol: string, trades: number, missing: number, duplicates: number): GapSummaryRow => ({ symbol, trades: BigInt(trades), firstTradeId: 1n, lastTradeId: BigInt(trades + missing), missing: BigInt(missing), duplicates: BigInt(duplicates) })

describe('exploring trades, as 02 shows it', () => {
  it('ranks volume into the load shedder’s tiers by trade count, as computeTiers does', () => {
    const volume = Array.from({ length: 120 }, (_, i) => ({ symbol: `S${String(i).padStart(3, '0')}`, trades: BigInt(1000 - i), notional: (1000 - i) * 1e4 }))
    const tiers = story.volumeByTier(volume)
    expect(tiers.map((t) => [t.tier, t.symbols])).toEqual([
      ['tier 1', 20],
      ['tier 2', 80],
      ['tier 3', 20],
    ])
    const expected = computeTiers(new Map(volume.map((v) => [v.symbol, Number(v.trades)])))
    expect(tiers[0]!.trades).toBe(volume.filter((v) => expected.get(v.symbol) === 1).reduce((n, v) => n + Number(v.trades), 0))
    expect((story.topSymbolsChart(volume).spec.data as { values: unknown[] }).values).toHaveLength(20)
  })

  it('reads the volume per symbol with the range as parameters, never spliced into the SQL', async () => {
    let seen: { sql: string; params: unknown } | undefined
    const engine = {
      query: async (sql: string, options: { params: unknown }) => {
        seen = { sql, params: options.params }
        return { rows: [{ symbol: 'BTCUSDT', trades: 3n, notional: 12.5 }] }
      },
    } as unknown as Pick<QueryEngine, 'query'>
    const range = { from: new Date(0), to: new Date(1000) }
    expect(await story.volumeBySymbol(engine, range)).toEqual([{ symbol: 'BTCUSDT', trades: 3n, notional: 12.5 }])
    expect(seen!.sql).toContain('event_time >= $from AND event_time < $to')
    expect(seen!.params).toEqual(range)
  })

  it('says how many trades found a quote, with the median quote age by nearest rank', () => {
    const row = (quoteAgeMs: number | null): TradeQuoteRow => ({ tradeId: 1n, eventTime: new Date(0), price: '1', quantity: '1', side: 'BUY', quoteTime: null, bidPrice: null, askPrice: null, mid: null, spread: null, spreadBps: quoteAgeMs === null ? null : 1, effectiveSpread: null, effectiveSpreadBps: 1, quoteAgeMs })
    expect(story.quoteCoverageLine([row(40), row(10), row(30), row(20), row(null)], 2)).toBe('5 trades in the last 2 min, 4 with a prevailing quote; median quote age 20 ms')
    expect(story.quoteCoverageLine([row(null)], 2)).toBe('1 trades in the last 2 min, 0 with a prevailing quote; median quote age n/a ms')
    expect((story.spreadDistributionChart([row(40), row(null)], 'spreads').spec.data as { values: unknown[] }).values).toHaveLength(2)
  })

  it('sums the gap report and puts the worst symbols first', () => {
    const summary = [gap('A', 10, 0, 0), gap('B', 5, 2, 0), gap('C', 50, 0, 0), gap('D', 5, 0, 1)]
    expect(story.gapReportLine({ summary, truncated: false })).toBe('4 symbols, 70 trades: 2 ids missing, 1 duplicates')
    expect(story.gapReportLine({ summary: [], truncated: true })).toBe('0 symbols, 0 trades: 0 ids missing, 0 duplicates (gap list truncated)')
    expect(story.worstSymbolsFirst(summary).map((s) => s.symbol)).toEqual(['B', 'D', 'C', 'A'])
  })
})
