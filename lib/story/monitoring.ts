/**
 * The monitoring section: the ingest rate and the lake lag as Prometheus recorded them, the
 * sink's commit latency from its histogram, and Prometheus' scrape targets. Queries go through
 * the stack's Prometheus; shaping them for charts and tables is pure.
 */
import { metricDefinitions } from '../metrics/index'
import { lineChart, type Chart } from '../viz/index'
import type { PromPoint, PromSample, StoryStack } from './story-stack'

/** The ingest rate of one stream at one instant, records/s. */
export type IngestRatePoint = { readonly at: Date; readonly stream: string; readonly perSecond: number }
/** The lake lag of one table at one instant, seconds. */
export type LakeLagPoint = { readonly at: Date; readonly table: string; readonly seconds: number }

const ingestRecords = metricDefinitions.ingestRecords.name
const sinkLag = metricDefinitions.sinkLagSeconds.name
const commitLatency = metricDefinitions.sinkCommitLatency.name

/** The last `minutes` of the ingest rate (rate over 30 s, by stream) and the lake lag (by table), at 5 s steps. */
export async function readMonitoring(stack: Pick<StoryStack, 'promRange'>, minutes: number): Promise<{ readonly ingestRate: IngestRatePoint[]; readonly lakeLag: LakeLagPoint[] }> {
  const rate = await stack.promRange(`sum by (stream) (rate(${ingestRecords}[30s]))`, minutes, 5)
  const lag = await stack.promRange(`max by (table) (${sinkLag})`, minutes, 5)
  return { ingestRate: ingestRatePoints(rate), lakeLag: lakeLagPoints(lag) }
}

/** Prometheus' points of the ingest rate, rounded to whole records/s. */
export function ingestRatePoints(points: readonly PromPoint[]): IngestRatePoint[] {
  return points.map((p) => ({ at: p.at, stream: p.labels.stream ?? '', perSecond: Math.round(p.value) }))
}

/** Prometheus' points of the lake lag. */
export function lakeLagPoints(points: readonly PromPoint[]): LakeLagPoint[] {
  return points.map((p) => ({ at: p.at, table: p.labels.table ?? '', seconds: p.value }))
}

/** The ingest rate as Prometheus recorded it. */
export function ingestRateHistoryChart(points: readonly IngestRatePoint[]): Chart {
  return lineChart(points, { title: 'Ingest rate (Prometheus: rate over 30 s)', x: 'at', y: 'perSecond', series: 'stream', xTitle: 'time (UTC)', yTitle: 'records/s', height: 180 })
}

/** The lake lag as Prometheus recorded it. */
export function lakeLagChart(points: readonly LakeLagPoint[]): Chart {
  return lineChart(points, { title: 'Lake lag: age of the oldest record not yet committed', x: 'at', y: 'seconds', series: 'table', xTitle: 'time (UTC)', yTitle: 'seconds', height: 180 })
}

/** Commits counted and their latency quantiles, seconds (undefined: the histogram has no answer yet). */
export interface CommitLatency {
  readonly table: string
  readonly commits: number
  readonly p50Seconds: number | undefined
  readonly p99Seconds: number | undefined
}

/**
 * The commit latency of `table` since the sink started, from its whole histogram: the recording
 * rule (stack/prometheus/rules) needs 5 minutes of commits, more than a young sink has. Waits
 * until Prometheus (scraping every 5 s) has seen a commit.
 */
export async function readCommitLatency(stack: Pick<StoryStack, 'promQuery' | 'waitFor' | 'config'>, table: string, timeoutMs = 30_000): Promise<CommitLatency> {
  const commits = await stack.waitFor("Prometheus to scrape the sink's commits", async () => {
    const n = (await stack.promQuery(`sum(${commitLatency}_count{table="${table}"})`))[0]?.value ?? 0
    return n > 0 ? n : undefined
  }, timeoutMs)
  const at = async (q: number): Promise<number | undefined> => (await stack.promQuery(`histogram_quantile(${q}, sum by (le) (${commitLatency}_bucket{table="${table}"}))`))[0]?.value
  return { table: `${stack.config.sink.namespace}.${table}`, commits, p50Seconds: await at(0.5), p99Seconds: await at(0.99) }
}

/** The commit latency in one line (`n/a` where the histogram has no answer yet). */
export function commitLatencyLine(c: CommitLatency): string {
  const ms = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? 'n/a' : `${(v * 1000).toFixed(0)} ms`)
  return `commit latency to ${c.table} since the sink started (${c.commits} commits; flush start to snapshot committed): p50 ${ms(c.p50Seconds)}, p99 ${ms(c.p99Seconds)} (histogram bucket bounds)`
}

/** Prometheus' `up` series as a table: each target and whether its last scrape worked. */
export function scrapeTargetRows(up: readonly PromSample[]): Array<{ readonly target: string; readonly instance: string; readonly up: 'yes' | 'no' }> {
  return up.map((s) => ({ target: s.labels.job ?? s.labels.instance ?? '', instance: s.labels.instance ?? '', up: s.value === 1 ? 'yes' : 'no' }))
}
