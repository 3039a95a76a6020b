import { describe, expect, it } from 'vitest'
import { bottleneckOf, judgeTrial, renderScale, scaleEntry, type LargeTrial, type ScaleResult } from '../../../bench/scale/scale-report'

const trial = (over: Partial<LargeTrial> = {}): LargeTrial => ({
  fraction: 0.25,
  rate: 9,
  seconds: 60,
  offeredPerSecond: 13_750,
  tradesPerSecond: 1_250,
  quotesPerSecond: 12_400,
  scheduleLagMs: 200,
  shed: 0,
  lakeLagP99Seconds: 41,
  coreShare: { 'ingest-0': 0.5, 'ingest-1': 0.45, 'sink-0': 0.2, kafka: 0.3 },
  sustained: true,
  why: '',
  ...over,
})

describe('bench:scale verdicts', () => {
  it('sustains a trial only when everything reached Kafka on schedule, nothing was shed and the lake kept up', () => {
    expect(judgeTrial(trial()).sustained).toBe(true)
    expect(judgeTrial(trial({ quotesPerSecond: 6_000 }))).toEqual({ sustained: false, why: '53 % of the offered events reached Kafka' })
    expect(judgeTrial(trial({ scheduleLagMs: 40_000 })).why).toContain('ran 40.0 s late')
    expect(judgeTrial(trial({ shed: 12 })).why).toContain('12 records shed')
    expect(judgeTrial(trial({ lakeLagP99Seconds: 300 })).why).toContain('lake lag p99 300 s')
  })

  it('names the bottleneck: the machine when its cores are busy, else a saturated process, else none', () => {
    expect(bottleneckOf({ 'ingest-0': 0.95, 'ingest-1': 0.5, kafka: 0.4 }, 2)).toMatch(/^the machine's 2 cores \(1\.85 cores busy; most: ingest-0 0\.95/)
    expect(bottleneckOf({ 'replay-exchange': 0.97, 'ingest-0': 0.3 }, 4)).toMatch(/^replay-exchange \(0\.97 of a core/)
    expect(bottleneckOf({ 'ingest-0': 0.3 }, 2)).toBe('none reached (0.30 of 2 cores busy)')
  })

  it('writes the scale entry in the fields of docs/benchmarks.json and a page with the ratios', () => {
    const r: ScaleResult = {
      date: '2026-12-05T00:00:00Z',
      command: 'npm run bench:scale',
      machine: { cores: 2 },
      cores: 2,
      sinks: [
        { instances: 1, backlogTrades: 600_000, drainSeconds: 60, tradesPerSecond: 10_000, cpuMicrosPerRecord: 80, commits: 3, commitConflictRate: 0, liveTradesPerSecond: 2000, lakeLagP99Seconds: 31 },
        { instances: 2, backlogTrades: 600_000, drainSeconds: 40, tradesPerSecond: 15_000, cpuMicrosPerRecord: 95, commits: 6, commitConflictRate: 0.5, liveTradesPerSecond: 2000, lakeLagP99Seconds: 33 },
      ],
      shards: [{ instances: 1, symbols: 1500, streams: 3000, connections: 3, seconds: 60, messagesPerSecond: 20_000, cpuMicrosPerMessage: 40, exchangeCoreShare: 0.6 }],
      large: { target: { tradesPerSecond: 5000, quotesPerSecond: 50_000, symbols: 1500 }, trials: [trial({ fraction: 0.5, sustained: false, why: 'x' }), trial()], run: trial({ seconds: 600 }), fractionSustained: 0.25, bottleneck: 'ingest-0' },
    }
    expect(scaleEntry(r)).toEqual({
      largeScaleFractionSustained: 0.25,
      bottleneck: 'ingest-0',
      sinks: [
        { instances: 1, tradesPerSecond: 10_000, cpuMicrosPerRecord: 80, commitConflictRate: 0, lakeLagP99Seconds: 31 },
        { instances: 2, tradesPerSecond: 15_000, cpuMicrosPerRecord: 95, commitConflictRate: 0.5, lakeLagP99Seconds: 33 },
      ],
      shards: [{ instances: 1, streams: 3000, connections: 3, messagesPerSecond: 20_000 }],
    })
    const md = renderScale(r)
    expect(md).toContain('Two sinks drain at 1.50× the rate of one')
    expect(md).toContain('**Sustained: 25.0 % of the large scale.**')
    expect(md).toMatch(/\| long run \| 0\.250 \|/)
    expect(md).toMatch(/\| trial \| 0\.500 \|.*not: x \|/)
  })
})
