import { describe, expect, it } from 'vitest'
import { createDegradationManager, createMetrics, silentLogger, type DegradationSignals, type DegradationTransition } from '../../../lib'

describe('degradation manager', () => {
  it('applies the policy to sampled signals, records transitions and a bounded timeline, and exports metrics', async () => {
    let t = 0
    let lag = 0
    const metrics = createMetrics()
    const seen: DegradationTransition[] = []
    const m = createDegradationManager({
      worker: 'test',
      policy: { cooldownMs: 3000, thresholds: { lagSeconds: { enter: [10, 20, 40, 80], recover: [5, 10, 20, 40] } } },
      sample: (): DegradationSignals => ({ lagSeconds: lag }),
      intervalMs: 0,
      timelineSize: 10,
      now: () => t,
      logger: silentLogger,
      metrics,
    })
    m.onChange((x) => seen.push(x))
    const step = async (value: number): Promise<void> => {
      lag = value
      t += 1000
      await m.tick()
    }
    for (const v of [0, 50, 50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) await step(v)
    expect(m.transitions.map((x) => `${x.from}→${x.to}`)).toEqual(['NORMAL→AGGRESSIVE', 'AGGRESSIVE→GRACEFUL', 'GRACEFUL→SOFT', 'SOFT→NORMAL'])
    expect(seen).toHaveLength(4)
    expect(m.transitions[0]!.reason).toMatch(/lagSeconds 50 ≥ 40/)
    expect(m.level).toBe('NORMAL')
    expect(m.actions().backfill).toBe(true)
    expect(m.timeline).toHaveLength(10)
    const text = await metrics.registry.metrics()
    expect(text).toMatch(/^k2_degrade_level\{worker="test"\} 0$/m)
    expect(text).toMatch(/^k2_degrade_transitions_total\{worker="test",from="NORMAL",to="AGGRESSIVE"\} 1$/m)
    // 2 s at AGGRESSIVE (the samples at t=3 s and t=4 s), then 3 s of cooldown before the step down.
    expect(text).toMatch(/^k2_degrade_time_in_level_seconds_total\{worker="test",level="AGGRESSIVE"\} [3-5]$/m)
    m.close()
  })

  it('keeps the level when a sample fails', async () => {
    let fail = false
    const m = createDegradationManager({ worker: 'x', policy: { cooldownMs: 0, thresholds: { lagSeconds: { enter: [1, 2, 3, 4], recover: [0.5, 1, 1.5, 2] } } }, sample: () => (fail ? Promise.reject(new Error('no broker')) : { lagSeconds: 3 }), intervalMs: 0, logger: silentLogger })
    await m.tick()
    expect(m.level).toBe('AGGRESSIVE')
    fail = true
    await m.tick()
    expect(m.level).toBe('AGGRESSIVE')
  })
})
