/**
 * What the soak records every 5 s, and the arithmetic on a series of them: counter increases
 * over a window (resets counted as Prometheus' `increase` does), quantiles, and a histogram's
 * quantile from bucket increases. Pure: no IO, so the summary is tested from recorded samples.
 */

import { degradationLevels, quantile, type DegradationLevel } from '../../lib/internal'

/** The degradation levels by gauge value (`k2_degrade_level`: 0 NORMAL … 4 CIRCUIT_BREAK), as lib names them. */
export const levelNames = degradationLevels
export type LevelName = DegradationLevel

/** The level a gauge value stands for, or null when the worker did not report one. */
export const levelName = (value: number | undefined): LevelName | null => (value === undefined ? null : (levelNames[Math.max(0, Math.min(4, Math.round(value)))] ?? null))

/** A cumulative Prometheus histogram: bucket upper bounds (the last may be +Inf) and counts. */
export interface Histogram {
  readonly le: readonly number[]
  readonly counts: readonly number[]
}

/** The parts of a run the summary tells apart. */
export type SoakPhase = 'warmup' | 'idle' | 'load' | 'overload' | 'drain' | 'step' | 'settle'

/** One reading of everything, every 5 s. Cumulative counters are raw; absent metrics are undefined. */
export interface SoakSample {
  /** Seconds since the run started. */
  readonly t: number
  /** Epoch milliseconds. */
  readonly at: number
  readonly phase: SoakPhase
  /** The replay rate the exchange plays at. */
  readonly rate: number
  readonly level: { readonly ingest?: number; readonly sink?: number }
  /** `k2_degrade_signal{worker,signal}` when the workers export it: worker → signal → value. */
  readonly signals: Readonly<Record<string, Readonly<Record<string, number>>>>
  /** The oldest record not yet in the lake, worst table (`k2_sink_lag_seconds`). */
  readonly lakeLagSeconds?: number
  /** How far the replay exchange runs behind its schedule (its `/k2/stats` scheduleLagMs): a reader that cannot keep up. */
  readonly feedLagSeconds?: number
  readonly counters: {
    /** Records the ingest produced to the hot topics (trades + quotes). */
    readonly records?: number
    readonly shed?: number
    readonly shedByTier?: Readonly<Record<string, number>>
    readonly backfilled?: number
    /** `k2_ingest_feed_pauses_total`, when exported. */
    readonly feedPauses?: number
    /** The ingest's entries into CIRCUIT_BREAK, the level at which the feed pauses (D29). */
    readonly circuitBreaks?: number
    /** Seconds the ingest spent at each level (`k2_degrade_time_in_level_seconds_total`). */
    readonly ingestSecondsByLevel?: Readonly<Record<string, number>>
    /** Commits to market.trades (the commit latency histogram's count for that table). */
    readonly tradeCommits?: number
    /** Commit latency in seconds, both tables. */
    readonly commitLatency?: Histogram
  }
  /** The API load loop's requests that completed in this interval. */
  readonly api: { readonly requests: number; readonly errors: number; readonly p50Ms?: number; readonly p99Ms?: number }
  /** The notebook kernel's cells that completed in this interval. */
  readonly kernel: { readonly cells: number; readonly errors: number; readonly p50Ms?: number }
  /** Per process tree: share of one core over the interval, and resident memory. */
  readonly processes: Readonly<Record<string, { readonly cpu?: number; readonly rssMiB: number }>>
}

/** lib's quantile (nearest rank: p99 of 30 values is the largest); undefined for no values. */
export const quantileOf: (xs: readonly number[], q: number) => number | undefined = quantile

/**
 * How much a cumulative counter grew over consecutive readings. A drop is a restart (the
 * counter began again at 0), so the reading after it counts in full. Undefined when no reading
 * had the counter.
 */
export function increase(values: ReadonlyArray<number | undefined>): number | undefined {
  let total: number | undefined
  let previous: number | undefined
  for (const v of values) {
    if (v === undefined) continue
    if (previous !== undefined) total = (total ?? 0) + (v >= previous ? v - previous : v)
    else total ??= 0
    previous = v
  }
  return total
}

/** Bucket increases between two readings of a cumulative histogram (a restart between: the later one). */
export function histogramIncrease(first: Histogram | undefined, last: Histogram | undefined): Histogram | undefined {
  if (!last) return undefined
  if (!first || first.le.length !== last.le.length || first.counts.some((c, i) => c > last.counts[i]!)) return last
  return { le: last.le, counts: last.counts.map((c, i) => c - first.counts[i]!) }
}

/**
 * The q-quantile of a cumulative histogram, interpolated linearly inside its bucket as
 * Prometheus' `histogram_quantile` does; in the +Inf bucket, the highest finite bound. Undefined
 * with no observations.
 */
export function histogramQuantile(h: Histogram | undefined, q: number): number | undefined {
  if (!h || h.counts.length === 0) return undefined
  const total = h.counts[h.counts.length - 1]!
  if (!(total > 0)) return undefined
  const rank = q * total
  for (let i = 0; i < h.counts.length; i++) {
    if (h.counts[i]! >= rank) {
      const upper = h.le[i]!
      const lower = i === 0 ? 0 : h.le[i - 1]!
      if (!Number.isFinite(upper)) return lower
      const below = i === 0 ? 0 : h.counts[i - 1]!
      const inBucket = h.counts[i]! - below
      return inBucket > 0 ? lower + ((upper - lower) * (rank - below)) / inBucket : upper
    }
  }
  return h.le.filter(Number.isFinite).at(-1)
}

/** The samples with `from <= t <= to`. */
export const within = (samples: readonly SoakSample[], from: number, to: number): SoakSample[] => samples.filter((s) => s.t >= from && s.t <= to)

/**
 * A process's mean share of a core over the window [from, to]: each sample's share covers the
 * interval since the sample before it, so a sample counts only when that whole interval lies in
 * the window (the sample taken at `from` measured the time before it), weighted by its length
 * (a sample taken right after another, at a phase change, covers a fraction of a second).
 */
export function meanCoreShare(samples: readonly SoakSample[], name: string, from: number, to: number): number | undefined {
  let busy = 0
  let span = 0
  for (let i = 1; i < samples.length; i++) {
    const s = samples[i]!
    const before = samples[i - 1]!
    const cpu = s.processes[name]?.cpu
    if (before.t < from || s.t > to || cpu === undefined || s.t <= before.t) continue
    busy += cpu * (s.t - before.t)
    span += s.t - before.t
  }
  return span > 0 ? busy / span : undefined
}

/** The mean of the defined values, undefined for none. */
export function meanOf(xs: ReadonlyArray<number | undefined>): number | undefined {
  const d = xs.filter((x): x is number => x !== undefined && Number.isFinite(x))
  return d.length === 0 ? undefined : d.reduce((a, b) => a + b, 0) / d.length
}
