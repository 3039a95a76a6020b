import { estimateCost, type Levers, type Scale } from './cost-model'
import type { MeasuredFigures } from './measured-figures'
import type { UnitPrices } from './unit-prices'

/** Values to try for one lever, the others held at the baseline. */
export type LeverVariant = { readonly [K in keyof Levers]: { readonly lever: K; readonly values: ReadonlyArray<Levers[K]> } }[keyof Levers]

/** One row of the sensitivity table: a lever set to a value, everything else at the baseline. */
export interface SensitivityRow {
  /** The lever changed, or `baseline` for the first row. */
  readonly lever: keyof Levers | 'baseline'
  /** The lever's value, as text (`300`, `false`, `self-run`). */
  readonly value: string
  /** $ per month. */
  readonly total: number
  /** $ per million messages. */
  readonly perMillion: number
  /** total − baseline total, $ per month. */
  readonly changePerMonth: number
  /** (total − baseline) / baseline: −0.25 is a quarter cheaper. */
  readonly changeRatio: number
}

/** The levers worth trying, with values from the benchmarks where they give one (gzip 31.9 and none 192.3 vs zstd 29.8 bytes per trade). */
export const defaultLeverVariants: readonly LeverVariant[] = [
  { lever: 'commitIntervalSeconds', values: [10, 60, 300] },
  { lever: 'compressionFactor', values: [1.07, 6.45] },
  { lever: 'kafkaRetentionHours', values: [24, 720] },
  { lever: 'lakeRetentionDays', values: [30, 1825] },
  { lever: 'compaction', values: [false] },
  { lever: 'instance', values: ['m7g.medium', 'c7g.large', 'm7i.large'] },
  { lever: 'kafka', values: ['self-run'] },
  { lever: 'kafkaZones', values: [2] },
  { lever: 'queryCacheHitRatio', values: [0.9] },
]

/**
 * The sensitivity table (pure): the baseline, then one row per lever value with the other levers
 * at the baseline, in the order given. Throws CONFIG_INVALID, as estimateCost does, for a value
 * out of range.
 */
export function sensitivity(prices: UnitPrices, figures: MeasuredFigures, scale: Scale, levers: Levers, leverVariants: readonly LeverVariant[] = defaultLeverVariants): SensitivityRow[] {
  const base = estimateCost(prices, figures, scale, levers)
  const row = (lever: SensitivityRow['lever'], value: string, total: number, perMillion: number): SensitivityRow => ({
    lever,
    value,
    total,
    perMillion,
    changePerMonth: total - base.total, // $ per month against the baseline
    changeRatio: base.total > 0 ? (total - base.total) / base.total : 0, // relative change
  })
  const rows: SensitivityRow[] = [row('baseline', '', base.total, base.perMillion)]
  for (const variant of leverVariants) {
    for (const value of variant.values as ReadonlyArray<Levers[keyof Levers]>) {
      const varied = { ...levers, [variant.lever]: value } as Levers
      const e = estimateCost(prices, figures, scale, varied)
      rows.push(row(variant.lever, String(value), e.total, e.perMillion))
    }
  }
  return rows
}
