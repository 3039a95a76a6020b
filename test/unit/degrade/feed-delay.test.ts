import { describe, expect, it } from 'vitest'
import { createExchangeClock, feedDelaySeconds } from '../../../lib/internal'

/** Polls of an exchange clock that runs at `rate` from `start` (ms), every `every` ms of wall time from wall 0. */
const polled = (rate: number, count: number, every = 5000, start = 1_000_000) => {
  const clock = createExchangeClock(4000)
  for (let i = 0; i < count; i++) clock.observe(i * every, start + i * every * rate)
  return clock
}

describe('exchange clock', () => {
  it.each([
    ['Binance (wall time)', 1],
    ['the replay exchange at rate 10', 10],
    ['the replay exchange at rate 0.5', 0.5],
  ])('learns how fast %s runs, and extrapolates it', (_name, rate) => {
    const clock = polled(rate, 3)
    expect(clock.rate()).toBeCloseTo(rate, 9)
    expect(clock.at(12_000)).toBeCloseTo(1_000_000 + 12_000 * rate, 6)
  })

  it('knows nothing from one poll, and polls closer than its span only move the anchor', () => {
    const clock = createExchangeClock(4000)
    clock.observe(0, 1000)
    expect(clock.rate()).toBeUndefined()
    clock.observe(1000, 2000)
    expect(clock.rate()).toBeUndefined()
    clock.observe(6000, 7000)
    expect(clock.rate()).toBeCloseTo(1, 9)
  })

  it('is not thrown off by one pair of polls across a restart, and follows a new rate within three polls', () => {
    // Rate 1 until wall 15 s; the exchange restarts at rate 8, resuming its market 2 s of market time later.
    const clock = createExchangeClock(4000)
    const market = (wall: number): number => (wall <= 15_000 ? wall : 17_000 + (wall - 15_000) * 8)
    for (const wall of [0, 5000, 10_000, 15_000, 20_000]) clock.observe(wall, market(wall))
    expect(clock.rate()).toBeCloseTo(1, 9) // one pair at the new rate: the median is the old one
    for (const wall of [25_000, 30_000]) clock.observe(wall, market(wall))
    expect(clock.rate()).toBeCloseTo(8, 9)
  })
})

describe('feed delay', () => {
  const clock = polled(10, 3) // rate 10: market ms run 10× wall ms; at wall 10 s the exchange says 1,100,000
  it.each([
    ['a reader that idles is not behind, whatever its newest trade', 0.5, 1_000_000, 0],
    ['20 market-seconds behind at rate 10 is 2 s of queue', 1, 1_080_000, 2],
    ['a newest trade ahead of the clock is no delay', 1, 1_200_000, 0],
    ['no trade read yet: unknown', 1, undefined, undefined],
  ])('%s', (_name, loop, newest, expected) => {
    const d = feedDelaySeconds(clock, 10_000, newest, loop)
    if (expected === undefined) expect(d).toBeUndefined()
    else expect(d).toBeCloseTo(expected, 9)
  })

  it('is unknown while the clock is', () => {
    expect(feedDelaySeconds(createExchangeClock(), 10_000, 1_000_000, 1)).toBeUndefined()
  })
})
