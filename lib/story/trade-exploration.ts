/**
 * What 02-explore-trades shows an analyst: bars as candlesticks and exact rows, the close against
 * the VWAP, spreads from the as-of join, volume by the load shedder's tiers, and the trade-id gap
 * report. The volume query reads through the engine; the rest is pure.
 */
import { computeTiers, defaultTierPolicy, tierOf } from '../degrade/index'
import { quantile } from '../metrics/index'
import type { BarRow, GapSummaryRow, TradeQuoteRow } from '../query/index'
import type { QueryEngine } from '../query/index'
import { barChart, candlestickChart, lineChart, vegaLiteChart, type Chart } from '../viz/index'

/** OHLC candlesticks of the bars (plotly live, vega-lite as the fallback). */
export function barsCandlestickChart(bars: readonly BarRow[], title: string): Chart {
  return candlestickChart(bars.map((b) => ({ ...b })), { title, time: 'start', open: 'open', high: 'high', low: 'low', close: 'close', height: 280 })
}

/** The newest `count` bars, exact (decimal strings as the engine returns them). */
export function newestBarRows(bars: readonly BarRow[], count: number): Array<Pick<BarRow, 'start' | 'open' | 'high' | 'low' | 'close' | 'vwap' | 'volume' | 'trades'>> {
  return bars.slice(-count).map((b) => ({ start: b.start, open: b.open, high: b.high, low: b.low, close: b.close, vwap: b.vwap, volume: b.volume, trades: b.trades }))
}

/** Each bar's close against its VWAP. */
export function closeVsVwapChart(bars: readonly BarRow[], title: string): Chart {
  const rows = bars.flatMap((b) => [
    { start: b.start, series: 'close', price: b.close },
    { start: b.start, series: 'VWAP', price: b.vwap },
  ])
  return lineChart(rows, { title, x: 'start', y: 'price', series: 'series', xTitle: 'time (UTC)', yTitle: 'price', height: 220 })
}

/** How many trades found a prevailing quote, and the median age of that quote. */
export function quoteCoverageLine(joined: readonly TradeQuoteRow[], minutes: number): string {
  const ages = joined.flatMap((r) => (r.spreadBps !== null && r.quoteAgeMs !== null ? [r.quoteAgeMs] : []))
  const withQuote = joined.filter((r) => r.spreadBps !== null).length
  return `${joined.length} trades in the last ${minutes} min, ${withQuote} with a prevailing quote; median quote age ${quantile(ages, 0.5) ?? 'n/a'} ms`
}

/** Trades with the quote prevailing at each: bid, ask, mid and both spreads. */
export function tradeQuoteRows(joined: readonly TradeQuoteRow[]): Array<Readonly<Record<string, unknown>>> {
  return joined.map((r) => ({ trade: r.tradeId, time: r.eventTime, price: r.price, side: r.side, bid: r.bidPrice, ask: r.askPrice, mid: r.mid, 'spread (bps)': r.spreadBps, 'effective (bps)': r.effectiveSpreadBps }))
}

/** Histograms of the quoted and the effective spread, overlaid, in basis points. */
export function spreadDistributionChart(joined: readonly TradeQuoteRow[], title: string): Chart {
  const values = joined.filter((r) => r.spreadBps !== null).flatMap((r) => [
    { kind: 'quoted spread', bps: r.spreadBps },
    { kind: 'effective spread', bps: r.effectiveSpreadBps },
  ])
  return vegaLiteChart(
    {
      data: { values },
      mark: { type: 'bar', opacity: 0.6 },
      encoding: {
        x: { field: 'bps', type: 'quantitative', bin: { maxbins: 40 }, title: 'basis points' },
        y: { aggregate: 'count', type: 'quantitative', title: 'trades', stack: null },
        color: { field: 'kind', type: 'nominal', title: '' },
      },
      width: 640,
      height: 200,
    },
    title,
  )
}

/** One symbol's trades and notional volume in a range. */
export type SymbolVolume = { readonly symbol: string; readonly trades: bigint; readonly notional: number }

/**
 * Trades and notional volume per symbol in [from, to), busiest first. Notional is Σ price·quantity
 * summed as DOUBLE: a chart needs no exact cents.
 */
export async function volumeBySymbol(engine: Pick<QueryEngine, 'query'>, range: { readonly from: Date; readonly to: Date }): Promise<SymbolVolume[]> {
  const r = await engine.query<SymbolVolume>(
    `SELECT symbol, count(*) AS trades, sum(CAST(price AS DOUBLE) * CAST(quantity AS DOUBLE)) AS notional
       FROM trades WHERE event_time >= $from AND event_time < $to GROUP BY symbol ORDER BY notional DESC`,
    { params: { from: range.from, to: range.to } },
  )
  return r.rows.map((row) => ({ symbol: String(row.symbol), trades: BigInt(row.trades), notional: Number(row.notional) }))
}

/** Volume by tier, ranked by trade count as the load shedder ranks symbols (computeTiers). */
export function volumeByTier(volume: readonly SymbolVolume[]): Array<{ readonly tier: string; readonly symbols: number; readonly trades: number; readonly 'notional (USD, millions)': number }> {
  const tiers = computeTiers(new Map(volume.map((r) => [r.symbol, Number(r.trades)] as const)), defaultTierPolicy)
  const byTier = new Map<number, { symbols: number; trades: number; notional: number }>()
  for (const r of volume) {
    const tier = tierOf(tiers, r.symbol)
    const agg = byTier.get(tier) ?? { symbols: 0, trades: 0, notional: 0 }
    byTier.set(tier, { symbols: agg.symbols + 1, trades: agg.trades + Number(r.trades), notional: agg.notional + r.notional })
  }
  return [...byTier].sort((a, b) => a[0] - b[0]).map(([tier, a]) => ({ tier: `tier ${tier}`, symbols: a.symbols, trades: a.trades, 'notional (USD, millions)': Math.round(a.notional / 1e4) / 100 }))
}

/** The `count` symbols with the most notional volume (tier 1's size by default). */
export function topSymbolsChart(volume: readonly SymbolVolume[], count: number = defaultTierPolicy.tier1): Chart {
  const rows = [...volume].sort((a, b) => b.notional - a.notional).slice(0, count).map((r) => ({ symbol: r.symbol, notional: r.notional / 1e6 }))
  return barChart(rows, { title: `Top ${count} symbols by notional volume (tier 1)`, x: 'symbol', y: 'notional', yTitle: 'USD millions', height: 200 })
}

/** Symbols, trades, missing ids and duplicates over a gap report. */
export function gapTotals(summary: readonly GapSummaryRow[]): { readonly symbols: number; readonly trades: number; readonly missing: number; readonly duplicates: number } {
  return summary.reduce((t, s) => ({ symbols: t.symbols + 1, trades: t.trades + Number(s.trades), missing: t.missing + Number(s.missing), duplicates: t.duplicates + Number(s.duplicates) }), { symbols: 0, trades: 0, missing: 0, duplicates: 0 })
}

/** `160 symbols, 1,234,567 trades: 0 ids missing, 0 duplicates`. */
export function gapReportLine(report: { readonly summary: readonly GapSummaryRow[]; readonly truncated: boolean }): string {
  const t = gapTotals(report.summary)
  return `${t.symbols} symbols, ${t.trades.toLocaleString('en')} trades: ${t.missing} ids missing, ${t.duplicates} duplicates${report.truncated ? ' (gap list truncated)' : ''}`
}

/** The summary worst first: most missing or doubled ids, then most trades. */
export function worstSymbolsFirst(summary: readonly GapSummaryRow[]): GapSummaryRow[] {
  return [...summary].sort((a, b) => Number(b.missing + b.duplicates) - Number(a.missing + a.duplicates) || Number(b.trades - a.trades))
}
