/**
 * The window of raw signal samples a degradation manager keeps, and how a policy judges it. Pure.
 *
 * A raw sample is what a worker measured at one instant; a level is never decided on one instant.
 * Two ways of judging a window (D37):
 * - **standing**: the minimum over the last `windowMs`, only once samples span the whole window
 *   (CoDel: a queue is a problem when it has not drained below the target for a whole interval,
 *   not when it spikes). With it, the least-squares slope over the same window says whether the
 *   quantity is growing, that is whether input has been above drain for the window.
 * - **percentile**: the p-th percentile of the samples within the window, once at least
 *   `minSamples` are there (a single slow produce at start-up, or one GC pause, is not contention).
 */
import { quantile } from '../metrics/quantile'

export interface RawSample {
  readonly atMs: number
  /** One worker's raw measurements at this instant (numbers by signal name); a signal it cannot see is left out. */
  readonly signals: object
}

const valueOf = (s: RawSample, name: string): number | undefined => {
  const v = (s.signals as Record<string, unknown>)[name]
  return typeof v === 'number' && !Number.isNaN(v) ? v : undefined
}

/** How one signal's window is turned into the value the policy compares with its thresholds. */
export type SignalJudge =
  | { readonly kind: 'standing'; readonly windowMs: number; readonly minGrowthPerSecond: number }
  | { readonly kind: 'percentile'; readonly windowMs: number; readonly percentile: number; readonly minSamples: number }

/** A judged signal: `value` for entry, `latest` for recovery, `growing` for the levels that shed. */
export interface JudgedSignal {
  /** Standing minimum or percentile over the window; undefined until the window is covered. */
  readonly value: number | undefined
  /** The newest raw value (recovery is judged on it: every sample of the cooldown must be below). */
  readonly latest: number | undefined
  /** Standing signals: slope over the window above the policy's minimum (input above drain). */
  readonly growing: boolean
  /** Standing signals: least-squares slope over the window, units per second. */
  readonly slopePerSecond?: number
}

export interface SignalWindow {
  push(sample: RawSample): void
  /** Judges `name` at `nowMs` (samples newer than now are not expected). */
  judge(name: string, judge: SignalJudge, nowMs: number): JudgedSignal
  readonly size: number
}

/** Keeps samples up to `keepMs` old (the longest window any judge uses). */
export function createSignalWindow(keepMs: number): SignalWindow {
  const samples: RawSample[] = []
  return {
    get size() {
      return samples.length
    },
    push(sample) {
      samples.push(sample)
      let drop = 0
      while (drop < samples.length && sample.atMs - samples[drop]!.atMs > keepMs) drop++
      if (drop > 0) samples.splice(0, drop)
    },
    judge(name, judge, nowMs) {
      const points: Array<{ t: number; v: number }> = []
      let latest: number | undefined
      for (const s of samples) {
        const v = valueOf(s, name)
        if (v === undefined) continue
        latest = v
        if (nowMs - s.atMs <= judge.windowMs) points.push({ t: s.atMs, v })
      }
      if (judge.kind === 'percentile') {
        const value = points.length >= judge.minSamples ? percentile(points.map((p) => p.v), judge.percentile) : undefined
        return { value, latest, growing: false }
      }
      // Standing: the window must be covered, i.e. a sample at least windowMs old (within one
      // sampling period) must exist; an older sample bounds the start of the window.
      const oldest = samples.find((s) => valueOf(s, name) !== undefined)
      const covered = oldest !== undefined && nowMs - oldest.atMs >= judge.windowMs * 0.95
      if (!covered || points.length === 0) return { value: undefined, latest, growing: false }
      const value = Math.min(...points.map((p) => p.v))
      const slopePerSecond = slope(points)
      return { value, latest, growing: slopePerSecond > judge.minGrowthPerSecond, slopePerSecond }
    },
  }
}

/**
 * The p-th percentile (0–100): lib's nearest-rank quantile, a value that was measured, never a
 * blend, so the p90 of 30 samples ignores the 3 worst whatever their size. NaN for no values.
 */
export function percentile(values: readonly number[], p: number): number {
  return quantile(values, p / 100) ?? Number.NaN
}

/** Least-squares slope of v over t, per second (0 for fewer than two distinct times). */
export function slope(points: ReadonlyArray<{ readonly t: number; readonly v: number }>): number {
  const n = points.length
  if (n < 2) return 0
  let st = 0
  let sv = 0
  for (const p of points) {
    st += p.t
    sv += p.v
  }
  const mt = st / n
  const mv = sv / n
  let num = 0
  let den = 0
  for (const p of points) {
    num += (p.t - mt) * (p.v - mv)
    den += (p.t - mt) ** 2
  }
  return den === 0 ? 0 : (num / den) * 1000
}
