/**
 * Whether the ingest reads its feed. Pure: the feed it pauses is attached, the pause counter is a
 * callback.
 *
 * Two things hold the feed: Kafka falling behind (value bytes waiting above the high water, so a
 * broker that stays slow slows the exchange's sockets through TCP instead of growing memory) and
 * the degradation level's circuit break. Reading resumes only when neither holds, and Kafka counts
 * as caught up below half the high water, so one batch acknowledged does not flap the sockets.
 */

/** Why the feed stopped being read: the label of `k2_ingest_feed_pauses_total`. */
export type FeedPauseCause = 'backpressure' | 'circuit_break'

export const feedPauseCauses: readonly FeedPauseCause[] = ['backpressure', 'circuit_break']

/** What the gate pauses: the connection set. */
export interface Pausable {
  pause(): void
  resume(): void
}

export interface FeedGate {
  /** True while the feed is read. */
  readonly reading: boolean
  /** True from Kafka passing the high water until it is back under half of it. */
  readonly kafkaBehind: boolean
  /** After an enqueue, with the bytes now waiting for Kafka. True when this paused the feed. */
  enqueued(pendingBytes: number): boolean
  /** After an acknowledged batch, with the bytes still waiting without it. True when this resumed the feed. */
  acknowledged(pendingBytesLeft: number): boolean
  /** The level's circuit break, applied on every level change (a resume also restarts the sockets' stale clock). */
  setCircuit(open: boolean): void
  /**
   * At stop: the level no longer holds the feed, but the feed is not resumed, as it is closing and
   * what it read now would land in a run that is flushing.
   */
  releaseCircuit(): void
  /** The feed to pause and resume; holds taken before it exists are counted but act on nothing. */
  attach(feed: Pausable): void
}

export function createFeedGate(highWaterBytes: number, onPause: (cause: FeedPauseCause) => void): FeedGate {
  let feed: Pausable | undefined
  let behind = false
  let circuit = false
  let reading = true
  const apply = (): void => {
    if (behind || circuit) {
      if (reading) onPause(circuit ? 'circuit_break' : 'backpressure')
      reading = false
      feed?.pause()
    } else {
      reading = true
      feed?.resume()
    }
  }
  return {
    get reading() {
      return reading
    },
    get kafkaBehind() {
      return behind
    },
    enqueued(pendingBytes) {
      if (behind || pendingBytes <= highWaterBytes) return false
      behind = true
      apply()
      return true
    },
    acknowledged(pendingBytesLeft) {
      if (!behind || pendingBytesLeft >= highWaterBytes / 2) return false
      behind = false
      apply()
      return true
    },
    setCircuit(open) {
      circuit = open
      apply()
    },
    releaseCircuit() {
      circuit = false
    },
    attach(f) {
      feed = f
    },
  }
}
