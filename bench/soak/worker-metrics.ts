/**
 * The part of a soak sample that comes from the workers' /metrics: levels, signals, lake lag,
 * and the counters the summary differences. Metrics a worker does not export (yet) are left
 * undefined rather than read as 0, so a summary never reports "no feed pause" from a counter
 * that does not exist. Pure: input is the parsed exposition of each worker.
 */
import type { Histogram, SoakSample } from './soak-sample'

/** One parsed exposition line (`parseExposition` in lib/metrics). */
export interface ExpositionSample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

/** One worker's /metrics: its samples, and the metric names it declares (`# TYPE` lines). */
export interface WorkerExposition {
  readonly samples: readonly ExpositionSample[]
  /** A labelled counter nothing has incremented yet has no sample, only its declaration: it reads 0, not "absent". */
  readonly declared: ReadonlySet<string>
}

/** The workers the soak reads, by their metrics worker name; undefined for one that did not answer. */
export interface WorkerExpositions {
  readonly ingest?: WorkerExposition
  readonly 'iceberg-sink'?: WorkerExposition
}

/** The metric names an exposition declares. */
export function declaredMetrics(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!))
}

type FromMetrics = Pick<SoakSample, 'level' | 'signals' | 'lakeLagSeconds' | 'counters'>

const named = (x: WorkerExposition | undefined, name: string): ExpositionSample[] => (x?.samples ?? []).filter((s) => s.name === name)
/** The sum of a metric's series; 0 when declared without series; undefined when the worker does not export it. */
const total = (x: WorkerExposition | undefined, name: string, filter: (s: ExpositionSample) => boolean = () => true): number | undefined => {
  const xs = named(x, name).filter(filter)
  if (xs.length > 0) return xs.reduce((n, s) => n + s.value, 0)
  return x?.declared.has(name) ? 0 : undefined
}

/** Sums a labelled counter by one label. */
function byLabel(x: WorkerExposition | undefined, name: string, label: string): Record<string, number> | undefined {
  const xs = named(x, name)
  if (xs.length === 0) return x?.declared.has(name) ? {} : undefined
  const out: Record<string, number> = {}
  for (const s of xs) {
    const k = s.labels[label] ?? ''
    out[k] = (out[k] ?? 0) + s.value
  }
  return out
}

/** A histogram summed over its series (every `table`), buckets in ascending order. */
export function histogramOf(xs: WorkerExposition | undefined, name: string, filter: (labels: Readonly<Record<string, string>>) => boolean = () => true): Histogram | undefined {
  const buckets = new Map<number, number>()
  for (const s of named(xs, `${name}_bucket`)) {
    if (!filter(s.labels)) continue
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le)
    buckets.set(le, (buckets.get(le) ?? 0) + s.value)
  }
  if (buckets.size === 0) return undefined
  const le = [...buckets.keys()].sort((a, b) => a - b)
  return { le, counts: le.map((b) => buckets.get(b)!) }
}

/** Levels, signals, lag and counters from the ingest's and the sink's expositions. */
export function fromWorkerMetrics(m: WorkerExpositions): FromMetrics {
  const ingest = m.ingest
  const sink = m['iceberg-sink']
  const level = (x: WorkerExposition | undefined): number | undefined => named(x, 'k2_degrade_level')[0]?.value
  const signals: Record<string, Record<string, number>> = {}
  for (const x of [ingest, sink]) {
    for (const s of named(x, 'k2_degrade_signal')) {
      const worker = s.labels.worker ?? 'unknown'
      ;(signals[worker] ??= {})[s.labels.signal ?? 'unknown'] = s.value
    }
  }
  const lags = named(sink, 'k2_sink_lag_seconds').map((s) => s.value)
  const transitions = total(ingest, 'k2_degrade_transitions_total', (s) => s.labels.to === 'CIRCUIT_BREAK')
  return {
    level: { ingest: level(ingest), sink: level(sink) },
    signals,
    lakeLagSeconds: lags.length > 0 ? Math.max(...lags) : undefined,
    counters: {
      records: total(ingest, 'k2_ingest_records_total', (s) => s.labels.stream === 'trades' || s.labels.stream === 'quotes'),
      shed: total(ingest, 'k2_degrade_shed_records_total'),
      shedByTier: byLabel(ingest, 'k2_degrade_shed_records_total', 'tier'),
      backfilled: total(sink, 'k2_degrade_backfilled_records_total'),
      feedPauses: total(ingest, 'k2_ingest_feed_pauses_total'),
      circuitBreaks: transitions,
      ingestSecondsByLevel: byLabel(ingest, 'k2_degrade_time_in_level_seconds_total', 'level'),
      tradeCommits: total(sink, 'k2_sink_commit_latency_seconds_count', (s) => s.labels.table === 'trades'),
      commitLatency: histogramOf(sink, 'k2_sink_commit_latency_seconds'),
    },
  }
}
