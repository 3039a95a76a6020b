import { describe, expect, it } from 'vitest'
import { checkPolicy, decide, defaultDegradationPolicy, levelFor, type DegradationLevel, type DegradationPolicy, type DegradationState, type JudgedSignals } from '../../../lib/internal'
import type { JudgedSignal } from '../../../lib/internal'

const standing = { kind: 'standing' as const, windowMs: 10_000, minGrowthPerSecond: 0.05 }
// A backlog that may reach every level (shedding only while growing), and a contention signal
// that may reach SOFT only. Enter SOFT at 10, GRACEFUL 20, AGGRESSIVE 40, CIRCUIT_BREAK 80;
// recover at half of each. Cooldown 10 s.
const policy: DegradationPolicy = checkPolicy({
  cooldownMs: 10_000,
  thresholds: {
    backlogSeconds: { enter: [10, 20, 40, 80], recover: [5, 10, 20, 40], judge: standing, growthGated: true },
    heapUsedRatio: { enter: [0.6, 0.7, 0.8, 0.9], recover: [0.5, 0.6, 0.7, 0.8], judge: standing },
    eventLoopDelayMs: { enter: [250], recover: [100], judge: { kind: 'percentile', windowMs: 30_000, percentile: 90, minSamples: 10 } },
  },
})

/** A judged signal: the window's value, the newest raw value (default: the same), growing or not. */
const j = (value: number | undefined, growing = true, latest = value): JudgedSignal => ({ value, latest, growing })

/** Runs a sequence of (seconds, judged signals) and returns the level after each. */
function run(samples: ReadonlyArray<readonly [number, JudgedSignals]>): DegradationLevel[] {
  let state: DegradationState = { level: 'NORMAL', sinceMs: 0 }
  return samples.map(([t, s]) => {
    state = decide(policy, state, s, t * 1000).state
    return state.level
  })
}

const backlog = (...xs: number[]): Array<[number, JudgedSignals]> => xs.map((v, i) => [i, { backlogSeconds: j(v) }])

describe('degradation policy', () => {
  it.each([
    ['stays NORMAL below every entry threshold', backlog(0, 5, 9.9, 3), ['NORMAL', 'NORMAL', 'NORMAL', 'NORMAL']],
    ['steps up at once, skipping levels when a growing backlog jumps', backlog(0, 45), ['NORMAL', 'AGGRESSIVE']],
    ['climbs level by level as a growing backlog rises', backlog(12, 25, 50, 90), ['SOFT', 'GRACEFUL', 'AGGRESSIVE', 'CIRCUIT_BREAK']],
    ['holds a level while the signal sits between recovery and entry', backlog(25, 15, 12, 11, 15, 19), ['GRACEFUL', 'GRACEFUL', 'GRACEFUL', 'GRACEFUL', 'GRACEFUL', 'GRACEFUL']],
  ] as const)('%s', (_name, samples, expected) => {
    expect(run(samples)).toEqual(expected)
  })

  it('steps down one level per cooldown spent below the recovery threshold, in order', () => {
    // Up to CIRCUIT_BREAK, then all clear from t=1: one step down every 10 s.
    const samples: Array<[number, JudgedSignals]> = [[0, { backlogSeconds: j(100) }]]
    for (let t = 1; t <= 45; t++) samples.push([t, { backlogSeconds: j(0) }])
    const levels = run(samples)
    const changes = levels.map((l, i) => [samples[i]![0], l] as const).filter(([, l], i) => i === 0 || l !== levels[i - 1])
    expect(changes).toEqual([
      [0, 'CIRCUIT_BREAK'],
      [11, 'AGGRESSIVE'],
      [21, 'GRACEFUL'],
      [31, 'SOFT'],
      [41, 'NORMAL'],
    ])
  })

  it('does not flap when the signal oscillates around a threshold', () => {
    // 9, 11, 9, 11, … around SOFT's entry (10): enters SOFT once, never leaves (9 ≥ 5 recovery).
    const samples = Array.from({ length: 60 }, (_, t) => [t, { backlogSeconds: j(t % 2 ? 11 : 9) }] as [number, JudgedSignals])
    const levels = run(samples)
    expect(levels[0]).toBe('NORMAL')
    expect(levels.at(-1)).toBe('SOFT')
    expect(levels.filter((l, i) => i > 0 && l !== levels[i - 1]).length).toBe(1)
  })

  it('restarts the cooldown when a recovered signal comes back for a moment', () => {
    // SOFT at t=0; clear for 9 s; one bad sample at t=10 (≥ recovery 5, < entry of GRACEFUL); clear again.
    const samples: Array<[number, JudgedSignals]> = [[0, { backlogSeconds: j(12) }]]
    for (let t = 1; t <= 30; t++) samples.push([t, { backlogSeconds: j(t === 10 ? 7 : 1) }])
    // Without the reset it would leave SOFT at t=11; with it, at t=21 (10 s after t=11).
    expect(run(samples).indexOf('NORMAL')).toBe(21)
  })

  it('sheds on a backlog only while it grows: a standing backlog that is being drained widens batches, no more', () => {
    expect(levelFor(policy, { backlogSeconds: j(50, false) })).toMatchObject({ level: 'SOFT' })
    expect(levelFor(policy, { backlogSeconds: j(50, false) }).reason).toMatch(/backlogSeconds 50 ≥ 40 \(AGGRESSIVE\) but not growing/)
    expect(levelFor(policy, { backlogSeconds: j(50, true) }).level).toBe('AGGRESSIVE')
    // Once shedding, a backlog that stops growing (the shedding works) keeps the level until it recovers.
    expect(run([[0, { backlogSeconds: j(25) }], [1, { backlogSeconds: j(25, false) }], [2, { backlogSeconds: j(15, false) }]])).toEqual(['GRACEFUL', 'GRACEFUL', 'GRACEFUL'])
  })

  it('lets a contention signal widen batches (SOFT) but never shed or pause', () => {
    expect(levelFor(policy, { eventLoopDelayMs: j(5000) }).level).toBe('SOFT')
    // It does not hold a level it cannot reach: at GRACEFUL (from the backlog) it is no blocker.
    let state: DegradationState = { level: 'GRACEFUL', sinceMs: 0 }
    for (let t = 1; t <= 11; t++) state = decide(policy, state, { backlogSeconds: j(1), eventLoopDelayMs: j(5000) }, t * 1000).state
    expect(state.level).toBe('SOFT')
    // …and holds SOFT while it lasts.
    for (let t = 12; t <= 40; t++) state = decide(policy, state, { backlogSeconds: j(1), eventLoopDelayMs: j(300) }, t * 1000).state
    expect(state.level).toBe('SOFT')
  })

  it('takes the worst of several signals, and names it', () => {
    const d = levelFor(policy, { backlogSeconds: j(12), heapUsedRatio: j(0.85) })
    expect(d.level).toBe('AGGRESSIVE')
    expect(d.reason).toMatch(/heapUsedRatio 0.85 ≥ 0.8 \(AGGRESSIVE\)/)
    // Recovery waits for every signal, judged on its newest value.
    let state: DegradationState = { level: 'SOFT', sinceMs: 0 }
    state = decide(policy, state, { backlogSeconds: j(1), heapUsedRatio: j(0.4, false, 0.55) }, 60_000).state
    state = decide(policy, state, { backlogSeconds: j(1), heapUsedRatio: j(0.4, false, 0.55) }, 120_000).state
    expect(state.level).toBe('SOFT')
    const blocked = decide(policy, state, { backlogSeconds: j(1), heapUsedRatio: j(0.4, false, 0.55) }, 180_000)
    expect(blocked.reason).toMatch(/heapUsedRatio 0.55 ≥ 0.5/)
  })

  it('ignores signals a worker cannot see, or whose window is not covered yet', () => {
    expect(levelFor(policy, {}).level).toBe('NORMAL')
    expect(levelFor(policy, { backlogSeconds: j(undefined, true, 500), commitLatencyMs: j(10_000_000) }).level).toBe('NORMAL')
    expect(levelFor(policy, { backlogSeconds: j(Number.NaN) }).level).toBe('NORMAL')
  })

  it('refuses thresholds that would flap or do not rise', () => {
    const rule = { judge: standing }
    expect(() => checkPolicy({ cooldownMs: 0, thresholds: { backlogSeconds: { ...rule, enter: [10, 20, 40, 80], recover: [10, 10, 20, 40] } } })).toThrow(/below its entry threshold/)
    expect(() => checkPolicy({ cooldownMs: 0, thresholds: { backlogSeconds: { ...rule, enter: [10, 5, 40, 80], recover: [1, 1, 20, 40] } } })).toThrow(/must be above/)
    expect(() => checkPolicy({ cooldownMs: 0, thresholds: { backlogSeconds: { ...rule, enter: [10, 20], recover: [5] } } })).toThrow(/as many recovery thresholds/)
    expect(checkPolicy(defaultDegradationPolicy)).toBe(defaultDegradationPolicy)
  })

  it('by default, lets only a growing backlog or heap shed, and contention and lake lag reach SOFT at most', () => {
    const t = defaultDegradationPolicy.thresholds
    for (const name of ['eventLoopDelayMs', 'produceLatencyMs', 'commitLatencyMs', 'lagCadences'] as const) expect(t[name]!.enter).toHaveLength(1)
    for (const name of ['backlogSeconds', 'heapUsedRatio'] as const) expect(t[name]!.growthGated).toBe(true)
    // A saturated feed reader sheds tier 3 at most: pausing a feed that is behind makes it no faster.
    expect(t.feedDelaySeconds!.enter).toHaveLength(2)
    expect(t.feedDelaySeconds!.growthGated).toBe(true)
    expect(t.feedLoopUtilization!.enter).toHaveLength(1)
    // A healthy sink's lake lag peaks at one cadence plus its commit latency: below SOFT's recovery threshold.
    expect(t.lagCadences!.recover[0]).toBeGreaterThan(1 + 5 / 30)
  })
})
