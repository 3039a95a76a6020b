import { describe, expect, it } from 'vitest'
import { checkPolicy, decide, defaultDegradationPolicy, levelFor, type DegradationLevel, type DegradationPolicy, type DegradationSignals, type DegradationState } from '../../../lib/degrade/degradation-policy'

// One signal, simple numbers: enter SOFT at 10, GRACEFUL 20, AGGRESSIVE 40, CIRCUIT_BREAK 80;
// recover at half of each. Cooldown 10 s.
const policy: DegradationPolicy = checkPolicy({ cooldownMs: 10_000, thresholds: { lagSeconds: { enter: [10, 20, 40, 80], recover: [5, 10, 20, 40] }, heapUsedRatio: { enter: [0.6, 0.7, 0.8, 0.9], recover: [0.5, 0.6, 0.7, 0.8] } } })

/** Runs a sequence of (seconds, signals) samples and returns the level after each. */
function run(samples: ReadonlyArray<readonly [number, DegradationSignals]>): DegradationLevel[] {
  let state: DegradationState = { level: 'NORMAL', sinceMs: 0 }
  return samples.map(([t, s]) => {
    state = decide(policy, state, s, t * 1000).state
    return state.level
  })
}

const lag = (...xs: number[]): Array<[number, DegradationSignals]> => xs.map((v, i) => [i, { lagSeconds: v }])

describe('degradation policy', () => {
  it.each([
    ['stays NORMAL below every entry threshold', lag(0, 5, 9.9, 3), ['NORMAL', 'NORMAL', 'NORMAL', 'NORMAL']],
    ['steps up at once, skipping levels when the signal jumps', lag(0, 45), ['NORMAL', 'AGGRESSIVE']],
    ['climbs level by level as the signal rises', lag(12, 25, 50, 90), ['SOFT', 'GRACEFUL', 'AGGRESSIVE', 'CIRCUIT_BREAK']],
    ['holds a level while the signal sits between recovery and entry', lag(25, 15, 12, 11, 15, 19), ['GRACEFUL', 'GRACEFUL', 'GRACEFUL', 'GRACEFUL', 'GRACEFUL', 'GRACEFUL']],
  ] as const)('%s', (_name, samples, expected) => {
    expect(run(samples)).toEqual(expected)
  })

  it('steps down one level per cooldown spent below the recovery threshold, in order', () => {
    // Up to CIRCUIT_BREAK, then all clear from t=1: one step down every 10 s.
    const samples: Array<[number, DegradationSignals]> = [[0, { lagSeconds: 100 }]]
    for (let t = 1; t <= 45; t++) samples.push([t, { lagSeconds: 0 }])
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
    const samples = Array.from({ length: 60 }, (_, t) => [t, { lagSeconds: t % 2 ? 11 : 9 }] as [number, DegradationSignals])
    const levels = run(samples)
    const transitions = levels.filter((l, i) => i > 0 && l !== levels[i - 1]).length
    expect(levels[0]).toBe('NORMAL')
    expect(levels.at(-1)).toBe('SOFT')
    expect(transitions).toBe(1)
  })

  it('restarts the cooldown when a recovered signal comes back for a moment', () => {
    // SOFT at t=0; clear for 9 s; one bad sample at t=10 (≥ recovery 5, < entry of GRACEFUL); clear again.
    const samples: Array<[number, DegradationSignals]> = [[0, { lagSeconds: 12 }]]
    for (let t = 1; t <= 30; t++) samples.push([t, { lagSeconds: t === 10 ? 7 : 1 }])
    const levels = run(samples)
    // Without the reset it would leave SOFT at t=11; with it, at t=21 (10 s after t=11).
    expect(levels.indexOf('NORMAL')).toBe(21)
  })

  it('takes the worst of several signals, and names it', () => {
    const d = levelFor(policy, { lagSeconds: 12, heapUsedRatio: 0.85 })
    expect(d.level).toBe('AGGRESSIVE')
    expect(d.reason).toMatch(/heapUsedRatio 0.85 ≥ 0.8 \(AGGRESSIVE\)/)
    // Recovery waits for every signal.
    let state: DegradationState = { level: 'SOFT', sinceMs: 0 }
    state = decide(policy, state, { lagSeconds: 1, heapUsedRatio: 0.55 }, 60_000).state
    state = decide(policy, state, { lagSeconds: 1, heapUsedRatio: 0.55 }, 120_000).state
    expect(state.level).toBe('SOFT')
    const blocked = decide(policy, state, { lagSeconds: 1, heapUsedRatio: 0.55 }, 180_000)
    expect(blocked.reason).toMatch(/heapUsedRatio 0.55 ≥ 0.5/)
  })

  it('ignores signals a worker cannot see', () => {
    expect(levelFor(policy, {}).level).toBe('NORMAL')
    expect(levelFor(policy, { lagSeconds: Number.NaN, commitLatencyMs: 10_000_000 }).level).toBe('NORMAL')
  })

  it('refuses thresholds that would flap or do not rise', () => {
    expect(() => checkPolicy({ cooldownMs: 0, thresholds: { lagSeconds: { enter: [10, 20, 40, 80], recover: [10, 10, 20, 40] } } })).toThrow(/below its entry threshold/)
    expect(() => checkPolicy({ cooldownMs: 0, thresholds: { lagSeconds: { enter: [10, 5, 40, 80], recover: [1, 1, 20, 40] } } })).toThrow(/must be above/)
    expect(checkPolicy(defaultDegradationPolicy)).toBe(defaultDegradationPolicy)
  })
})
