import { describe, expect, it } from 'vitest'
import { createSignalWindow, percentile, slope } from '../../../lib/internal'

const standing = { kind: 'standing' as const, windowMs: 10_000, minGrowthPerSecond: 0.05 }
const p90 = { kind: 'percentile' as const, windowMs: 30_000, percentile: 90, minSamples: 10 }

describe('signal window', () => {
  it('judges a standing value only once the samples cover the whole window, as its minimum', () => {
    const w = createSignalWindow(60_000)
    for (let t = 0; t <= 9; t++) w.push({ atMs: t * 1000, signals: { backlogSeconds: 20 } })
    expect(w.judge('backlogSeconds', standing, 9000).value).toBeUndefined()
    w.push({ atMs: 10_000, signals: { backlogSeconds: 20 } })
    expect(w.judge('backlogSeconds', standing, 10_000)).toMatchObject({ value: 20, latest: 20, growing: false })
    // One dip inside the window means the queue drained: it is not standing at 20.
    w.push({ atMs: 11_000, signals: { backlogSeconds: 0.5 } })
    w.push({ atMs: 12_000, signals: { backlogSeconds: 20 } })
    expect(w.judge('backlogSeconds', standing, 12_000)).toMatchObject({ value: 0.5, latest: 20 })
  })

  it('says a backlog grows when its slope over the window is above the minimum', () => {
    const w = createSignalWindow(60_000)
    for (let t = 0; t <= 20; t++) w.push({ atMs: t * 1000, signals: { up: t * 0.75, flat: 3 + (t % 2) * 0.5, down: 100 - 2 * t } })
    const up = w.judge('up', standing, 20_000)
    expect(up.growing).toBe(true)
    expect(up.slopePerSecond).toBeCloseTo(0.75, 5)
    expect(w.judge('flat', standing, 20_000).growing).toBe(false)
    expect(w.judge('down', standing, 20_000)).toMatchObject({ growing: false, value: 60 })
  })

  it('judges contention as a percentile of the window, once there are enough samples', () => {
    const w = createSignalWindow(60_000)
    // 30 s of 20 ms event-loop delay with three spikes of 250–1,000 ms.
    for (let t = 0; t < 30; t++) w.push({ atMs: t * 1000, signals: { eventLoopDelayMs: [5, 14, 23].includes(t) ? 250 + t * 30 : 20 } })
    expect(w.judge('eventLoopDelayMs', p90, 29_000).value).toBe(20)
    // Five samples are not enough to judge, whatever they say.
    const fresh = createSignalWindow(60_000)
    for (let t = 0; t < 5; t++) fresh.push({ atMs: t * 1000, signals: { eventLoopDelayMs: 900 } })
    expect(fresh.judge('eventLoopDelayMs', p90, 4000).value).toBeUndefined()
  })

  it('ignores samples that lack the signal and forgets samples older than it keeps', () => {
    const w = createSignalWindow(5000)
    for (let t = 0; t <= 20; t++) w.push({ atMs: t * 1000, signals: t % 2 ? { a: t } : {} })
    expect(w.size).toBe(6)
    expect(w.judge('a', { ...standing, windowMs: 4000 }, 20_000)).toMatchObject({ value: 17, latest: 19 })
    expect(w.judge('missing', standing, 20_000)).toMatchObject({ value: undefined, latest: undefined, growing: false })
  })

  it('percentile is nearest-rank and slope is least squares', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3)
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 1000], 90)).toBe(9)
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 1000], 100)).toBe(1000)
    expect(percentile([], 50)).toBeNaN()
    expect(slope([{ t: 0, v: 1 }, { t: 1000, v: 3 }, { t: 2000, v: 5 }])).toBeCloseTo(2, 10)
    expect(slope([{ t: 0, v: 1 }])).toBe(0)
  })
})
