import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks'
import { getHeapStatistics } from 'node:v8'
import type { Logger } from '../logger/index'
import type { Metrics } from '../metrics/index'
import { checkPolicy, decide, degradationLevels, levelRank, longestWindowMs, signalNames, type DegradationLevel, type DegradationPolicy, type DegradationSignals, type DegradationState, type JudgedSignals } from './degradation-policy'
import { createSignalWindow, type JudgedSignal } from './signal-window'
import { levelActions, type LevelActions } from './load-shedder'

/**
 * The degradation manager of one worker: samples its raw signals every `intervalMs`, judges each
 * over its window (standing minimum and growth, or a percentile), applies the policy, and tells
 * the worker its level (checked every batch through `actions()`). Keeps the transitions and a
 * bounded timeline of samples (for charts), and exports the level gauge, the judged signals,
 * transitions by from/to, and time in each level.
 */
export interface DegradationManager {
  readonly level: DegradationLevel
  /** What the current level asks of the worker. */
  actions(): LevelActions
  /** Level changes, oldest first. */
  readonly transitions: readonly DegradationTransition[]
  /** The last samples (at most `timelineSize`), oldest first. */
  readonly timeline: readonly DegradationSample[]
  /** Called on every level change. */
  onChange(listener: (t: DegradationTransition) => void): void
  /** Samples and decides once now (also what the timer does). */
  tick(): Promise<void>
  close(): void
}

export interface DegradationTransition {
  readonly atMs: number
  readonly from: DegradationLevel
  readonly to: DegradationLevel
  readonly reason: string
  /** The raw signals of the sample that decided. */
  readonly signals: DegradationSignals
}

export interface DegradationSample {
  readonly atMs: number
  readonly level: DegradationLevel
  /** What was measured at this instant. */
  readonly signals: DegradationSignals
  /** What the policy decided on: each signal judged over its window (absent until the window is covered). */
  readonly judged: DegradationSignals
}

export interface DegradationManagerOptions {
  /** The worker's name: the `worker` label of the metrics. */
  readonly worker: string
  readonly policy: DegradationPolicy
  /** Measures the signals (the worker's own, plus `processSignals()`). */
  readonly sample: () => Promise<DegradationSignals> | DegradationSignals
  /** Default 1000 ms; 0: no timer (call tick()). */
  readonly intervalMs?: number
  readonly timelineSize?: number
  readonly now?: () => number
  readonly logger: Logger
  readonly metrics?: Metrics
}

export function createDegradationManager(options: DegradationManagerOptions): DegradationManager {
  const policy = checkPolicy(options.policy)
  const now = options.now ?? Date.now
  const log = options.logger.child('degrade')
  const m = options.metrics
  const size = options.timelineSize ?? 3600
  let state: DegradationState = { level: 'NORMAL', sinceMs: now() }
  // Keep a sample or two beyond the longest window: a window is covered only by a sample at least
  // as old as it, and with samples a second apart one exactly that old is rarely there.
  const window = createSignalWindow(longestWindowMs(policy) + 2 * Math.max(1000, options.intervalMs ?? 1000))
  const judge = (at: number): JudgedSignals => {
    const out: Partial<Record<keyof DegradationSignals, JudgedSignal>> = {}
    for (const [name, rule] of Object.entries(policy.thresholds) as Array<[keyof DegradationSignals, NonNullable<DegradationPolicy['thresholds'][keyof DegradationSignals]>]>) out[name] = window.judge(name, rule.judge, at)
    return out
  }
  let lastTick = now()
  const transitions: DegradationTransition[] = []
  const timeline: DegradationSample[] = []
  const listeners: Array<(t: DegradationTransition) => void> = []
  if (m) {
    m.get('degradeLevel').labels(options.worker).set(0)
    for (const from of degradationLevels) m.get('degradeTimeInLevel').labels(options.worker, from).inc(0)
  }

  let ticking: Promise<void> | undefined
  const tick = (): Promise<void> => {
    ticking ??= (async () => {
      try {
        const signals = await options.sample()
        const at = now()
        m?.get('degradeTimeInLevel').labels(options.worker, state.level).inc(Math.max(0, at - lastTick) / 1000)
        lastTick = at
        window.push({ atMs: at, signals })
        const judged = judge(at)
        const d = decide(policy, state, judged, at)
        const from = state.level
        state = d.state
        const values: Record<string, number> = {}
        for (const name of signalNames) {
          const v = judged[name]?.value
          if (v === undefined || Number.isNaN(v)) continue
          values[name] = v
          m?.get('degradeSignal').labels(options.worker, name).set(v)
        }
        timeline.push({ atMs: at, level: state.level, signals, judged: values })
        if (timeline.length > size) timeline.splice(0, timeline.length - size)
        if (d.changed) {
          const t: DegradationTransition = { atMs: at, from, to: state.level, reason: d.reason, signals }
          transitions.push(t)
          if (transitions.length > size) transitions.splice(0, transitions.length - size)
          m?.get('degradeLevel').labels(options.worker).set(levelRank(state.level))
          m?.get('degradeTransitions').labels(options.worker, from, state.level).inc()
          const line = `degradation ${from} → ${state.level}: ${d.reason}`
          if (levelRank(state.level) > levelRank(from)) log.warn(line, { ...signals })
          else log.info(line, { ...signals })
          for (const l of listeners) l(t)
        }
      } catch (err) {
        log.warn('sampling the degradation signals failed; the level stays', { error: err instanceof Error ? err.message : String(err) })
      } finally {
        ticking = undefined
      }
    })()
    return ticking
  }
  const timer = (options.intervalMs ?? 1000) > 0 ? setInterval(() => void tick(), options.intervalMs ?? 1000) : undefined
  timer?.unref()

  return {
    get level() {
      return state.level
    },
    actions: () => levelActions[state.level],
    transitions,
    timeline,
    onChange: (l) => void listeners.push(l),
    tick,
    close() {
      if (timer) clearInterval(timer)
    },
  }
}

/**
 * Signals every process has: V8 heap use against its limit, and the event loop's p99 delay since
 * the last call (0 for the first `warmUpMs`). With `loopUtilization`, also the share of the time
 * since the last call the loop was busy (`feedLoopUtilization`, left out for the first
 * `warmUpMs`): the ingest's, whose loop reads the feed. Returns a sampler; `close()` stops the
 * histogram.
 */
export function processSignals(warmUpMs = 20_000, options: { loopUtilization?: boolean } = {}): { sample(): Pick<DegradationSignals, 'heapUsedRatio' | 'eventLoopDelayMs' | 'feedLoopUtilization'>; close(): void } {
  const delay = monitorEventLoopDelay({ resolution: 10 })
  delay.enable()
  const started = Date.now()
  let elu: EventLoopUtilization = performance.eventLoopUtilization()
  return {
    sample() {
      const heap = getHeapStatistics()
      // Start-up work (joining the group, positioning from the table) blocks the loop once; it is
      // not overload, and reading it as such sent a restarted sink to CIRCUIT_BREAK and wide batches.
      const warm = Date.now() - started >= warmUpMs
      const p99 = delay.count > 0 && warm ? delay.percentile(99) / 1e6 : 0
      delay.reset()
      const signals = { heapUsedRatio: heap.used_heap_size / heap.heap_size_limit, eventLoopDelayMs: p99 }
      if (!options.loopUtilization) return signals
      const now = performance.eventLoopUtilization()
      const busy = performance.eventLoopUtilization(now, elu).utilization
      elu = now
      return warm ? { ...signals, feedLoopUtilization: busy } : signals
    },
    close: () => delay.disable(),
  }
}
