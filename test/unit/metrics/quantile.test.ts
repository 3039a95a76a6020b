import { describe, expect, it } from 'vitest'
import { parseExposition, quantile, sampleSum } from '../../../lib/internal'
import { quantile as benchQuantile } from '../../../bench/bench-kit'
import { percentile } from '../../../lib/internal'
import { prng } from '../../support/prng'

describe('quantile: nearest rank, one definition for notebooks, benchmarks and the degradation policy', () => {
  it.each([
    ['p50 of 4 values is the 2nd (not a blend of the 2nd and 3rd)', [4, 1, 3, 2], 0.5, 2],
    ['p50 of 5 values is the middle one', [5, 1, 4, 2, 3], 0.5, 3],
    ['p99 of 30 values is the largest', Array.from({ length: 30 }, (_, i) => i + 1), 0.99, 30],
    ['p95 of 20 values is the 19th', Array.from({ length: 20 }, (_, i) => i + 1), 0.95, 19],
    ['p90 of 10 ignores the one outlier', [1, 2, 3, 4, 5, 6, 7, 8, 9, 1000], 0.9, 9],
    ['q = 0 is the smallest', [3, 1, 2], 0, 1],
    ['q = 1 is the largest', [3, 1, 2], 1, 3],
    ['q above 1 acts as 1', [3, 1, 2], 7, 3],
    ['q below 0 acts as 0', [3, 1, 2], -1, 1],
    ['one value is every quantile', [42], 0.37, 42],
  ] as const)('%s', (_name, values, q, want) => {
    expect(quantile(values, q)).toBe(want)
  })

  it('says nothing for no values; the benchmarks write 0 and the policy NaN, as before', () => {
    expect(quantile([], 0.5)).toBeUndefined()
    expect(benchQuantile([], 0.5)).toBe(0)
    expect(percentile([], 50)).toBeNaN()
  })

  it('is a measured value with at least a share q at or below it, the smallest such (random samples)', () => {
    const random = prng(20)
    for (let run = 0; run < 500; run++) {
      const values = Array.from({ length: 1 + Math.floor(random() * 60) }, () => Math.round(random() * 1000) / 10)
      const q = Math.round(random() * 100) / 100
      const v = quantile(values, q)!
      expect(values).toContain(v)
      const atOrBelow = values.filter((x) => x <= v).length
      expect(atOrBelow).toBeGreaterThanOrEqual(q * values.length - 1e-9)
      // No smaller measured value already holds a share q.
      for (const smaller of values.filter((x) => x < v)) expect(values.filter((x) => x <= smaller).length).toBeLessThan(q * values.length - 1e-9)
      // The benchmarks' and the policy's readings are this one.
      expect(benchQuantile(values, q)).toBe(v)
      expect(percentile(values, q * 100)).toBe(quantile(values, (q * 100) / 100))
    }
  })

  it('picks what the benchmarks picked before it moved to lib, for their quantiles at every sample size up to 2,000', () => {
    const before = (xs: readonly number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1))]!
    for (let n = 1; n <= 2000; n++) {
      const values = Array.from({ length: n }, (_, i) => i)
      for (const q of [0.5, 0.9, 0.95, 0.99]) expect(quantile(values, q), `q ${q}, n ${n}`).toBe(before(values, q))
    }
  })

  it('counts a rank that floating point puts a hair above a whole one as that rank (0.07 × 100 is 7)', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1)
    expect(0.07 * 100).toBeGreaterThan(7)
    expect(quantile(values, 0.07)).toBe(7)
  })

  it('leaves its input unsorted', () => {
    const values = [3, 1, 2]
    quantile(values, 0.5)
    expect(values).toEqual([3, 1, 2])
  })
})

describe('exposition samples', () => {
  const text = ['# TYPE k2_ingest_records_total counter', 'k2_ingest_records_total{stream="trades",shard="0"} 10', 'k2_ingest_records_total{stream="trades",shard="1"} 5', 'k2_ingest_records_total{stream="quotes",shard="0"} 7'].join('\n')

  it('sums a counter over the labels not asked for', () => {
    const samples = parseExposition(text)
    expect(sampleSum(samples, 'k2_ingest_records_total', { stream: 'trades' })).toBe(15)
    expect(sampleSum(samples, 'k2_ingest_records_total')).toBe(22)
    expect(sampleSum(samples, 'k2_absent_total')).toBe(0)
  })
})
