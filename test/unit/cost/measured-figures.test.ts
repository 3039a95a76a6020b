import { describe, expect, it } from 'vitest'
import { figuresFromBenchmarks, defaultQueryWorkload } from '../../../lib/internal'
import { defaultLeverVariants } from '../../../lib/internal'
import { isWorkbenchError } from '../../../lib/internal'
import { benchmarkResults, edited, readProjectJson, thrownBy, type JsonEdit } from '../../support/cost-inputs'

// The runs of 2026-11-22, kept as fixtures so the figures below stay hand-checkable when
// `npm run bench` rewrites docs/bench/.
const results = {
  ingest: readProjectJson('test/fixtures/bench/ingest-trade-zstd-600s-2026-11-22.json'),
  sink: readProjectJson('test/fixtures/bench/sink-2026-11-22.json'),
  query: readProjectJson('test/fixtures/bench/query-2026-11-22.json'),
}

describe('figures from the benchmarks', () => {
  it('reads the current results through docs/benchmarks.json', () => {
    const current = benchmarkResults()
    expect(figuresFromBenchmarks(current).sources).toHaveLength(current.scale === undefined ? 3 : 4)
  })

  it("takes the per-core rates from bench:scale's CPU per record of one process, where it has run", () => {
    // One shard used 25.35 µs per record over 1,500 symbols; one sink 15.62 µs per trade.
    const f = figuresFromBenchmarks({ ...results, scale: readProjectJson('test/fixtures/bench/scale-2026-12-05.json') })
    expect(f.ingestMessagesPerSecondPerCore).toBeCloseTo(1e6 / 25.34581925857689, 6)
    expect(f.sinkMessagesPerSecondPerCore).toBeCloseTo(1e6 / 15.616666666666665, 6)
    expect(f.sources[3]).toMatch(/bench:scale .*2026-12-05/)
    expect(f.assumptions[0]).toContain('bench:scale')
  })

  it('extracts each figure from the benchmark JSON', () => {
    const f = figuresFromBenchmarks(results)
    // 61,826 trades/s steady over 2 cores; the sink drained 60,270 trades/s over 2 cores.
    expect(f.ingestMessagesPerSecondPerCore).toBe(61_826 / 2)
    expect(f.sinkMessagesPerSecondPerCore).toBe(60_270 / 2)
    expect(f.lakeBytesPerMessage).toEqual({ asCommitted: 7.79, afterCompaction: 7.45 })
    expect(f.kafkaBytesPerMessage).toBe(29.8)
    expect(f.lakeBuckets).toBe(16)
    expect(f.maxRecordsPerCommit).toBe(1_000_000)
    // 19 s of compaction on 2 cores for 3,000,000 trades.
    expect(f.compactionCoreMicrosPerMessage).toBeCloseTo((19 * 2 * 1e6) / 3_000_000, 9)
    expect(f.measuredFilesPerHour).toEqual({ filesPerHourPerTable: 2304, messagesPerSecond: 43_207, commitIntervalSeconds: 30, symbols: 160 })
    // The cheapest query (recent trades, 20.4 ms p50) on 2 engine threads; the 24-h scan (780.1 ms) over 11,220,449 trades × 7.79 bytes.
    expect(f.queryOverheadCoreSeconds).toBeCloseTo(0.0408, 9)
    expect(f.queryCoreSecondsPerGib).toBeCloseTo((0.7801 * 2 - 0.0408) / ((11_220_449 * 7.79) / 2 ** 30), 9)
    expect(f.memoryMiB).toEqual({ ingest: 416, sink: 1627, query: 616 })
    expect(f.queryMix.map((q) => [q.name, q.resultRows])).toEqual([
      ['recent_trades_hybrid', 1000],
      ['symbol_time_filter', 10000],
      ['bars_1h_1m', 28],
      ['bars_24h_all', 502],
      ['latest_per_symbol', 21],
      ['asof_join', 10000],
    ])
    expect(f.sources).toHaveLength(3)
    expect(f.sources[0]).toMatch(/bench:ingest -- --seconds 600 .*2026-11-22/)
  })

  it('counts quotes in the ingest rate of a run with both streams', () => {
    // 22,996 trades/s steady, with 49,962 records for every 22,446 trades.
    const f = figuresFromBenchmarks({ ...results, ingest: readProjectJson('docs/bench/ingest-all-zstd-60s.json') })
    expect(f.ingestMessagesPerSecondPerCore).toBeCloseTo((22_996 * (49_962 / 22_446)) / 2, 6)
  })

  it('prices the compression lever with the ratios the ingest runs measured', () => {
    const bytes = (name: string): number => (readProjectJson(`docs/bench/${name}.json`) as { kafkaBytesPerTrade: number }).kafkaBytesPerTrade
    const variant = defaultLeverVariants.find((v) => v.lever === 'compressionFactor')!
    expect(variant.values).toEqual([+(bytes('ingest-trade-gzip-60s') / bytes('ingest-trade-zstd-600s')).toFixed(2), +(bytes('ingest-trade-none-40s') / bytes('ingest-trade-zstd-600s')).toFixed(2)])
  })

  const malformed: Array<[string, 'ingest' | 'sink' | 'query', JsonEdit, RegExp]> = [
    ['no bytes per trade on disk', 'sink', (j) => delete j.backlog.bytesPerTrade.afterCompaction, /sink benchmark: backlog\.bytesPerTrade\.afterCompaction must be a number > 0, got nothing/],
    ['no Kafka log size (the run could not read the broker log)', 'ingest', (j) => delete j.kafkaBytesPerTrade, /ingest benchmark: kafkaBytesPerTrade must be a number > 0, got nothing/],
    ['a zero steady rate', 'ingest', (j) => (j.steadyTradesPerSecond = 0), /ingest benchmark: steadyTradesPerSecond must be a number > 0, got 0/],
    ['no machine cores', 'sink', (j) => delete j.machine, /sink benchmark: machine\.cores must be a number > 0, got nothing/],
    ['no files per hour', 'sink', (j) => (j.live.filesPerHourBeforeCompaction = null), /sink benchmark: live\.filesPerHourBeforeCompaction must be a number ≥ 0, got null/],
    ['a query without its p50', 'query', (j) => delete j.queries[3].ms.p50, /query benchmark: queries\[3\]\.ms\.p50 must be a number > 0, got nothing/],
    ['no queries', 'query', (j) => (j.queries = {}), /query benchmark: queries must be an array/],
    ['the scan that calibrates GiB not run', 'query', (j) => (j.queries = j.queries.filter((q: { name: string }) => q.name !== 'bars_24h_all')), /queries must include bars_24h_all/],
    ['another benchmark passed as the ingest run', 'ingest', (j) => (j.benchmark = 'sink'), /ingest benchmark: benchmark must be "ingest", got "sink"/],
  ]
  it.each(malformed)('fails clearly on %s', (_name, which, edit, message) => {
    const err = thrownBy(() => figuresFromBenchmarks({ ...results, [which]: edited(results[which], edit) }))
    expect(isWorkbenchError(err, 'CONFIG_INVALID')).toBe(true)
    expect((err as Error).message).toMatch(message)
  })

  it('fails clearly on a workload query the benchmark did not run', () => {
    const workload = [...defaultQueryWorkload, { name: 'vwap_all_week', queriesPerHour: 1, symbols: 'all' as const, windowMinutes: 10_080, minutesAgo: 0, tables: 'trades' as const }]
    expect(() => figuresFromBenchmarks(results, workload)).toThrow(/the workload's query "vwap_all_week" is not among its queries \(recent_trades_hybrid, .*\)/)
  })
})
