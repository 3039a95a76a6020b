import { ErrorCode, WorkbenchError } from '../errors/index'
import type { JudgedSignal, SignalJudge } from './signal-window'

/**
 * The degradation policy: which level a worker should run at, given its judged signals. Pure.
 *
 * Signals are judged over a window first (signal-window.ts), never on one instant. Then:
 * - Up: the level jumps at once to the highest level whose entry threshold a judged signal
 *   reaches, within what that signal may decide: contention signals (event-loop delay, produce
 *   and commit latency) and the lake lag reach SOFT at most (wider batches); a backlog reaches
 *   the shedding and pausing levels only while it is growing over its window, i.e. while input
 *   has been above drain (D37).
 * - Down: one level at a time, only after every signal's newest value has stayed below the
 *   current level's recovery threshold (set below its entry threshold: hysteresis) for the whole
 *   cooldown. So a signal hovering around a threshold, or dipping for a moment, cannot make the
 *   level flap, and recovery walks back through every level in order.
 */

export const degradationLevels = ['NORMAL', 'SOFT', 'GRACEFUL', 'AGGRESSIVE', 'CIRCUIT_BREAK'] as const
export type DegradationLevel = (typeof degradationLevels)[number]

/** A level's rank: NORMAL 0 … CIRCUIT_BREAK 4 (the level gauge's value). */
export const levelRank = (level: DegradationLevel): number => degradationLevels.indexOf(level)

/** The level a rank stands for (the `k2_degrade_level` gauge's value back to its name); undefined for a value no level has. */
export const levelAtRank = (rank: number): DegradationLevel | undefined => (Number.isInteger(rank) ? degradationLevels[rank] : undefined)

/** What the workers measure at one instant. A signal a worker cannot see is left out and never decides. */
export interface DegradationSignals {
  /** Seconds of input the sink has not read yet: unread records ÷ the input rate. A backlog. */
  readonly backlogSeconds?: number
  /** Age of the oldest record not yet in the lake ÷ the commit cadence it waits for (1 = one cadence). */
  readonly lagCadences?: number
  /** V8 heap used / heap limit, 0–1. */
  readonly heapUsedRatio?: number
  /** Event-loop delay (p99 over the sampling period), ms. Contention. */
  readonly eventLoopDelayMs?: number
  /** Kafka produce latency (worst over the sampling period), ms. Contention. */
  readonly produceLatencyMs?: number
  /** Iceberg commit latency of a commit that finished in the sampling period, ms. Contention. */
  readonly commitLatencyMs?: number
  /**
   * Share of the sampling period the feed reader's event loop was busy, 0–1 (the ingest only). A
   * loop that never idles for a whole window has had frames waiting the whole time: input above
   * what it drains, with the queue in the socket where it cannot be counted (D50).
   */
  readonly feedLoopUtilization?: number
  /**
   * Seconds the feed reader is behind the exchange's clock while its loop is saturated, 0 while
   * it idles (the ingest only; feed-delay.ts). A backlog: it grows only while input is above drain.
   */
  readonly feedDelaySeconds?: number
  /** Shown, not decided on by the default policy: the lake lag in seconds and the unread records. */
  readonly lagSeconds?: number
  readonly backlogRecords?: number
}

export type SignalName = keyof DegradationSignals
export const signalNames: readonly SignalName[] = ['backlogSeconds', 'lagCadences', 'heapUsedRatio', 'feedDelaySeconds', 'feedLoopUtilization', 'eventLoopDelayMs', 'produceLatencyMs', 'commitLatencyMs', 'lagSeconds', 'backlogRecords']

/** How one signal decides. */
export interface SignalRule {
  /**
   * Entry thresholds from SOFT upward, one per level the signal may reach (one: SOFT only; four:
   * up to CIRCUIT_BREAK), rising.
   */
  readonly enter: readonly number[]
  /** The recovery threshold of each of those levels, each below its entry threshold. */
  readonly recover: readonly number[]
  /** How the window of raw samples becomes the value compared with `enter`. */
  readonly judge: SignalJudge
  /** Levels above SOFT only while the signal grows over its window (shedding and pausing need input above drain). */
  readonly growthGated?: boolean
}

export interface DegradationPolicy {
  readonly thresholds: Readonly<Partial<Record<SignalName, SignalRule>>>
  /** A level must hold this long, recovered, before stepping down one (ms). */
  readonly cooldownMs: number
}

/** The standing window of backlog, lag and heap: longer than any spike, shorter than the time to shed (30 s). */
export const defaultStandingWindowMs = 15_000

/** The standing window of the feed reader's signals: long past a GC pause or a reconnect's burst, short enough to shed within 30 s. */
export const feedLoopWindowMs = 10_000

const standing = (windowMs: number, minGrowthPerSecond: number): SignalJudge => ({ kind: 'standing', windowMs, minGrowthPerSecond })
const contention = (windowMs: number, percentile: number, minSamples: number): SignalJudge => ({ kind: 'percentile', windowMs, percentile, minSamples })

/**
 * Defaults for a sink that commits every 30 s on a small machine that also runs the stack, a
 * notebook and a browser (D37):
 * - backlog: SOFT once 3 s of input has stood unread for 15 s; shedding from 5 s, growing;
 * - lake lag: SOFT once the oldest record has waited two commit cadences for 15 s (a healthy
 *   sink peaks at one cadence plus its commit latency, below the 1.5 recovery threshold);
 * - heap: as before, sustained, and growing for the levels that shed;
 * - contention: the p75 of 30 s of samples (at least 20: spikes in a quarter of them are spikes,
 *   not contention), SOFT at most; commit latency as the median of the last 3 minutes' commits;
 * - the feed reader: SOFT once its loop has been ≥ 90 % busy for 10 s; GRACEFUL (tier 3 shed) once
 *   it has stood 5 s behind the exchange's clock for 10 s and is falling further behind: the
 *   ingest itself cannot keep up, and its input queues upstream (D50). No further: shedding more,
 *   or pausing a feed that is already behind, does not make the reader faster.
 */
export const defaultDegradationPolicy: DegradationPolicy = {
  cooldownMs: 15_000,
  thresholds: {
    backlogSeconds: { enter: [3, 5, 15, 60], recover: [1.5, 2.5, 7.5, 30], judge: standing(defaultStandingWindowMs, 0.05), growthGated: true },
    lagCadences: { enter: [2], recover: [1.5], judge: standing(defaultStandingWindowMs, 0) },
    heapUsedRatio: { enter: [0.6, 0.7, 0.8, 0.9], recover: [0.5, 0.6, 0.7, 0.8], judge: standing(defaultStandingWindowMs, 0.0005), growthGated: true },
    feedDelaySeconds: { enter: [2, 5], recover: [1, 2.5], judge: standing(feedLoopWindowMs, 0.05), growthGated: true },
    feedLoopUtilization: { enter: [0.9], recover: [0.75], judge: standing(feedLoopWindowMs, 0) },
    eventLoopDelayMs: { enter: [250], recover: [100], judge: contention(30_000, 75, 20) },
    produceLatencyMs: { enter: [1000], recover: [400], judge: contention(30_000, 75, 20) },
    commitLatencyMs: { enter: [15_000], recover: [7_500], judge: contention(180_000, 50, 3) },
  },
}

/** Throws CONFIG_INVALID unless each rule's entry thresholds rise and each recovery threshold is below its entry. */
export function checkPolicy(policy: DegradationPolicy): DegradationPolicy {
  if (!(policy.cooldownMs >= 0)) throw new WorkbenchError(ErrorCode.ConfigInvalid, `degradation cooldown must be ≥ 0 ms, not ${policy.cooldownMs}`)
  for (const [name, t] of Object.entries(policy.thresholds) as Array<[SignalName, SignalRule]>) {
    if (t.enter.length < 1 || t.enter.length > 4 || t.recover.length !== t.enter.length) {
      throw new WorkbenchError(ErrorCode.ConfigInvalid, `${name}: give 1 to 4 entry thresholds (SOFT upward) and as many recovery thresholds, not ${t.enter.length} and ${t.recover.length}`)
    }
    for (let i = 0; i < t.enter.length; i++) {
      if (i > 0 && !(t.enter[i]! > t.enter[i - 1]!)) throw new WorkbenchError(ErrorCode.ConfigInvalid, `${name}: the entry threshold of ${degradationLevels[i + 1]} (${t.enter[i]}) must be above that of ${degradationLevels[i]} (${t.enter[i - 1]})`)
      if (!(t.recover[i]! < t.enter[i]!)) throw new WorkbenchError(ErrorCode.ConfigInvalid, `${name}: the recovery threshold of ${degradationLevels[i + 1]} (${t.recover[i]}) must be below its entry threshold (${t.enter[i]}), or the level would flap`)
    }
    if (!(t.judge.windowMs > 0)) throw new WorkbenchError(ErrorCode.ConfigInvalid, `${name}: the judging window must be > 0 ms`)
  }
  return policy
}

/** The judged signals a decision is made on (signal-window.ts). */
export type JudgedSignals = Readonly<Partial<Record<SignalName, JudgedSignal>>>

/** Where the policy stands: the level, when it was entered, and since when the signals have been recovered. */
export interface DegradationState {
  readonly level: DegradationLevel
  readonly sinceMs: number
  /** Since when every signal has been below this level's recovery thresholds (undefined: not recovered). */
  readonly recoveredSinceMs?: number
}

/** A step the policy took, and the signal that caused it. */
export interface DegradationDecision {
  readonly state: DegradationState
  readonly changed: boolean
  /** `backlogSeconds 6.2 ≥ 5 (GRACEFUL), growing 0.8/s` or `every signal below AGGRESSIVE's recovery thresholds for 15 s`. */
  readonly reason: string
}

/** The highest level a judged signal reaches, within what it may decide, with the signal that reaches it. */
export function levelFor(policy: DegradationPolicy, signals: JudgedSignals): { level: DegradationLevel; reason: string } {
  let rank = 0
  let reason = 'every signal below its SOFT entry threshold'
  for (const name of signalNames) {
    const t = policy.thresholds[name]
    const j = signals[name]
    const v = j?.value
    if (!t || v === undefined || Number.isNaN(v)) continue
    for (let i = t.enter.length - 1; i >= 0; i--) {
      if (v < t.enter[i]!) continue
      // Above SOFT a growth-gated signal needs input above drain: a standing but shrinking backlog is being drained.
      const gated = t.growthGated === true && i > 0 && !j!.growing
      const reached = gated ? 1 : i + 1
      if (reached > rank) {
        rank = reached
        const growth = j!.slopePerSecond === undefined ? '' : `, ${j!.growing ? 'growing' : 'not growing'} ${round(j!.slopePerSecond)}/s`
        reason = gated ? `${name} ${round(v)} ≥ ${t.enter[i]} (${degradationLevels[i + 1]}) but not growing: SOFT${growth}` : `${name} ${round(v)} ≥ ${t.enter[i]} (${degradationLevels[i + 1]})${growth}`
      }
      break
    }
  }
  return { level: degradationLevels[rank]!, reason }
}

/** True when every signal's newest value is below the recovery threshold of `level` (NORMAL: always). */
function recovered(policy: DegradationPolicy, signals: JudgedSignals, level: DegradationLevel): { ok: boolean; blocker?: string } {
  const rank = levelRank(level)
  if (rank === 0) return { ok: true }
  for (const name of signalNames) {
    const t = policy.thresholds[name]
    const v = signals[name]?.latest
    // A signal that cannot reach this level does not hold it either.
    if (!t || v === undefined || Number.isNaN(v) || rank > t.recover.length) continue
    if (v >= t.recover[rank - 1]!) return { ok: false, blocker: `${name} ${round(v)} ≥ ${t.recover[rank - 1]} (${level}'s recovery threshold)` }
  }
  return { ok: true }
}

/** One evaluation: step up at once, or down one level after the cooldown spent recovered, or stay. */
export function decide(policy: DegradationPolicy, state: DegradationState, signals: JudgedSignals, nowMs: number): DegradationDecision {
  const up = levelFor(policy, signals)
  if (levelRank(up.level) > levelRank(state.level)) return { state: { level: up.level, sinceMs: nowMs }, changed: true, reason: up.reason }
  if (state.level === 'NORMAL') return { state, changed: false, reason: up.reason }
  const r = recovered(policy, signals, state.level)
  if (!r.ok) return { state: { level: state.level, sinceMs: state.sinceMs }, changed: false, reason: r.blocker! }
  const recoveredSinceMs = state.recoveredSinceMs ?? nowMs
  const held = nowMs - recoveredSinceMs
  if (held < policy.cooldownMs) return { state: { ...state, recoveredSinceMs }, changed: false, reason: `recovered; holding ${state.level} for the cooldown (${Math.round(held / 1000)} of ${Math.round(policy.cooldownMs / 1000)} s)` }
  const down = degradationLevels[levelRank(state.level) - 1]!
  // The next level's cooldown starts now if the signals are already below its recovery thresholds.
  const next = recovered(policy, signals, down).ok ? { recoveredSinceMs: nowMs } : {}
  return { state: { level: down, sinceMs: nowMs, ...next }, changed: true, reason: `every signal below ${state.level}'s recovery thresholds for ${Math.round(held / 1000)} s` }
}

/** The longest window any rule of `policy` judges over (how much history a manager keeps). */
export function longestWindowMs(policy: DegradationPolicy): number {
  return Math.max(0, ...Object.values(policy.thresholds).map((t) => t!.judge.windowMs))
}

const round = (v: number): number => (Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 100) / 100)
