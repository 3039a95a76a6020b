/**
 * Query latency as the story measures it: each query type an analyst runs, timed on this stack
 * now, its p50/p95/p99 by lib's one quantile (nearest rank, as the committed benchmark reports
 * them), charted beside the benchmark and the peers. Timing takes the engine; the rest is pure.
 */
import type { PeersLatency, QueryBenchmarkSummary } from '../cost/index'
import { quantile } from '../metrics/index'
import { bars, latestTrades, recentTrades, symbols, trades, tradesWithQuotes } from '../query/market-analytics'
import type { QueryEngine } from '../query/index'
import { barChart, type Chart } from '../viz/index'

/** A query type and a call that runs it once. */
export type NamedQuery = readonly [name: string, run: () => Promise<unknown>]

/** One quantile of one query type, ms. */
export type LatencyRow = { readonly query: string; readonly quantile: 'p50' | 'p95' | 'p99'; readonly ms: number }

const quantiles = [
  ['p50', 0.5],
  ['p95', 0.95],
  ['p99', 0.99],
] as const

/** The story's query mix on `symbol` since `since`: the hybrid recent trades, a range, bars, the as-of join, the latest per symbol, the symbols. */
export function storyQueries(engine: Pick<QueryEngine, 'query' | 'readable'>, symbol: string, since: Date, nowMs: number = Date.now()): NamedQuery[] {
  const to = new Date(nowMs + 60_000)
  return [
    ['recent trades (hybrid)', () => recentTrades(engine, { symbol, minutes: 5, limit: 1000 })],
    ['trades in range', () => trades(engine, { symbol, from: since, to, limit: 10000 })],
    ['1-minute bars + VWAP', () => bars(engine, { symbol, from: since, to, interval: '1m' })],
    ['trades with quotes (as-of)', () => tradesWithQuotes(engine, { symbol, from: new Date(nowMs - 60_000), to })],
    ['latest trade per symbol', () => latestTrades(engine)],
    ['symbols', () => symbols(engine)],
  ]
}

/** Runs each query `runs` times in turn and gives its p50, p95 and p99 in ms (one decimal). */
export async function measureQueryLatency(queries: readonly NamedQuery[], runs: number, clock: () => number = () => performance.now()): Promise<LatencyRow[]> {
  const rows: LatencyRow[] = []
  for (const [name, run] of queries) {
    const ms: number[] = []
    for (let i = 0; i < runs; i++) {
      const t0 = clock()
      await run()
      ms.push(clock() - t0)
    }
    for (const [label, q] of quantiles) rows.push({ query: name, quantile: label, ms: Math.round((quantile(ms, q) ?? Number.NaN) * 10) / 10 })
  }
  return rows
}

/** p50/p95/p99 per query type, side by side. */
export function latencyChart(rows: readonly LatencyRow[], title: string): Chart {
  return barChart(rows, { title, x: 'query', y: 'ms', group: 'quantile', yTitle: 'milliseconds', height: 220 })
}

/** The committed query benchmark's p50/p95/p99 per query type. */
export function benchmarkLatencyChart(bench: QueryBenchmarkSummary): Chart {
  const rows = bench.queries.flatMap((b) => quantiles.map(([label]) => ({ query: b.name.replace(/_/g, ' '), quantile: label, ms: b.ms[label] })))
  const title = `Benchmark: ${(bench.lakeTrades / 1e6).toFixed(1)}M trades + live tail (${bench.cores} cores, ${bench.date.slice(0, 10)})`
  return barChart(rows, { title, x: 'query', y: 'ms', group: 'quantile', yTitle: 'milliseconds', height: 220 })
}

/** One quantile per query and system beside the peers, on a log scale (a system that could not answer a query has no bar). */
export function peersLatencyChart(peers: PeersLatency, which: 'p50' | 'p99'): Chart {
  const rows = peers.queries.flatMap((q) => {
    const ms = which === 'p50' ? q.p50Ms : q.p99Ms
    return peers.systems.flatMap((system) => (ms[system] === null || ms[system] === undefined ? [] : [{ query: q.name.replace(/_/g, ' '), system, ms: ms[system] }]))
  })
  const title = which === 'p99' ? `p99 per query beside the peers (${(peers.rows / 1e6).toFixed(0)}M trades; log scale)` : 'p50 per query and system (log scale)'
  return barChart(rows, { title, x: 'query', y: 'ms', group: 'system', yTitle: `milliseconds (${which})`, logY: true, height: 240 })
}
