import { ErrorCode, WorkbenchError } from '../errors/index'

/**
 * The degradation policy: which level the pipeline should run at, given measured signals. Pure.
 *
 * Up: the level jumps at once to the highest level whose entry threshold any signal reaches
 * (overload is met immediately). Down: one level at a time, only after every signal has stayed
 * below the current level's recovery threshold (set well below its entry threshold: hysteresis)
 * for the whole cooldown. So a signal hovering around a threshold, or dipping for a moment,
 * cannot make the level flap, and recovery walks back through every level in order.
 */

export const degradationLevels = ['NORMAL', 'SOFT', 'GRACEFUL', 'AGGRESSIVE', 'CIRCUIT_BREAK'] as const
export type DegradationLevel = (typeof degradationLevels)[number]

/** A level's rank: NORMAL 0 … CIRCUIT_BREAK 4 (the level gauge's value). */
export const levelRank = (level: DegradationLevel): number => degradationLevels.indexOf(level)

/** What the workers measure. A signal a worker cannot see is left out (undefined) and never decides. */
export interface DegradationSignals {
  /** Records in Kafka not yet in the lake. */
  readonly lagRecords?: number
  /** Age of the oldest record not yet in the lake, seconds. */
  readonly lagSeconds?: number
  /** V8 heap used / heap limit, 0–1. */
  readonly heapUsedRatio?: number
  /** Event-loop delay (p99 over the sampling window), ms. */
  readonly eventLoopDelayMs?: number
  /** Kafka produce latency (p99 over the window), ms. */
  readonly produceLatencyMs?: number
  /** Iceberg commit latency (last commit), ms. */
  readonly commitLatencyMs?: number
}

export type SignalName = keyof DegradationSignals
export const signalNames: readonly SignalName[] = ['lagRecords', 'lagSeconds', 'heapUsedRatio', 'eventLoopDelayMs', 'produceLatencyMs', 'commitLatencyMs']

/** Per signal: entry thresholds for SOFT, GRACEFUL, AGGRESSIVE, CIRCUIT_BREAK, and the recovery threshold of each. */
export interface SignalThresholds {
  readonly enter: readonly [number, number, number, number]
  readonly recover: readonly [number, number, number, number]
}

export interface DegradationPolicy {
  readonly thresholds: Readonly<Partial<Record<SignalName, SignalThresholds>>>
  /** A level must hold this long before stepping down one (ms). */
  readonly cooldownMs: number
}

/**
 * Defaults, for a sink that commits every 30 s (so 30 s of lag is normal) on a small machine.
 * Recovery thresholds are half the entry thresholds.
 */
export const defaultDegradationPolicy: DegradationPolicy = {
  cooldownMs: 15_000,
  thresholds: {
    lagSeconds: { enter: [60, 120, 240, 480], recover: [30, 60, 120, 240] },
    lagRecords: { enter: [2_000_000, 5_000_000, 10_000_000, 20_000_000], recover: [1_000_000, 2_500_000, 5_000_000, 10_000_000] },
    heapUsedRatio: { enter: [0.6, 0.7, 0.8, 0.9], recover: [0.5, 0.6, 0.7, 0.8] },
    eventLoopDelayMs: { enter: [100, 250, 500, 1000], recover: [50, 125, 250, 500] },
    produceLatencyMs: { enter: [250, 500, 1000, 2500], recover: [125, 250, 500, 1250] },
    commitLatencyMs: { enter: [30_000, 60_000, 120_000, 300_000], recover: [15_000, 30_000, 60_000, 150_000] },
  },
}

/** Throws CONFIG_INVALID unless entry thresholds rise with the level and each recovery threshold is below its entry. */
export function checkPolicy(policy: DegradationPolicy): DegradationPolicy {
  if (!(policy.cooldownMs >= 0)) throw new WorkbenchError(ErrorCode.ConfigInvalid, `degradation cooldown must be ≥ 0 ms, not ${policy.cooldownMs}`)
  for (const [name, t] of Object.entries(policy.thresholds) as Array<[SignalName, SignalThresholds]>) {
    for (let i = 0; i < 4; i++) {
      if (i > 0 && !(t.enter[i]! > t.enter[i - 1]!)) throw new WorkbenchError(ErrorCode.ConfigInvalid, `${name}: the entry threshold of ${degradationLevels[i + 1]} (${t.enter[i]}) must be above that of ${degradationLevels[i]} (${t.enter[i - 1]})`)
      if (!(t.recover[i]! < t.enter[i]!)) throw new WorkbenchError(ErrorCode.ConfigInvalid, `${name}: the recovery threshold of ${degradationLevels[i + 1]} (${t.recover[i]}) must be below its entry threshold (${t.enter[i]}), or the level would flap`)
    }
  }
  return policy
}

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
  /** `lagSeconds 130 ≥ 120 (GRACEFUL)` or `all signals below AGGRESSIVE's recovery thresholds for 15 s`. */
  readonly reason: string
}

/** The highest level whose entry threshold a signal reaches, with the signal that reaches it. */
export function levelFor(policy: DegradationPolicy, signals: DegradationSignals): { level: DegradationLevel; reason: string } {
  let rank = 0
  let reason = 'every signal below its SOFT entry threshold'
  for (const name of signalNames) {
    const t = policy.thresholds[name]
    const v = signals[name]
    if (!t || v === undefined || Number.isNaN(v)) continue
    for (let i = 3; i >= 0; i--) {
      if (v >= t.enter[i]!) {
        if (i + 1 > rank) {
          rank = i + 1
          reason = `${name} ${round(v)} ≥ ${t.enter[i]} (${degradationLevels[i + 1]})`
        }
        break
      }
    }
  }
  return { level: degradationLevels[rank]!, reason }
}

/** True when every signal is below the recovery threshold of `level` (NORMAL: always). */
function recovered(policy: DegradationPolicy, signals: DegradationSignals, level: DegradationLevel): { ok: boolean; blocker?: string } {
  const rank = levelRank(level)
  if (rank === 0) return { ok: true }
  for (const name of signalNames) {
    const t = policy.thresholds[name]
    const v = signals[name]
    if (!t || v === undefined || Number.isNaN(v)) continue
    if (v >= t.recover[rank - 1]!) return { ok: false, blocker: `${name} ${round(v)} ≥ ${t.recover[rank - 1]} (${level}'s recovery threshold)` }
  }
  return { ok: true }
}

/** One evaluation: step up at once, or down one level after the cooldown spent recovered, or stay. */
export function decide(policy: DegradationPolicy, state: DegradationState, signals: DegradationSignals, nowMs: number): DegradationDecision {
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

const round = (v: number): number => (Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 100) / 100)
