import { describe, expect, it } from 'vitest'
import { compareScalesWithSeed, defaultLevers, estimateAtScales, figuresFromBenchmarks, largeScaleTargetPerMillion, projectRoot, readBenchmarkResults, readUnitPrices, seedCostPerMillion, sensitivity, scales, story } from '../../../lib/internal'

describe('the cost model as the story shows it', () => {
  const prices = readUnitPrices(projectRoot)
  const figures = figuresFromBenchmarks(readBenchmarkResults(projectRoot))
  const estimates = estimateAtScales(prices, figures)

  it("puts the seeds' figure and the target beside ours from lib/cost's constants, not typed again", () => {
    const line = story.seedAndTargetLine(estimates)
    expect(line).toBe(`the seed project: $${seedCostPerMillion.low}–${seedCostPerMillion.high} per million; the target for the large scale: ≤ $${largeScaleTargetPerMillion} (met: ${estimates.large.perMillion <= largeScaleTargetPerMillion})`)
    const bars = (story.perMillionChart(compareScalesWithSeed(estimates, figures)).spec.data as { values: Array<{ what: string; perMillion: number }> }).values
    expect(bars.slice(3)).toEqual([
      { what: 'seeds: low', perMillion: seedCostPerMillion.low },
      { what: 'seeds: high', perMillion: seedCostPerMillion.high },
      { what: 'target (large)', perMillion: largeScaleTargetPerMillion },
    ])
    expect(story.targetLine(estimates.large)).toMatch(/^large scale: \$[\d.]+ per million messages — (meets|misses) the \$0.05 target$/)
  })

  it('describes the default levers as the scale table always did', () => {
    expect(story.leverSummary(defaultLevers)).toBe('30 s commits, zstd, 7-day Kafka, a year of lake, compaction, m7g.large, managed Kafka')
    expect(story.leverSummary({ ...defaultLevers, compressionFactor: 1.07, lakeRetentionDays: 30, compaction: false })).toBe('30 s commits, Kafka bytes ×1.07 of zstd, 7-day Kafka, 30 days of lake, no compaction, m7g.large, managed Kafka')
  })

  it('stacks every component of every scale, labelled as lib/cost titles them', () => {
    const values = (story.costByComponentChart(estimates, { title: 't', perMillionInLabel: true }).spec.data as { values: Array<{ scale: string; component: string; dollars: number }> }).values
    expect(values).toHaveLength(3 * 7)
    expect(new Set(values.map((v) => v.component))).toEqual(new Set(['compute: ingest', 'compute: sink', 'compute: queries', 'Kafka', 'object storage', 'S3 requests', 'network']))
    expect(values[0]!.scale).toMatch(/^small: \$[\d.]+\/M msgs$/)
    expect(story.costLines(estimates).split('\n')).toHaveLength(3)
  })

  it('lays out the tables: scales, figures, sensitivity, the sweep and where each price came from', () => {
    expect(story.scaleRows(estimates).map((r) => r.scale)).toEqual(['small', 'medium', 'large'])
    expect(story.measuredFigureRows(figures)).toHaveLength(7)
    const rows = sensitivity(prices, figures, scales.large, defaultLevers)
    expect(story.sensitivityRows(rows)[0]!.change).toBe('+0.0%')
    const sweep = story.commitIntervalSweep(prices, figures, [30, 300])
    expect(sweep.filter((s) => s.scale === 'large' && s.seconds === 30)[0]!.perMillion).toBeCloseTo(estimates.large.perMillion, 12)
    expect((story.commitIntervalChart(sweep).spec.data as { values: unknown[] }).values).toHaveLength(4)
    expect(story.priceSourceRows(prices).map((r) => r.prices)).toEqual(['compute', 'objectStorage', 'requests', 'network', 'kafkaManaged', 'kafkaSelfRun'])
    expect(story.money(1234.5)).toBe('$1,235')
    expect(story.money(12.345)).toBe('$12.35')
    expect(story.money(0.01234)).toBe('$0.0123')
    // Below a cent, three significant digits, as the cost report prints them (four decimals printed $0.0000).
    expect(story.money(0.0000123)).toBe('$0.0000123')
  })
})
