import { describe, expect, it } from 'vitest'
import { createDegradationManager, createMetrics, silentLogger, type DegradationSignals, type DegradationTransition } from '../../../lib/internal'

const standing = { kind: 'standing' as const, windowMs: 3000, minGrowthPerSecond: 0.05 }

describe('degradation manager', () => {
  it('judges sampled signals over their window, records transitions and a bounded timeline, and exports metrics', async () => {
    let t = 0
    let backlog = 0
    const metrics = createMetrics()
    const seen: DegradationTransition[] = []
    const m = createDegradationManager({
      worker: 'test',
      policy: { cooldownMs: 3000, thresholds: { backlogSeconds: { enter: [10, 20, 40, 80], recover: [5, 10, 20, 40], judge: standing, growthGated: true } } },
      sample: (): DegradationSignals => ({ backlogSeconds: backlog }),
      intervalMs: 0,
      timelineSize: 10,
      now: () => t,
      logger: silentLogger,
      metrics,
    })
    m.onChange((x) => seen.push(x))
    const step = async (value: number): Promise<void> => {
      backlog = value
      t += 1000
      await m.tick()
    }
    // A one-sample spike to 50 decides nothing; a backlog growing for the whole window does.
    for (const v of [0, 0, 0, 0, 50, 0, 0, 0]) await step(v)
    expect(m.level).toBe('NORMAL')
    for (const v of [45, 50, 55, 60, 65]) await step(v)
    expect(m.level).toBe('AGGRESSIVE')
    for (let i = 0; i < 15; i++) await step(0)
    expect(m.transitions.map((x) => `${x.from}→${x.to}`)).toEqual(['NORMAL→AGGRESSIVE', 'AGGRESSIVE→GRACEFUL', 'GRACEFUL→SOFT', 'SOFT→NORMAL'])
    expect(seen).toHaveLength(4)
    expect(m.transitions[0]!.reason).toMatch(/backlogSeconds 45 ≥ 40 \(AGGRESSIVE\), growing 5\/s/)
    expect(m.level).toBe('NORMAL')
    expect(m.actions().backfill).toBe(true)
    expect(m.timeline).toHaveLength(10)
    expect(m.timeline.at(-1)!.judged).toEqual({ backlogSeconds: 0 })
    const text = await metrics.registry.metrics()
    expect(text).toMatch(/^k2_degrade_level\{worker="test"\} 0$/m)
    expect(text).toMatch(/^k2_degrade_signal\{worker="test",signal="backlogSeconds"\} 0$/m)
    expect(text).toMatch(/^k2_degrade_transitions_total\{worker="test",from="NORMAL",to="AGGRESSIVE"\} 1$/m)
    m.close()
  })

  it('keeps the level when a sample fails', async () => {
    let fail = false
    let t = 0
    const m = createDegradationManager({
      worker: 'x',
      policy: { cooldownMs: 0, thresholds: { backlogSeconds: { enter: [1, 2, 3, 4], recover: [0.5, 1, 1.5, 2], judge: { ...standing, windowMs: 1000, minGrowthPerSecond: -1 }, growthGated: true } } },
      sample: () => (fail ? Promise.reject(new Error('no broker')) : { backlogSeconds: 3 }),
      intervalMs: 0,
      now: () => (t += 1000),
      logger: silentLogger,
    })
    await m.tick()
    await m.tick()
    expect(m.level).toBe('AGGRESSIVE')
    fail = true
    await m.tick()
    expect(m.level).toBe('AGGRESSIVE')
  })
})

describe('degradation manager windows', () => {
  it('judges a window shorter than its sampling period on the newest sample, once there are two', async () => {
    let t = 0
    const m = createDegradationManager({
      worker: 'short',
      policy: { cooldownMs: 0, thresholds: { backlogSeconds: { enter: [5], recover: [2], judge: { kind: 'standing', windowMs: 1, minGrowthPerSecond: 0 } } } },
      sample: () => ({ backlogSeconds: 400 }),
      intervalMs: 0,
      now: () => (t += 1000),
      logger: silentLogger,
    })
    await m.tick()
    expect(m.level).toBe('NORMAL')
    await m.tick()
    expect(m.level).toBe('SOFT')
  })

  it('stays decided with samples that arrive a little late (a 15 s window, samples every 1,010 ms)', async () => {
    let t = 0
    const m = createDegradationManager({
      worker: 'jitter',
      policy: { cooldownMs: 0, thresholds: { backlogSeconds: { enter: [5], recover: [2], judge: { kind: 'standing', windowMs: 15_000, minGrowthPerSecond: 0 } } } },
      sample: () => ({ backlogSeconds: 10 }),
      intervalMs: 0,
      now: () => (t += 1010),
      logger: silentLogger,
    })
    const levels: string[] = []
    for (let i = 0; i < 40; i++) {
      await m.tick()
      levels.push(m.level)
    }
    expect(levels.indexOf('SOFT')).toBeGreaterThan(0)
    expect(levels.slice(levels.indexOf('SOFT'))).not.toContain('NORMAL')
  })
})
