/**
 * The cost model as the story shows it (01's section 7, 04-cost-model): the measured figures,
 * the three scales with their components, the seeds' figure and the target beside ours, the
 * levers' sensitivity and the commit-interval sweep, and where each input came from. Pure: the
 * numbers come from lib/cost; this only arranges them.
 */
import {
  costComponentTitles,
  costComponents,
  defaultLevers,
  estimateCost,
  largeScaleTargetPerMillion,
  money,
  scaleNames,
  scales,
  seedCostPerMillion,
  type CostEstimate,
  type Levers,
  type MeasuredFigures,
  type ScaleName,
  type SeedComparison,
  type SensitivityRow,
  type UnitPrices,
} from '../cost/index'
import { barChart, lineChart, vegaLiteChart, type Chart } from '../viz/index'

type Estimates = Readonly<Record<ScaleName, CostEstimate>>

/** The levers in words: `30 s commits, zstd, 7-day Kafka, a year of lake, compaction, m7g.large, managed Kafka`. */
export function leverSummary(levers: Levers): string {
  const compression = levers.compressionFactor === 1 ? 'zstd' : `Kafka bytes ×${levers.compressionFactor} of zstd`
  const lake = levers.lakeRetentionDays === 365 ? 'a year' : `${levers.lakeRetentionDays} days`
  return `${levers.commitIntervalSeconds} s commits, ${compression}, ${levers.kafkaRetentionHours / 24}-day Kafka, ${lake} of lake, ${levers.compaction ? 'compaction' : 'no compaction'}, ${levers.instance}, ${levers.kafka} Kafka`
}

/** The figures the model takes from the benchmarks, one row each. */
export function measuredFigureRows(f: MeasuredFigures): Array<{ readonly figure: string; readonly value: string }> {
  return [
    { figure: 'lake bytes per message (as committed / after compaction)', value: `${f.lakeBytesPerMessage.asCommitted.toFixed(2)} / ${f.lakeBytesPerMessage.afterCompaction.toFixed(2)} B` },
    { figure: 'Kafka bytes per message (Avro, zstd batches, one replica)', value: `${f.kafkaBytesPerMessage.toFixed(1)} B` },
    { figure: 'ingest messages/s per core', value: Math.round(f.ingestMessagesPerSecondPerCore).toLocaleString('en') },
    { figure: 'sink messages/s per core', value: Math.round(f.sinkMessagesPerSecondPerCore).toLocaleString('en') },
    { figure: 'compaction core-µs per message', value: f.compactionCoreMicrosPerMessage.toFixed(1) },
    { figure: 'query: core-s per query + core-s per GiB scanned', value: `${f.queryOverheadCoreSeconds.toFixed(4)} + ${f.queryCoreSecondsPerGib.toFixed(1)}` },
    {
      figure: 'files per hour per table (measured live)',
      value: `${f.measuredFilesPerHour.filesPerHourPerTable.toLocaleString('en')} at ${f.measuredFilesPerHour.messagesPerSecond.toLocaleString('en')} msg/s`,
    },
  ]
}

/** Each scale's volume, bill and size. */
export function scaleRows(estimates: Estimates): Array<Readonly<Record<string, string | number>>> {
  return scaleNames.map((n) => {
    const e = estimates[n]
    return {
      scale: n,
      symbols: scales[n].symbols,
      'messages/s': e.messagesPerSecond.toLocaleString('en'),
      'messages/month': `${(e.messagesPerMonth / 1e9).toFixed(2)} B`,
      '$/month': money(e.total),
      '$ per million': money(e.perMillion),
      vCPU: e.detail.vcpu.total.toFixed(1),
      'lake GiB stored': Math.round(e.detail.lakeStoredGiB),
    }
  })
}

/** The assumption behind each scale's rates, one line each. */
export function scaleAssumptions(): string {
  return scaleNames.map((n) => `${n}: ${scales[n].assumption}`).join('\n')
}

/** Monthly cost by component, stacked per scale; with `perMillionInLabel` each scale says its $ per million messages. */
export function costByComponentChart(estimates: Estimates, options: { readonly title: string; readonly perMillionInLabel?: boolean }): Chart {
  const label = (e: CostEstimate): string => (options.perMillionInLabel ? `${e.scale}: $${e.perMillion < 1 ? e.perMillion.toFixed(4) : e.perMillion.toFixed(2)}/M msgs` : e.scale)
  const values = scaleNames.flatMap((n) => costComponents.map((c) => ({ scale: label(estimates[n]), component: costComponentTitles[c], dollars: Math.round(estimates[n].monthly[c]) })))
  return vegaLiteChart(
    {
      data: { values },
      mark: 'bar',
      encoding: {
        x: { field: 'scale', type: 'nominal', sort: scaleNames.map((n) => label(estimates[n])), title: '', axis: { labelAngle: 0 } },
        y: { field: 'dollars', type: 'quantitative', title: '$ per month' },
        color: { field: 'component', type: 'nominal', title: '' },
        tooltip: [{ field: 'component' }, { field: 'dollars', type: 'quantitative' }],
      },
      width: 480,
      height: 240,
    },
    options.title,
  )
}

/** One line per scale: messages a month, the bill, $ per million. */
export function costLines(estimates: Estimates): string {
  return scaleNames
    .map((n) => estimates[n])
    .map((e) => `${e.scale}: ${(e.messagesPerMonth / 1e9).toFixed(2)} B messages/month, $${Math.round(e.total).toLocaleString('en')}/month, $${e.perMillion.toFixed(4)} per million`)
    .join('\n')
}

/** The seeds' figure and the large scale's target beside ours, in one line. */
export function seedAndTargetLine(estimates: Estimates): string {
  const met = estimates.large.perMillion <= largeScaleTargetPerMillion
  return `the seed project: $${seedCostPerMillion.low}–${seedCostPerMillion.high} per million; the target for the large scale: ≤ $${largeScaleTargetPerMillion} (met: ${met})`
}

/** Whether the large scale meets its target, with its $ per million. */
export function targetLine(large: CostEstimate): string {
  return `large scale: ${money(large.perMillion)} per million messages — ${large.perMillion <= largeScaleTargetPerMillion ? 'meets' : 'misses'} the $${largeScaleTargetPerMillion} target`
}

/** Each scale's $ per million beside the seeds' range, with the ratio and the reason. */
export function seedComparisonRows(comparisons: readonly SeedComparison[]): Array<Readonly<Record<string, string>>> {
  return comparisons.map((c) => ({ scale: c.scale, 'ours ($/M)': money(c.oursPerMillion), 'seeds ($/M)': `$${c.seedLow}–${c.seedHigh}`, "ours ÷ seeds' best": c.ratioToSeedLow.toFixed(3), why: c.reason }))
}

/** $ per million at each scale beside the seeds' low and high and the large scale's target, on a log scale. */
export function perMillionChart(comparisons: readonly SeedComparison[]): Chart {
  const rows = [
    ...comparisons.map((c) => ({ what: `ours: ${c.scale}`, perMillion: c.oursPerMillion })),
    { what: 'seeds: low', perMillion: seedCostPerMillion.low },
    { what: 'seeds: high', perMillion: seedCostPerMillion.high },
    { what: 'target (large)', perMillion: largeScaleTargetPerMillion },
  ]
  return barChart(rows, { title: '$ per million messages (log scale)', x: 'what', y: 'perMillion', yTitle: '$ per million', logY: true, height: 220 })
}

/** Each lever's variant: its bill, $ per million and change against the defaults. */
export function sensitivityRows(rows: readonly SensitivityRow[]): Array<Readonly<Record<string, string>>> {
  return rows.map((r) => ({ lever: r.lever, value: r.value, '$/month': money(r.total), '$ per million': money(r.perMillion), change: `${r.changeRatio >= 0 ? '+' : ''}${(r.changeRatio * 100).toFixed(1)}%` }))
}

/** % change of the monthly cost for each lever's variant against the defaults. */
export function sensitivityChart(rows: readonly SensitivityRow[]): Chart {
  const bars = rows.filter((r) => r.lever !== 'baseline').map((r) => ({ variant: `${r.lever} = ${r.value}`, change: Math.round(r.changeRatio * 1000) / 10 }))
  return barChart(bars, { title: 'Change in monthly cost vs the defaults (large scale)', x: 'variant', y: 'change', yTitle: '% change', horizontal: true, height: 320 })
}

/** $ per million at one scale and commit interval. */
export type IntervalCost = { readonly seconds: number; readonly scale: ScaleName; readonly perMillion: number }

/** $ per million at each scale for each commit interval, the other levers at their defaults. */
export function commitIntervalSweep(prices: UnitPrices, figures: MeasuredFigures, intervalsSeconds: readonly number[]): IntervalCost[] {
  return scaleNames.flatMap((n) => intervalsSeconds.map((s) => ({ seconds: s, scale: n, perMillion: estimateCost(prices, figures, scales[n], { ...defaultLevers, commitIntervalSeconds: s }).perMillion })))
}

/** The sweep at the medium and large scales (the small one is fixed costs whatever the interval). */
export function commitIntervalChart(sweep: readonly IntervalCost[]): Chart {
  return lineChart(
    sweep.filter((r) => r.scale !== 'small'),
    { title: '$ per million messages by commit interval', x: 'seconds', xType: 'quantitative', y: 'perMillion', series: 'scale', logY: true, xTitle: 'commit interval (s)', yTitle: '$ per million', height: 220 },
  )
}

/** How each measured figure was derived, numbered. */
export function assumptionRows(figures: MeasuredFigures): Array<{ readonly '#': number; readonly assumption: string }> {
  return figures.assumptions.map((a, i) => ({ '#': i + 1, assumption: a }))
}

/** Each group of unit prices with its date and source. */
export function priceSourceRows(prices: UnitPrices): Array<{ readonly prices: string; readonly date: string; readonly source: string }> {
  const groups = { compute: prices.compute, objectStorage: prices.objectStorage, requests: prices.requests, network: prices.network, kafkaManaged: prices.kafkaManaged, kafkaSelfRun: prices.kafkaSelfRun }
  return Object.entries(groups).map(([k, v]) => ({ prices: k, date: v.date, source: v.source }))
}
