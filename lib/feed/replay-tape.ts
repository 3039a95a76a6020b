/**
 * The replay exchange's tape: one for all connections, as on an exchange. A pump takes events
 * from the market in time order, paced by the market's timestamps at `rate`× real time (or as fast
 * as the clients read with 'max'), and hands each to the fan-out. While any connection is above
 * its high-water mark the pump waits, holding the next event so the lag it accrues can be read.
 * It also keeps what it played per symbol: the resume point a restart continues from.
 */
import type { Logger } from '../logger/logger'
import type { MarketEvent, MarketResumePoint, SymbolResumePoint } from './market-events'
import type { ReplayHub } from './replay-connections'
import type { ReplayFanout } from './replay-fanout'
import type { ReplayMarket } from './replay-market'
import { dueAtMs, marketClockMs, scheduleLagMs, type ReplayRate, type TapeAnchor } from './replay-pacing'

/** The tape of a replay exchange. */
export interface ReplayTape {
  /** Takes what an earlier run played as the start of resumePoint() (the market continues from it). */
  continueFrom(resume: MarketResumePoint): void
  /** Starts playing `market`. */
  play(market: ReplayMarket): void
  /** Stops the pump for good. */
  stop(): void
  /** Changes the pace from now on. */
  setRate(rate: ReplayRate): void
  readonly rate: ReplayRate
  /** A connection opened: at rate 'max' the pump waits for one, so it may start now. */
  connected(): void
  /** The exchange's clock, ms (see marketClockMs). */
  clockMs(): number
  /** How late the tape runs, ms (see scheduleLagMs). */
  lagMs(): number
  /** True once a capture has been played to its end. */
  readonly ended: boolean
  /** The last trade id, update id and price played per symbol. */
  resumePoint(): MarketResumePoint
}

/** Events played in one turn of the pump before it yields to the event loop. */
const batchEvents = 2048

/** A tape that plays nothing until play(). */
export function createReplayTape(hub: ReplayHub, fanout: ReplayFanout, rate: ReplayRate, log: Logger): ReplayTape {
  const played: Record<string, { -readonly [K in keyof SymbolResumePoint]: SymbolResumePoint[K] }> = {}
  let market: ReplayMarket | undefined
  let running = false
  let ended = false
  let pending: MarketEvent | undefined
  let anchor: TapeAnchor | undefined
  let pumpTimer: ReturnType<typeof setTimeout> | undefined
  let pumpImmediate: ReturnType<typeof setImmediate> | undefined

  const schedulePump = (delayMs: number): void => {
    if (!running || pumpTimer || pumpImmediate) return
    if (delayMs <= 0) pumpImmediate = setImmediate(pump)
    else pumpTimer = setTimeout(pump, Math.ceil(delayMs))
  }

  function pump(): void {
    pumpTimer = undefined
    pumpImmediate = undefined
    if (!running || !market || ended) return
    // As fast as possible is only worth it while someone listens; a paced tape moves on regardless.
    if (rate === 'max' && hub.connections.size === 0) return
    const now = Date.now()
    if (fanout.blocked(now)) {
      hub.counters.backpressureWaits++
      // Hold the next event while waiting, so the schedule lag it is accruing can be read.
      pending ??= market.next()
      pumpTimer = setTimeout(pump, 1)
      return
    }
    const uncork = fanout.cork()
    try {
      playBatch(market, now)
    } finally {
      uncork()
    }
  }

  function playBatch(market: ReplayMarket, now: number): void {
    for (let n = 1; n <= batchEvents; n++) {
      if (!pending) {
        pending = market.next()
        if (!pending) {
          ended = true
          log.info('the capture has been played to its end', { events: hub.counters.events })
          return
        }
      }
      if (rate !== 'max') {
        anchor ??= { wallMs: now, marketMicros: pending.timeMicros }
        const wait = dueAtMs(pending.timeMicros, anchor, rate)! - Date.now()
        if (wait > 0) return schedulePump(wait)
      }
      const ev = pending
      pending = undefined
      hub.counters.events++
      hub.lastEventMicros = ev.timeMicros
      const point = (played[ev.symbol] ??= {})
      if (ev.kind === 'trade') {
        point.lastTradeId = ev.tradeId
        point.lastPrice = ev.price
      } else point.lastUpdateId = ev.updateId
      fanout.deliver(ev)
      if ((n & 63) === 0 && fanout.blocked(Date.now())) break
    }
    schedulePump(0)
  }

  return {
    continueFrom(resume) {
      for (const [symbol, point] of Object.entries(resume)) played[symbol] = { ...point }
    },
    play(next) {
      market = next
      running = true
      schedulePump(0)
    },
    stop() {
      running = false
      if (pumpTimer) clearTimeout(pumpTimer)
      if (pumpImmediate) clearImmediate(pumpImmediate)
    },
    setRate(next) {
      rate = next
      // Pace from here: the next event is due now, later ones at the new rate.
      anchor = undefined
      if (pumpTimer) clearTimeout(pumpTimer)
      pumpTimer = undefined
      if (running) schedulePump(0)
    },
    get rate() {
      return rate
    },
    connected() {
      if (rate === 'max') schedulePump(0)
    },
    clockMs: () => marketClockMs(anchor, rate, Date.now(), hub.lastEventMicros),
    lagMs: () => scheduleLagMs(pending?.timeMicros, anchor, rate, Date.now()),
    get ended() {
      return ended
    },
    resumePoint: () => Object.fromEntries(Object.entries(played).map(([symbol, point]) => [symbol, { ...point }])),
  }
}
