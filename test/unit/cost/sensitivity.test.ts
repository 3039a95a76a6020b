import { describe, expect, it } from 'vitest'
import { defaultLevers, estimateCost, scales } from '../../../lib/internal'
import { figuresFromBenchmarks } from '../../../lib/internal'
import { compareWithSeed, seedCostPerMillion } from '../../../lib/internal'
import { defaultLeverVariants, sensitivity, type LeverVariant } from '../../../lib/internal'
import { parseUnitPrices } from '../../../lib/internal'
import { benchmarkResults, readProjectJson } from '../../support/cost-inputs'

const prices = parseUnitPrices(readProjectJson('data/unit-prices.json'))
const figures = figuresFromBenchmarks(benchmarkResults())

describe('sensitivity table', () => {
  it('starts with the baseline, then one row per lever value in the order given', () => {
    const rows = sensitivity(prices, figures, scales.large, defaultLevers)
    expect(rows).toHaveLength(1 + defaultLeverVariants.reduce((s, v) => s + v.values.length, 0))
    const base = estimateCost(prices, figures, scales.large, defaultLevers)
    expect(rows[0]).toEqual({ lever: 'baseline', value: '', total: base.total, perMillion: base.perMillion, changePerMonth: 0, changeRatio: 0 })
    expect(rows.slice(1, 4).map((r) => [r.lever, r.value])).toEqual([['commitIntervalSeconds', '10'], ['commitIntervalSeconds', '60'], ['commitIntervalSeconds', '300']])
  })

  it('prices each row as estimateCost does with that one lever changed', () => {
    const variants: LeverVariant[] = [{ lever: 'compaction', values: [false] }, { lever: 'kafka', values: ['self-run'] }, { lever: 'lakeRetentionDays', values: [30] }]
    const base = estimateCost(prices, figures, scales.medium, defaultLevers)
    const rows = sensitivity(prices, figures, scales.medium, defaultLevers, variants)
    const expected = [{ ...defaultLevers, compaction: false }, { ...defaultLevers, kafka: 'self-run' as const }, { ...defaultLevers, lakeRetentionDays: 30 }].map((l) => estimateCost(prices, figures, scales.medium, l))
    expect(rows.slice(1).map((r) => [r.lever, r.value])).toEqual([['compaction', 'false'], ['kafka', 'self-run'], ['lakeRetentionDays', '30']])
    rows.slice(1).forEach((r, i) => {
      expect(r.total).toBe(expected[i]!.total)
      expect(r.perMillion).toBe(expected[i]!.perMillion)
      expect(r.changePerMonth).toBeCloseTo(expected[i]!.total - base.total, 9)
      expect(r.changeRatio).toBeCloseTo((expected[i]!.total - base.total) / base.total, 12)
    })
    // Shorter lake retention is cheaper, self-run Kafka is cheaper than MSK here.
    expect(rows[2]!.changeRatio).toBeLessThan(0)
    expect(rows[3]!.changeRatio).toBeLessThan(0)
  })

  it('refuses a lever value out of range, as estimateCost does', () => {
    expect(() => sensitivity(prices, figures, scales.small, defaultLevers, [{ lever: 'cpuTargetUtilisation', values: [0] }])).toThrow(/cpuTargetUtilisation must be in \(0, 1\]/)
  })
})

describe('the seeds beside ours', () => {
  it('shows our $ per million against the seeds\' $0.63–0.85, with the reason', () => {
    const e = estimateCost(prices, figures, scales.large, defaultLevers)
    const c = compareWithSeed(e, 'test reason')
    expect(c).toEqual({ scale: 'large', oursPerMillion: e.perMillion, seedLow: 0.63, seedHigh: 0.85, ratioToSeedLow: e.perMillion / 0.63, ratioToSeedHigh: e.perMillion / 0.85, reason: 'test reason' })
    expect(seedCostPerMillion).toEqual({ low: 0.63, high: 0.85 })
  })

  it('needs a reason', () => {
    expect(() => compareWithSeed(estimateCost(prices, figures, scales.small, defaultLevers), '  ')).toThrow(/seed comparison for scale small: reason must say in one line why/)
  })
})
