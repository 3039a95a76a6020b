import { describe, expect, it } from 'vitest'
import { createSeededRandom } from '../../../lib/internal'
import { activityShares, arrivalRate, excite, regimeVolatility, sampleNextArrival, startRegime, switchStress, type ArrivalState } from '../../../lib/internal'

const calm = (mu: number, regimeEnd = Number.POSITIVE_INFINITY): ArrivalState => ({ mu, excitation: 0, excitationAt: 0, burst: false, regimeEnd })

describe('synthetic arrivals', () => {
  it('shares the market by a heavy-tailed rank law: shares sum to 1, fall with rank, and the top 20 of 160 carry most', () => {
    const shares = activityShares(160)
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12)
    for (let i = 1; i < shares.length; i++) expect(shares[i]!).toBeLessThan(shares[i - 1]!)
    expect(shares.slice(0, 20).reduce((a, b) => a + b, 0)).toBeGreaterThan(0.6)
    expect(activityShares(1)).toEqual([1])
  })

  it('raises the rate in a burst and under stress, and each action excites it for a while', () => {
    const s = calm(2)
    expect(arrivalRate(s, 0, false)).toBe(2)
    expect(arrivalRate({ ...s, burst: true }, 0, false)).toBeGreaterThan(2)
    expect(arrivalRate(s, 0, true)).toBeGreaterThan(2)
    excite(s, 10)
    const right = arrivalRate(s, 10, false)
    const soon = arrivalRate(s, 10.5, false)
    const long = arrivalRate(s, 30, false)
    expect(right).toBeGreaterThan(2)
    expect(soon).toBeLessThan(right)
    expect(soon).toBeGreaterThan(2)
    expect(long).toBeCloseTo(2, 6)
    // Actions in quick succession pile up.
    excite(s, 10.01)
    expect(arrivalRate(s, 10.01, false)).toBeGreaterThan(right)
  })

  it('samples arrivals at the base rate of a calm symbol: mean gap 1/mu', () => {
    const rng = createSeededRandom(3)
    const s = calm(5)
    let t = 0
    const n = 20_000
    for (let i = 0; i < n; i++) {
      const next = sampleNextArrival(s, t, false, rng)
      expect(next).toBeGreaterThan(t)
      t = next
    }
    expect(t / n).toBeGreaterThan(0.19)
    expect(t / n).toBeLessThan(0.21)
  })

  it('arrives sooner on average with self-excitation than without', () => {
    const meanGap = (exciting: boolean): number => {
      const rng = createSeededRandom(11)
      const s = calm(1)
      let t = 0
      for (let i = 0; i < 5_000; i++) {
        t = sampleNextArrival(s, t, false, rng)
        if (exciting) excite(s, t)
      }
      return t / 5_000
    }
    expect(meanGap(true)).toBeLessThan(meanGap(false) * 0.8)
  })

  it('flips a symbol into a burst when sampling passes the end of its calm, and draws the burst\'s end after it', () => {
    const rng = createSeededRandom(5)
    const s = calm(1, 0.001)
    const next = sampleNextArrival(s, 0, false, rng)
    expect(s.burst).toBe(true)
    expect(next).toBeGreaterThan(0.001)
    expect(s.regimeEnd).toBeGreaterThan(next)
  })

  it('alternates the market-wide stress regime, each spell starting where the last ended', () => {
    const rng = createSeededRandom(8)
    const regime = startRegime(rng)
    expect(regime.stress).toBe(false)
    let end = regime.stressEnd
    for (let i = 0; i < 6; i++) {
      const at = switchStress(regime, rng)
      expect(at).toBe(end)
      expect(regime.stress).toBe(i % 2 === 0)
      expect(regime.stressEnd).toBeGreaterThan(at)
      end = regime.stressEnd
    }
  })

  it('keeps a market without stress calm for good, drawing what a stressed one draws so the seed gives the same numbers after', () => {
    const withStress = createSeededRandom(8)
    const calm = createSeededRandom(8)
    expect(startRegime(withStress).stressEnd).toBeLessThan(Number.POSITIVE_INFINITY)
    const regime = startRegime(calm, false)
    expect(regime).toEqual({ stress: false, stressEnd: Number.POSITIVE_INFINITY })
    expect(calm.float()).toBe(withStress.float())
  })

  it('moves prices further in bursts and under stress', () => {
    const sigma = 1e-4
    expect(regimeVolatility(sigma, false, false)).toBe(sigma)
    expect(regimeVolatility(sigma, true, false)).toBeGreaterThan(sigma)
    expect(regimeVolatility(sigma, false, true)).toBeGreaterThan(sigma)
    expect(regimeVolatility(sigma, true, true)).toBeGreaterThan(regimeVolatility(sigma, true, false))
  })
})
