import { describe, expect, it } from 'vitest'
import { histogramQuantile, increase, levelName, meanCoreShare, quantileOf, type SoakSample } from '../../../bench/soak/soak-sample'

describe('increase', () => {
  it.each([
    { name: 'a steady counter', values: [10, 15, 30], expected: 20 },
    { name: 'a restart: the counter began again', values: [100, 120, 5, 25], expected: 20 + 5 + 20 },
    { name: 'missing readings are skipped', values: [10, undefined, 30, undefined], expected: 20 },
    { name: 'one reading: nothing grew', values: [42], expected: 0 },
    { name: 'never exported', values: [undefined, undefined], expected: undefined },
  ])('$name', ({ values, expected }) => {
    expect(increase(values)).toBe(expected)
  })
})

describe('quantileOf', () => {
  it('is the nearest rank: p99 of 30 values is the largest, p50 the 15th', () => {
    const xs = Array.from({ length: 30 }, (_, i) => 30 - i)
    expect(quantileOf(xs, 0.99)).toBe(30)
    expect(quantileOf(xs, 0.5)).toBe(15)
    expect(quantileOf([], 0.5)).toBeUndefined()
  })
})

describe('histogramQuantile', () => {
  // The sink's commit latency buckets (seconds), cumulative.
  const le = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, Infinity]
  it('interpolates inside the bucket that holds the rank, as Prometheus does', () => {
    // 10 commits: 4 within 1 s, 4 in (1, 2.5], 2 in (5, 10].
    const counts = [0, 0, 0, 0, 4, 8, 8, 10, 10, 10, 10]
    expect(histogramQuantile({ le, counts }, 0.5)).toBeCloseTo(1 + 1.5 * (1 / 4))
    expect(histogramQuantile({ le, counts }, 0.99)).toBeCloseTo(5 + 5 * (1.9 / 2))
  })
  it('answers the highest finite bound for ranks in +Inf, and nothing without observations', () => {
    expect(histogramQuantile({ le, counts: [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3] }, 0.99)).toBe(60)
    expect(histogramQuantile({ le, counts: le.map(() => 0) }, 0.5)).toBeUndefined()
  })
})

describe('levelName', () => {
  it('names the gauge values', () => {
    expect([0, 1, 2, 3, 4].map(levelName)).toEqual(['NORMAL', 'SOFT', 'GRACEFUL', 'AGGRESSIVE', 'CIRCUIT_BREAK'])
    expect(levelName(undefined)).toBeNull()
  })
})

describe('meanCoreShare', () => {
  const at = (t: number, cpu: number): SoakSample => ({ t, processes: { api: { cpu, rssMiB: 1 } } }) as unknown as SoakSample
  it("leaves out the sample taken at the window's start (it measured the time before), and weights each by the interval it covers", () => {
    // 0.9 of a core from 49.7 to 50 s: the wake query, just before the window opens at 50 s.
    const samples = [at(45, 0.01), at(49.7, 0.02), at(50, 0.9), at(50.5, 0.2), at(55, 0.02), at(60, 0.03)]
    // (0.2 × 0.5 + 0.02 × 4.5 + 0.03 × 5) / 10
    expect(meanCoreShare(samples, 'api', 50, 60)).toBeCloseTo(0.034, 6)
    expect(meanCoreShare(samples, 'api', 61, 70)).toBeUndefined()
    expect(meanCoreShare(samples, 'ingest', 50, 60)).toBeUndefined()
  })
})
