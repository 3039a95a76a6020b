/**
 * How far behind its feed the ingest reads, in seconds of wall time. Pure: the caller supplies
 * the times.
 *
 * A feed that a reader cannot keep up with queues upstream: in the exchange and the sockets,
 * where the reader cannot count it. What it can compare is the exchange's clock (Binance
 * `GET /api/v3/time`; the replay exchange answers with its market clock, which runs at the replay
 * rate) with the market time of the newest trade it has read. The clock is polled every few
 * seconds and extrapolated at the rate it has been seen to run, which is also how market seconds
 * become wall seconds: behind by 10 market-seconds at rate 10 is 1 s of queue.
 *
 * Only a reader whose loop never idled is behind at all (D50): one that idles has read
 * everything there was, and its newest trade is simply the last one the market made (a quiet
 * symbol's, seconds ago). So the delay counts only while the loop is saturated, and is 0 otherwise.
 */
export interface ExchangeClock {
  /** A poll: the exchange's time (ms) as answered, and the wall time (ms) halfway through the request. */
  observe(wallMs: number, serverMs: number): void
  /** Exchange ms per wall ms, from the last polls (undefined until two polls at least `minSpanMs` apart). */
  rate(): number | undefined
  /** The exchange's time at `wallMs`, extrapolated from the newest poll at `rate()`. */
  at(wallMs: number): number | undefined
}

/**
 * The clock from its polls: the rate is the median over the last three pairs of polls at least
 * `minSpanMs` apart, so one pair across a restart (the replay exchange resumes its market at a
 * new rate, D33) does not throw it off, and a rate change is followed within three polls.
 */
export function createExchangeClock(minSpanMs = 4_000): ExchangeClock {
  let last: { wall: number; server: number } | undefined
  const rates: number[] = []
  const rate = (): number | undefined => {
    const positive = rates.filter((r) => r > 0).sort((a, b) => a - b)
    return positive.length === 0 ? undefined : positive[Math.floor((positive.length - 1) / 2)]
  }
  return {
    observe(wall, server) {
      // A poll too close to the last to measure a rate over only moves the anchor.
      if (last && wall - last.wall >= minSpanMs) {
        rates.push((server - last.server) / (wall - last.wall))
        if (rates.length > 3) rates.shift()
      }
      last = { wall, server }
    },
    rate,
    at(wall) {
      const r = rate()
      return last && r !== undefined ? last.server + (wall - last.wall) * r : undefined
    },
  }
}

/** Loop utilisation at or above which the reader counts as saturated (it did not idle in the period). */
export const saturatedLoop = 0.9

/**
 * Seconds of wall time the reader is behind: the exchange's time now less the market time of the
 * newest trade read, converted at the clock's rate; 0 while the loop idles, undefined while the
 * clock is not known yet or no trade has been read.
 */
export function feedDelaySeconds(clock: ExchangeClock, wallMs: number, newestTradeMs: number | undefined, loopUtilization: number): number | undefined {
  if (loopUtilization < saturatedLoop) return 0
  const now = clock.at(wallMs)
  const rate = clock.rate()
  if (now === undefined || rate === undefined || newestTradeMs === undefined) return undefined
  return Math.max(0, (now - newestTradeMs) / rate / 1000)
}

/** The feed-delay signal of one reader: its newest trade, and the exchange's clock polled in the background. */
export interface FeedDelaySignal {
  /** A trade read from the feed, by its market time (µs). */
  tradeAt(marketMicros: bigint): void
  /** The delay now (s), given the loop's utilisation over the period; see feedDelaySeconds. */
  sample(wallMs: number, loopUtilization: number): number | undefined
  close(): void
}

/**
 * Polls `serverTime` every `pollMs` (a failed poll is skipped: the signal goes undefined once the
 * clock is stale, never wrong).
 */
export function createFeedDelaySignal(serverTime: () => Promise<number>, pollMs = 5_000, now: () => number = Date.now): FeedDelaySignal {
  const clock = createExchangeClock(pollMs * 0.8)
  let newest: number | undefined
  let lastPoll = -Infinity
  let inFlight = false
  const poll = (): void => {
    if (inFlight) return
    inFlight = true
    const sent = now()
    serverTime().then(
      (server) => {
        const received = now()
        clock.observe((sent + received) / 2, server)
        lastPoll = received
        inFlight = false
      },
      () => {
        inFlight = false
      },
    )
  }
  poll()
  const timer = setInterval(poll, pollMs)
  timer.unref()
  return {
    tradeAt(marketMicros) {
      const ms = Number(marketMicros) / 1000
      if (newest === undefined || ms > newest) newest = ms
    },
    sample(wallMs, loopUtilization) {
      // A clock not heard from in three polls extrapolates nothing.
      if (wallMs - lastPoll > 3 * pollMs && loopUtilization >= saturatedLoop) return undefined
      return feedDelaySeconds(clock, wallMs, newest, loopUtilization)
    },
    close: () => clearInterval(timer),
  }
}
