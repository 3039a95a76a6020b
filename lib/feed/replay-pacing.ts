/**
 * The replay exchange's pacing arithmetic: when an event of the tape is due in wall time at a
 * given rate, how late the tape runs, and what the exchange's clock reads. Pure: the wall clock is
 * passed in.
 *
 * The tape is anchored when it starts (or its rate changes): the event that is next at that moment
 * is due then, and each later event `Δ` µs of market time after it is due `Δ / rate` later.
 */

/** Speed against the market's timestamps: `rate`× real time, or 'max' (as fast as the clients read). */
export type ReplayRate = number | 'max'

/** Where the schedule was anchored: this wall time (ms) plays this market time (µs). */
export interface TapeAnchor {
  readonly wallMs: number
  readonly marketMicros: number
}

/** True for a rate the exchange can play at: a positive finite number, or 'max'. */
export function isReplayRate(rate: unknown): rate is ReplayRate {
  return rate === 'max' || (typeof rate === 'number' && rate > 0 && Number.isFinite(rate))
}

/** The wall time (ms) an event of market time `eventMicros` is due; undefined when nothing paces the tape. */
export function dueAtMs(eventMicros: number, anchor: TapeAnchor | undefined, rate: ReplayRate): number | undefined {
  return rate === 'max' || !anchor ? undefined : anchor.wallMs + (eventMicros - anchor.marketMicros) / 1000 / rate
}

/** How late the tape runs (ms): how long ago the next event was due, or 0 when it is not yet due or unpaced. */
export function scheduleLagMs(nextEventMicros: number | undefined, anchor: TapeAnchor | undefined, rate: ReplayRate, nowMs: number): number {
  const due = nextEventMicros === undefined ? undefined : dueAtMs(nextEventMicros, anchor, rate)
  return due === undefined ? 0 : Math.max(0, Math.round(nowMs - due))
}

/**
 * The exchange's clock (ms): the market time due now on the schedule; unpaced, the newest event
 * sent; before any, the wall clock. Binance clients compare event times with it as with Binance's.
 */
export function marketClockMs(anchor: TapeAnchor | undefined, rate: ReplayRate, nowMs: number, lastEventMicros: number | undefined): number {
  if (rate !== 'max' && anchor) return anchor.marketMicros / 1000 + (nowMs - anchor.wallMs) * rate
  return lastEventMicros === undefined ? nowMs : lastEventMicros / 1000
}
