import { describe, expect, it } from 'vitest'
import { withRun, type SoakIndex } from '../../../bench/soak/soak-index'
import type { SoakSummary } from '../../../bench/soak/soak-summary'

const run = (rate: number, tail: number): SoakSummary => ({
  rate,
  kneeFraction: rate / 2,
  minutes: 10,
  overload: false,
  maxLevel: { ingest: 'NORMAL', sink: 'NORMAL' },
  shedRecords: 0,
  feedPauses: 0,
  ingestNormalShare: 1,
  lakeLagP99Seconds: 33,
  commitIntervalSeconds: 30,
  commitLatencyP50Ms: 2000,
  commitLatencyP99Ms: 4000,
  tailMicrosPerRecord: tail,
  apiIdleCoreShare: 0.02,
  tier1Shed: 0,
  backfilledAll: true,
  endLevel: { ingest: 'NORMAL', sink: 'NORMAL' },
})

const index: SoakIndex = {
  generatedAt: '2026-12-04T17:53:09.746Z',
  command: 'npm run bench:soak -- --port-offset 0',
  knee: { rate: 2, recordsPerSecond: 6626, bottleneck: 'ingest' },
  soak: [run(1, 25.8), run(1, 24.2)],
  files: ['docs/bench/soak-knee.json', 'docs/bench/soak-rate-1-10min.json', 'docs/bench/soak-half-knee-10min.json'],
}

describe('a single soak run in the sequence index', () => {
  it('replaces the entry of the file it rewrote, leaving the others and the knee', () => {
    const next = withRun(index, 'docs/bench/soak-rate-1-10min.json', run(1, 9.9), '2026-12-05T06:00:00.000Z')
    expect(next.soak.map((s) => s.tailMicrosPerRecord)).toEqual([9.9, 24.2])
    expect(next.files).toEqual(index.files)
    expect(next.knee).toEqual(index.knee)
    expect(next.generatedAt).toBe('2026-12-05T06:00:00.000Z')
  })

  it('adds a run under a new label, with its file', () => {
    const next = withRun(index, 'docs/bench/soak-rate-3-10min.json', run(3, 8), '2026-12-05T06:00:00.000Z')
    expect(next.soak.map((s) => s.rate)).toEqual([1, 1, 3])
    expect(next.files.at(-1)).toBe('docs/bench/soak-rate-3-10min.json')
  })
})
