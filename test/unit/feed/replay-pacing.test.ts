import { describe, expect, it } from 'vitest'
import { dueAtMs, isReplayRate, marketClockMs, scheduleLagMs, type TapeAnchor } from '../../../lib/internal'

// The tape was anchored at wall time 1,000,000 ms on an event of market time 1.7e15 µs.
const anchor: TapeAnchor = { wallMs: 1_000_000, marketMicros: 1_700_000_000_000_000 }
const later = (marketMs: number): number => anchor.marketMicros + marketMs * 1000

describe('replay pacing', () => {
  it.each([
    [1, true],
    [0.25, true],
    [60, true],
    ['max', true],
    [0, false],
    [-1, false],
    [Number.POSITIVE_INFINITY, false],
    [Number.NaN, false],
    ['fast', false],
    [undefined, false],
  ])('isReplayRate(%s) is %s', (rate, ok) => {
    expect(isReplayRate(rate)).toBe(ok)
  })

  it.each([1, 4, 60, 0.5])('plays an event Δ of market time after the anchor Δ/rate later in wall time, at rate %s', (rate) => {
    expect(dueAtMs(anchor.marketMicros, anchor, rate)).toBe(anchor.wallMs)
    for (const marketMs of [1, 250, 60_000]) expect(dueAtMs(later(marketMs), anchor, rate)).toBeCloseTo(anchor.wallMs + marketMs / rate, 6)
  })

  it('sets no due time when nothing paces the tape: at rate max, or before it is anchored', () => {
    expect(dueAtMs(later(1_000), anchor, 'max')).toBeUndefined()
    expect(dueAtMs(later(1_000), undefined, 4)).toBeUndefined()
  })

  it('reports the lag as how long ago the next event was due, never negative', () => {
    const rate = 4
    const due = anchor.wallMs + 2_000 / rate
    expect(scheduleLagMs(later(2_000), anchor, rate, due - 100)).toBe(0)
    expect(scheduleLagMs(later(2_000), anchor, rate, due)).toBe(0)
    expect(scheduleLagMs(later(2_000), anchor, rate, due + 1_500)).toBe(1_500)
  })

  it('reports no lag at rate max, before the anchor, or with no event waiting', () => {
    const muchLater = anchor.wallMs + 3_600_000
    expect(scheduleLagMs(later(2_000), anchor, 'max', muchLater)).toBe(0)
    expect(scheduleLagMs(later(2_000), undefined, 4, muchLater)).toBe(0)
    expect(scheduleLagMs(undefined, anchor, 4, muchLater)).toBe(0)
  })

  it('runs the clock at the rate from the anchor, so serverTime advances rate× as fast as the wall', () => {
    for (const rate of [1, 4, 20]) {
      const t1 = marketClockMs(anchor, rate, anchor.wallMs + 1_000, undefined)
      const t2 = marketClockMs(anchor, rate, anchor.wallMs + 3_000, undefined)
      expect(t1).toBe(anchor.marketMicros / 1000 + 1_000 * rate)
      expect(t2 - t1).toBe(2_000 * rate)
    }
  })

  it('reads the newest event sent at rate max, and the wall clock before any event', () => {
    const newest = later(42_000)
    expect(marketClockMs(anchor, 'max', 5, newest)).toBe(newest / 1000)
    expect(marketClockMs(undefined, 4, 5, newest)).toBe(newest / 1000)
    expect(marketClockMs(undefined, 'max', 1_234, undefined)).toBe(1_234)
  })
})
