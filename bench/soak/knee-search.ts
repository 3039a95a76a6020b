/**
 * The knee: the highest replay rate at which the whole stack keeps up — lake lag bounded and
 * nothing shed or paused. Found by doubling from a start rate until a step fails, then halving
 * the interval between the best pass and the lowest failure until they are within a ratio.
 * Pure: the judge reads a step's samples, the search reads the steps so far.
 */
import { increase, quantileOf, type SoakSample } from './soak-sample'

/** One step of the search: a rate held for a while, and what it did. */
export interface KneeStep {
  readonly rate: number
  readonly passed: boolean
  /** Why it failed (or "kept up"), for the report. */
  readonly reason: string
  /** Records per second the ingest produced during the step (trades + quotes). */
  readonly recordsPerSecond: number | null
  /** Mean share of one core per process during the step. */
  readonly cpu: Readonly<Record<string, number>>
}

export interface KneeSearchOptions {
  readonly startRate: number
  /** No step above this rate. */
  readonly maxRate: number
  /** No step below this rate (a knee below it is reported as "below minRate"). */
  readonly minRate: number
  /** Stop once the lowest failure is within this ratio of the best pass (1.25: 25 %). */
  readonly resolution: number
  readonly maxSteps: number
}

/**
 * The bound on lake lag a step must hold: the commit interval plus the margin issue 16 allows
 * (10 s). The interval is the one in effect: SOFT widens the sink's batches (D37), and a stack
 * that keeps up at the wider cadence has its lag bounded all the same (the knee asks for bounded
 * lag and nothing shed; the soaks at rate 1 and half the knee hold the plain bound).
 */
export interface KneeJudgeOptions {
  readonly lagBoundSeconds: number
  /** The configured commit interval (s): the cadence where the sink reports none. */
  readonly commitIntervalSeconds: number
}

/**
 * The sink's commit cadence in effect at a sample (s): its lag over its lag in cadences. The sink
 * exports `lagCadences` as a signal but not `lagSeconds` (its lag is `k2_sink_lag_seconds`, the
 * sample's lake lag), so the lake lag stands in where the signal is absent.
 */
export function cadenceAt(s: SoakSample): number | undefined {
  const g = s.signals['iceberg-sink']
  const lag = g?.lagSeconds ?? s.lakeLagSeconds
  const cadences = g?.lagCadences
  // Two readings taken apart: their ratio is only steady once the lag is a good part of a cadence.
  return lag !== undefined && cadences !== undefined && lag > 1 && cadences >= 0.3 ? lag / cadences : undefined
}

/** How far behind its schedule the replay exchange may run in a step that keeps up (GC pauses, a reconnect). */
export const feedLagBoundSeconds = 10

const roundRate = (r: number): number => (r >= 10 ? Math.round(r) : r >= 1 ? Math.round(r * 10) / 10 : Math.round(r * 100) / 100)

/**
 * Whether a step kept up. The first half of a step lets the previous rate's state wash out (a
 * backlog, a widened batch); the second half must show no record shed, no feed pause, the lake
 * lag's p99 within the bound, and the replay exchange on its schedule: it waits for a reader that
 * cannot keep up instead of dropping frames, so an ingest at its limit slows the market down
 * rather than show a backlog, and only the exchange's lag behind its schedule shows it.
 */
export function judgeKneeStep(samples: readonly SoakSample[], options: KneeJudgeOptions): { passed: boolean; reason: string } {
  if (samples.length < 4) return { passed: false, reason: `only ${samples.length} samples: the step was too short to judge` }
  const half = samples.slice(Math.floor(samples.length / 2))
  const shed = increase(half.map((s) => s.counters.shed)) ?? 0
  if (shed > 0) return { passed: false, reason: `${shed} records shed` }
  const pauses = increase(half.map((s) => s.counters.feedPauses ?? s.counters.circuitBreaks)) ?? 0
  if (pauses > 0) return { passed: false, reason: `${pauses} feed pauses` }
  const feedLags = half.flatMap((s) => (s.feedLagSeconds === undefined ? [] : [s.feedLagSeconds]))
  const feedLag = feedLags.length > 0 ? Math.max(...feedLags) : 0
  if (feedLag > feedLagBoundSeconds) return { passed: false, reason: `the replay exchange ran ${feedLag.toFixed(0)} s behind its schedule: the ingest did not keep up` }
  const lags = half.flatMap((s) => (s.lakeLagSeconds === undefined ? [] : [s.lakeLagSeconds]))
  if (lags.length === 0) return { passed: false, reason: 'the sink reported no lake lag' }
  const p99 = quantileOf(lags, 0.99)!
  // How far each sample's lag stands above the cadence in effect then.
  const margin = options.lagBoundSeconds - options.commitIntervalSeconds
  const measured = half.flatMap((s) => (s.lakeLagSeconds === undefined ? [] : [{ lag: s.lakeLagSeconds, cadence: cadenceAt(s) ?? options.commitIntervalSeconds }]))
  const excess = quantileOf(measured.map((m) => m.lag - m.cadence), 0.99)!
  const widest = Math.max(...measured.map((m) => m.cadence))
  const at = widest > options.commitIntervalSeconds * 1.2 ? ` at a cadence of up to ${widest.toFixed(0)} s` : ''
  if (excess > margin) return { passed: false, reason: `lake lag p99 ${p99.toFixed(0)} s, ${excess.toFixed(0)} s above the commit cadence${at} (bound ${margin} s)` }
  return { passed: true, reason: `kept up: lake lag p99 ${p99.toFixed(0)} s${at}, nothing shed` }
}

/** The next rate to try, or undefined when the search is done. */
export function nextKneeRate(steps: readonly KneeStep[], o: KneeSearchOptions): number | undefined {
  if (steps.length >= o.maxSteps) return undefined
  if (steps.length === 0) return roundRate(Math.min(o.maxRate, Math.max(o.minRate, o.startRate)))
  const failures = steps.filter((s) => !s.passed).map((s) => s.rate)
  const lowestFailure = failures.length > 0 ? Math.min(...failures) : undefined
  const passes = steps.filter((s) => s.passed && (lowestFailure === undefined || s.rate < lowestFailure)).map((s) => s.rate)
  const bestPass = passes.length > 0 ? Math.max(...passes) : undefined
  const tried = new Set(steps.map((s) => s.rate))
  let next: number
  if (lowestFailure === undefined) {
    if (bestPass! >= o.maxRate) return undefined
    next = Math.min(o.maxRate, bestPass! * 2)
  } else if (bestPass === undefined) {
    if (lowestFailure <= o.minRate) return undefined
    next = Math.max(o.minRate, lowestFailure / 2)
  } else {
    if (lowestFailure / bestPass <= o.resolution) return undefined
    next = Math.sqrt(bestPass * lowestFailure)
  }
  const rate = roundRate(next)
  return tried.has(rate) ? undefined : rate
}

/** What limited the stack where it stopped keeping up. */
export interface KneeOf {
  readonly rate: number | null
  readonly recordsPerSecond: number | null
  /**
   * The busiest process, or, when the processes together used nearly every core (`saturated`),
   * the machine, with the busiest processes named: on a shared machine a process at half a core
   * is not the limit when nothing is left for it.
   */
  readonly bottleneck: string | null
  readonly bottleneckCoreShare: number | null
  /** Cores busy over all processes at that step, and whether that is nearly all of them. */
  readonly busyCores: number | null
  readonly saturated: boolean
}

/** A machine counts as saturated above this share of its cores (the rest is the kernel, I/O waits, sampling). */
const saturatedShare = 0.9

/** The knee from the steps: the best pass below the lowest failure, and what limited it (`cores`: the machine's). */
export function kneeOf(steps: readonly KneeStep[], cores?: number): KneeOf {
  const failures = steps.filter((s) => !s.passed)
  const lowestFailure = failures.length > 0 ? failures.reduce((a, b) => (b.rate < a.rate ? b : a)) : undefined
  const passes = steps.filter((s) => s.passed && (lowestFailure === undefined || s.rate < lowestFailure.rate))
  const knee = passes.length > 0 ? passes.reduce((a, b) => (b.rate > a.rate ? b : a)) : undefined
  // The process working hardest where the stack stopped keeping up (or, with no failure, at the knee).
  const limiting = lowestFailure ?? knee
  const ranked = limiting ? Object.entries(limiting.cpu).sort((a, b) => b[1] - a[1]) : []
  const busiest = ranked[0]
  const round = (x: number, d = 1000): number => Math.round(x * d) / d
  const busy = limiting ? round(ranked.reduce((a, [, c]) => a + c, 0), 100) : null
  const saturated = busy !== null && cores !== undefined && busy >= saturatedShare * cores
  const bottleneck = saturated
    ? `the machine's ${cores} cores (${busy!.toFixed(2)} busy at rate ${limiting!.rate}; most: ${ranked.slice(0, 3).map(([n, c]) => `${n} ${c.toFixed(2)}`).join(', ')})`
    : (busiest?.[0] ?? null)
  return { rate: knee?.rate ?? null, recordsPerSecond: knee?.recordsPerSecond ?? null, bottleneck, bottleneckCoreShare: busiest ? round(busiest[1]) : null, busyCores: busy, saturated }
}
