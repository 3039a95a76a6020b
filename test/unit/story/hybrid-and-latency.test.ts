import { describe, expect, it } from 'vitest'
import { peersLatency, projectRoot, readBenchmarkIndex, readQueryBenchmark, story, type QueryEngine, type ReadBoundary } from '../../../lib/internal'

const boundary: ReadBoundary = {
  table: 'market.trades',
  snapshotId: 42n,
  snapshotTimestampMs: Date.UTC(2026, 11, 5, 12, 0, 0),
  filesScanned: 12,
  filesPruned: 3,
  lakeRecords: 1000n,
  files: [],
  tail: { topic: 'market.trades', from: { 0: 100n, 1: 200n }, to: { 0: 150n, 1: 200n }, records: 50 },
}

describe('the hybrid read, as the story shows it', () => {
  it('names the pinned snapshot and table, and the tail read past it per partition', () => {
    expect(story.boundaryLine(boundary)).toBe('snapshot 42 of market.trades (committed 2026-12-05T12:00:00.000Z): 12 files read, 3 pruned')
    expect(story.boundaryRows(boundary)).toEqual([
      { partition: 0, 'snapshot holds below': 100n, 'tail read up to': 150n, 'tail records': 50 },
      { partition: 1, 'snapshot holds below': 200n, 'tail read up to': 200n, 'tail records': 0 },
    ])
    expect(story.boundaryRows({ ...boundary, tail: undefined })).toEqual([])
    expect(story.boundaryLine({ ...boundary, snapshotId: undefined, snapshotTimestampMs: undefined })).toBe('snapshot none of market.trades (no snapshot yet): 12 files read, 3 pruned')
  })

  it('samples freshness: the age of the newest trade and the query time, skipping a read that found none', async () => {
    let calls = 0
    const engine = {
      query: async () => {
        calls++
        const rows = calls === 2 ? [] : [{ symbol: 'BTCUSDT', tradeId: 1n, eventTime: new Date(Date.now() - 250), price: '1', quantity: '1', side: 'BUY', source: 'kafka' }]
        return { rows, columns: [], truncated: false, boundaries: {}, timings: { planMs: 0, tailMs: 0, executeMs: 0, totalMs: 4.4 } }
      },
    } as unknown as Pick<QueryEngine, 'query'>
    const slept: number[] = []
    const fresh = await story.sampleFreshness(engine, 'BTCUSDT', { samples: 3, sleep: async (ms) => void slept.push(ms) })
    expect(fresh.map((f) => f.query)).toEqual([1, 3])
    expect(fresh.every((f) => f.ageMs >= 250 && f.queryMs === 4)).toBe(true)
    expect(slept).toEqual([500, 500])
    expect(story.freshnessRows(fresh)[0]).toEqual({ query: 1, 'newest trade age (ms)': fresh[0]!.ageMs, 'query time (ms)': 4 })
  })
})

describe('query latency on this stack, by lib’s one quantile', () => {
  it('times each query and reports its nearest-rank p50, p95 and p99', async () => {
    const durations = [5, 1, 4, 2, 3, 10, 20, 30, 40, 50]
    let t = 0
    let i = 0
    const clock = (): number => t
    const queries: story.NamedQuery[] = [
      ['fast', async () => void (t += durations[i++ % 5]!)],
      ['slow', async () => void (t += durations[5 + (i++ % 5)]!)],
    ]
    const rows = await story.measureQueryLatency(queries, 5, clock)
    expect(rows).toEqual([
      { query: 'fast', quantile: 'p50', ms: 3 },
      { query: 'fast', quantile: 'p95', ms: 5 },
      { query: 'fast', quantile: 'p99', ms: 5 },
      { query: 'slow', quantile: 'p50', ms: 30 },
      { query: 'slow', quantile: 'p95', ms: 50 },
      { query: 'slow', quantile: 'p99', ms: 50 },
    ])
    expect(story.latencyChart(rows, 'now').title).toBe('now')
  })

  it('charts the committed benchmark and the peers, leaving out a system that could not answer', () => {
    const bench = readQueryBenchmark(projectRoot)
    const chart = story.benchmarkLatencyChart(bench)
    expect(chart.title).toMatch(/^Benchmark: \d+\.\dM trades \+ live tail \(\d+ cores, \d{4}-\d\d-\d\d\)$/)
    expect((chart.spec.data as { values: unknown[] }).values).toHaveLength(bench.queries.length * 3)
    const peers = peersLatency(readBenchmarkIndex(projectRoot))!
    const q0 = peers.queries[0]!
    const withGap = { ...peers, queries: [{ ...q0, p99Ms: { ...q0.p99Ms, [peers.systems[0]!]: null } }] }
    const values = (story.peersLatencyChart(withGap, 'p99').spec.data as { values: Array<{ system: string }> }).values
    expect(values.map((v) => v.system)).toEqual(peers.systems.slice(1))
    expect(story.peersLatencyChart(peers, 'p50').title).toBe('p50 per query and system (log scale)')
  })
})
