import { describe, expect, it } from 'vitest'
import type { SoakSample } from '../../../bench/soak/soak-sample'
import { inputRates, summarizeSoak } from '../../../bench/soak/soak-summary'

const le = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, Infinity]

/** A sample every 5 s; `over` fills in what the test is about. */
function sample(t: number, over: Partial<SoakSample> & { counters?: Partial<SoakSample['counters']> } = {}): SoakSample {
  return {
    t,
    at: 1_700_000_000_000 + t * 1000,
    phase: over.phase ?? 'load',
    rate: 1,
    level: over.level ?? { ingest: 0, sink: 0 },
    signals: {},
    lakeLagSeconds: over.lakeLagSeconds ?? 10,
    counters: { records: t * 2600, shed: 0, shedByTier: {}, backfilled: 0, feedPauses: 0, ...over.counters },
    api: { requests: 0, errors: 0 },
    kernel: { cells: 0, errors: 0 },
    processes: over.processes ?? { api: { cpu: 0.05, rssMiB: 300 } },
  }
}

describe('summarizeSoak', () => {
  it('takes the tail cost from the idle window: the API\'s CPU over the records the topics received', () => {
    // Idle 0–60 s: the API uses 3 % of a core while 2,600 records/s arrive → 11.5 µs per record.
    const samples = Array.from({ length: 25 }, (_, i) => sample(i * 5, { phase: i <= 12 ? 'idle' : 'load', processes: { api: { cpu: i <= 12 ? 0.03 : 0.4, rssMiB: 300 } } }))
    const { summary, detail } = summarizeSoak({ samples, windows: { idle: { from: 0, to: 60 }, measured: { from: 65, to: 120 } }, rate: 1, kneeRate: 10, minutes: 1, overload: false })
    expect(summary.apiIdleCoreShare).toBe(0.03)
    expect(summary.tailMicrosPerRecord).toBeCloseTo(11.54, 1)
    expect(summary.kneeFraction).toBe(0.1)
    expect(detail.recordsPerSecond.idle).toBe(2600)
    expect(detail.processes.api?.meanCore).toBe(0.4)
  })

  it('takes the tail cost from the window where it read, and the idle API from the window where it rested', () => {
    // 0–60 s the tail reads (5 % of a core at 2,600 records/s → 19.2 µs per record); 60–120 s it rests (1 %).
    const samples = Array.from({ length: 31 }, (_, i) => sample(i * 5, { phase: i <= 24 ? 'idle' : 'load', processes: { api: { cpu: i <= 12 ? 0.05 : i <= 24 ? 0.01 : 0.4, rssMiB: 300 } } }))
    const { summary, detail } = summarizeSoak({ samples, windows: { reading: { from: 0, to: 60 }, idle: { from: 65, to: 120 }, measured: { from: 125, to: 150 } }, rate: 1, minutes: 1, overload: false, wakeQueryMs: 2100 })
    expect(summary.tailMicrosPerRecord).toBeCloseTo(19.23, 1)
    expect(summary.apiIdleCoreShare).toBe(0.01)
    expect(detail.apiReadingCoreShare).toBe(0.05)
    expect(detail.recordsPerSecond).toMatchObject({ reading: 2600, idle: 2600 })
    expect(detail.wakeQueryMs).toBe(2100)
  })

  it('reports the levels, the NORMAL share from time in level, lag p99 and the commit figures over the measured window', () => {
    const samples = Array.from({ length: 13 }, (_, i) => {
      const t = i * 5
      const soft = t >= 20 && t < 30
      const commits = Math.floor(t / 30) // one commit to trades every 30 s
      return sample(t, {
        level: { ingest: soft ? 1 : 0, sink: 0 },
        lakeLagSeconds: t % 30, // the commit sawtooth
        counters: {
          tradeCommits: commits,
          ingestSecondsByLevel: { NORMAL: t - (t >= 30 ? 10 : t >= 20 ? t - 20 : 0), SOFT: t >= 30 ? 10 : t >= 20 ? t - 20 : 0 },
          commitLatency: { le, counts: le.map((b) => (b >= 2.5 ? commits * 2 : 0)) },
        },
      })
    })
    const { summary } = summarizeSoak({ samples, windows: { measured: { from: 0, to: 60 } }, rate: 1, minutes: 1, overload: false })
    expect(summary.maxLevel).toEqual({ ingest: 'SOFT', sink: 'NORMAL' })
    expect(summary.endLevel).toEqual({ ingest: 'NORMAL', sink: 'NORMAL' })
    expect(summary.ingestNormalShare).toBeCloseTo(50 / 60, 3)
    expect(summary.lakeLagP99Seconds).toBe(25)
    expect(summary.commitIntervalSeconds).toBe(30)
    expect(summary.commitLatencyP50Ms).toBeGreaterThan(1000)
    expect(summary.commitLatencyP99Ms).toBeLessThanOrEqual(2500)
    expect(summary.tailMicrosPerRecord).toBeNull() // no idle window
    expect(summary.shedRecords).toBe(0)
    expect(summary.backfilledAll).toBe(true)
  })

  it('for an overload: tier-3 shed time from the overload start, tier 1 shed, and whether the drain backfilled everything', () => {
    const samples = Array.from({ length: 20 }, (_, i) => {
      const t = 100 + i * 5
      const tier3 = t >= 115 ? 500 : 0
      const tier1 = t >= 150 ? 7 : 0
      return sample(t, { phase: t < 170 ? 'overload' : 'drain', level: { ingest: t < 170 ? 3 : 0, sink: t < 180 ? 2 : 0 }, counters: { shed: tier3 + tier1, shedByTier: { '3': tier3, '1': tier1 }, backfilled: t >= 190 ? 400 : 0 } })
    })
    const { summary, detail } = summarizeSoak({ samples, windows: { measured: { from: 100, to: 195 }, overloadFrom: 100 }, rate: 40, kneeRate: 10, minutes: 1, overload: true })
    expect(detail.tier3ShedAfterSeconds).toBe(15)
    expect(summary.tier1Shed).toBe(7)
    expect(summary.shedRecords).toBe(507)
    expect(summary.backfilledAll).toBe(false) // 400 of 507
    expect(summary.maxLevel).toEqual({ ingest: 'AGGRESSIVE', sink: 'GRACEFUL' })
    expect(summary.endLevel).toEqual({ ingest: 'NORMAL', sink: 'NORMAL' })
    expect(summary.kneeFraction).toBe(4)
  })

  it('says "not measured" (null) for a feed-pause counter no worker exports, and falls back to CIRCUIT_BREAK entries when transitions are there', () => {
    const absent = [0, 5, 10].map((t) => sample(t, { counters: { feedPauses: undefined } }))
    expect(summarizeSoak({ samples: absent, windows: { measured: { from: 0, to: 10 } }, rate: 1, minutes: 1, overload: false }).summary.feedPauses).toBeNull()
    const breaks = [0, 5, 10].map((t, i) => sample(t, { counters: { feedPauses: undefined, circuitBreaks: i === 2 ? 1 : 0 } }))
    const r = summarizeSoak({ samples: breaks, windows: { measured: { from: 0, to: 10 } }, rate: 1, minutes: 1, overload: false })
    expect(r.summary.feedPauses).toBe(1)
    expect(r.detail.feedPausesSource).toBe('ingest entries into CIRCUIT_BREAK')
  })

  it('has exactly the fields the record asks for', () => {
    const { summary } = summarizeSoak({ samples: [sample(0), sample(5)], windows: { measured: { from: 0, to: 5 } }, rate: 1, minutes: 1, overload: false })
    expect(Object.keys(summary)).toEqual(['rate', 'kneeFraction', 'minutes', 'overload', 'maxLevel', 'shedRecords', 'feedPauses', 'ingestNormalShare', 'lakeLagP99Seconds', 'commitIntervalSeconds', 'commitLatencyP50Ms', 'commitLatencyP99Ms', 'tailMicrosPerRecord', 'apiIdleCoreShare', 'tier1Shed', 'backfilledAll', 'endLevel'])
  })
})

describe('inputRates', () => {
  // 12,000 records/s for 10 minutes with a 3-minute stress at 36,000/s in the middle, sampled every 5 s.
  const rateAt = (t: number): number => (t >= 300 && t < 480 ? 36_000 : 12_000)
  const samples: SoakSample[] = []
  let n = 0
  for (let t = 0; t <= 600; t += 5) {
    samples.push(sample(t, { counters: { records: n } }))
    n += rateAt(t) * 5
  }
  it('finds the stress: its peak over 30 s and the seconds the input stood above the knee', () => {
    const { peak, secondsAbove } = inputRates(samples, 24_494)
    expect(peak).toBe(36_000)
    expect(secondsAbove).toBe(180)
  })
  it('counts nothing above a knee the input never reached, and no seconds without a knee', () => {
    expect(inputRates(samples, 40_000).secondsAbove).toBe(0)
    expect(inputRates(samples, undefined)).toEqual({ peak: 36_000, secondsAbove: undefined })
  })
  it('reports the stress in the run\'s detail when the knee\'s records/s are known', () => {
    const { detail } = summarizeSoak({ samples, windows: { measured: { from: 0, to: 600 } }, rate: 4.7, kneeRate: 9.4, kneeRecordsPerSecond: 24_494, minutes: 10, overload: false, stressRegime: false })
    expect(detail.input).toEqual({ stressRegime: false, peakRecordsPerSecond: 36_000, kneeRecordsPerSecond: 24_494, secondsAboveKnee: 180 })
  })
})
