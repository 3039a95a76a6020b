/**
 * The story's first chart: records/s the ingest worker produced to Kafka, from its own counters
 * (`k2_ingest_records_total` by stream) scraped once a second, before Prometheus has a minute of
 * them. The sampling takes the stack; the rest is pure.
 */
import { metricDefinitions, type MetricSample } from '../metrics/index'
import { lineChart, type Chart } from '../viz/index'
import type { Sleep, StoryStack } from './story-stack'

/** Records/s of one stream between two scrapes, stamped with the later one. */
export type StreamRate = { readonly at: Date; readonly stream: string; readonly perSecond: number }

/** One scrape of the counter: records so far by stream. */
export interface CounterReading {
  readonly atMs: number
  readonly counts: ReadonlyMap<string, number>
}

/** Records produced so far, by stream (a stream's series summed over any other label). */
export function readingOf(samples: readonly MetricSample[], atMs: number): CounterReading {
  const counts = new Map<string, number>()
  for (const s of samples) {
    const stream = s.labels.stream
    if (s.name === metricDefinitions.ingestRecords.name && stream !== undefined) counts.set(stream, (counts.get(stream) ?? 0) + s.value)
  }
  return { atMs, counts }
}

/** The rate of every stream between two readings; a stream first seen in `current` has 0 (nothing to compare with yet). */
export function ratesBetween(previous: CounterReading, current: CounterReading): StreamRate[] {
  const seconds = (current.atMs - previous.atMs) / 1000
  if (seconds <= 0) return []
  return [...current.counts].map(([stream, n]) => ({ at: new Date(current.atMs), stream, perSecond: Math.round((n - (previous.counts.get(stream) ?? n)) / seconds) }))
}

/** Scrapes the ingest worker `seconds + 1` times, a second apart, and returns the rates between scrapes. */
export async function sampleIngestRates(stack: Pick<StoryStack, 'scrape'>, options: { readonly seconds: number; readonly sleep?: Sleep; readonly now?: () => number }): Promise<StreamRate[]> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const now = options.now ?? Date.now
  const rates: StreamRate[] = []
  let previous: CounterReading | undefined
  for (let i = 0; i <= options.seconds; i++) {
    const reading = readingOf(await stack.scrape('ingest'), now())
    if (previous) rates.push(...ratesBetween(previous, reading))
    previous = reading
    if (i < options.seconds) await sleep(1000)
  }
  return rates
}

/** `trades: 812/s · quotes: 2410/s`: the mean rate of each market stream. */
export function meanRatesLine(rates: readonly StreamRate[]): string {
  const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
  return ['trades', 'quotes'].map((s) => `${s}: ${Math.round(mean(rates.filter((r) => r.stream === s).map((r) => r.perSecond)))}/s`).join(' · ')
}

/** Records/s per stream over the sampled seconds. */
export function ingestRateChart(rates: readonly StreamRate[]): Chart {
  return lineChart(rates, { title: 'Records produced to Kafka per second (live)', x: 'at', y: 'perSecond', series: 'stream', xTitle: 'time (UTC)', yTitle: 'records/s', height: 220 })
}
