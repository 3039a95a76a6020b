/**
 * When the synthetic market's symbols act: a self-exciting (Hawkes) process per symbol with an
 * exponential kernel, on top of a Zipf share of the market's base rate, modulated by a per-symbol
 * burst regime and a market-wide stress regime (see synthetic-market.ts for the whole model).
 * Pure: the caller owns the state and the random source, so the draws keep their order.
 */
import type { SeededRandom } from './seeded-random'

// Hawkes kernel: each action adds `jump` actions/s to the symbol's rate, decaying at `decay`/s.
const decay = 2
const jump = 1
// Regimes: mean durations (s) and what they multiply.
const calmToBurst = 1 / 600
const burstToCalm = 1 / 45
const burstRate = 4
const burstVol = 3
const calmToStress = 1 / 1800
const stressToCalm = 1 / 120
const stressRate = 2.5
const stressVol = 2
/** Zipf exponent of activity over rank. */
const zipf = 1.2

/** A symbol's arrival state; times are seconds of market time since the market's start. */
export interface ArrivalState {
  /** Base rate of actions per second (before excitation and regimes). */
  readonly mu: number
  /** Excess rate left by past actions, as of `excitationAt`. */
  excitation: number
  excitationAt: number
  burst: boolean
  /** When the symbol's burst regime next flips. */
  regimeEnd: number
}

/** The market-wide stress regime: every symbol trades faster and moves further while it lasts. */
export interface MarketRegime {
  stress: boolean
  /** When it next flips, seconds of market time. */
  stressEnd: number
}

/** Each symbol's share of the market's base rate, by rank (index 0 the busiest); they sum to 1. */
export function activityShares(count: number): number[] {
  let weightSum = 0
  for (let i = 0; i < count; i++) weightSum += (i + 1) ** -zipf
  return Array.from({ length: count }, (_, index) => (index + 1) ** -zipf / weightSum)
}

/** When a symbol that starts calm first enters a burst. */
export function firstBurstAt(rng: SeededRandom): number {
  return rng.exponential(calmToBurst)
}

/**
 * The market's regime at its start: calm, with the first stress drawn from the seed. Without
 * `stress` the market stays calm for good; the draw is made all the same, so every other number
 * the seed gives stays as it was.
 */
export function startRegime(rng: SeededRandom, stress = true): MarketRegime {
  const first = rng.exponential(calmToStress)
  return { stress: false, stressEnd: stress ? first : Number.POSITIVE_INFINITY }
}

/** Flips the market-wide regime at its `stressEnd` and draws the next one; returns when it flipped. */
export function switchStress(regime: MarketRegime, rng: SeededRandom): number {
  const at = regime.stressEnd
  regime.stress = !regime.stress
  regime.stressEnd = at + rng.exponential(regime.stress ? stressToCalm : calmToStress)
  return at
}

/** A symbol's volatility per √second in the regimes it and the market are in. */
export function regimeVolatility(sigma: number, burst: boolean, stress: boolean): number {
  return sigma * (burst ? burstVol : 1) * (stress ? stressVol : 1)
}

/** A symbol's rate of actions per second at time t (the excitation decays since its last action). */
export function arrivalRate(s: ArrivalState, t: number, stress: boolean): number {
  return s.mu * (s.burst ? burstRate : 1) * (stress ? stressRate : 1) + s.excitation * Math.exp(-decay * (t - s.excitationAt))
}

/** Next action time of `s` after t0, by Ogata thinning (the rate only decays between actions); flips its burst regime on the way. */
export function sampleNextArrival(s: ArrivalState, t0: number, stress: boolean, rng: SeededRandom): number {
  let t = t0
  for (;;) {
    const bound = arrivalRate(s, t, stress)
    const candidate = t + rng.exponential(bound)
    if (candidate >= s.regimeEnd) {
      t = s.regimeEnd
      s.burst = !s.burst
      s.regimeEnd = t + rng.exponential(s.burst ? burstToCalm : calmToBurst)
      continue
    }
    t = candidate
    if (rng.float() * bound <= arrivalRate(s, t, stress)) return t
  }
}

/** Records an action of `s` at t: the kernel adds its jump to what is left of the excitation. */
export function excite(s: ArrivalState, t: number): void {
  s.excitation = s.excitation * Math.exp(-decay * (t - s.excitationAt)) + jump
  s.excitationAt = t
}
