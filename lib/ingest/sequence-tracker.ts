/**
 * Per-symbol trade-id sequencing: releases each trade exactly once and in id order, drops
 * duplicates, absorbs small reorders without a network call, and reports a gap (ids known to
 * exist but not received) once a short reorder window has passed, so the caller repairs it from
 * the exchange's REST history before anything later for that symbol is released.
 *
 * Binance trade ids are contiguous per symbol, so "every id from the first one seen, exactly
 * once" is the invariant. Memory is bounded: per symbol one bigint plus at most
 * `maxPendingPerSymbol` held records; beyond that the newest held records are let go (counted),
 * which loses nothing because the gap they leave is repaired from REST like any other.
 */

/** A range of trade ids [from, to] (inclusive) that must be fetched before `symbol` moves on. */
export interface TradeGap {
  readonly symbol: string
  readonly from: bigint
  readonly to: bigint
}

export interface SequenceTrackerOptions {
  /** How long a later trade waits for the ids before it to arrive on their own. */
  readonly reorderWindowMs: number
  /** Records held per symbol while waiting; the newest beyond it are let go and refetched. */
  readonly maxPendingPerSymbol: number
}

/** What the tracker counted since it was created (monotonic; metrics read these). */
export interface SequenceCounters {
  /** Records whose id was already released or already held: dropped. */
  duplicates: number
  /** Records that arrived with an id below the highest id already seen for the symbol. */
  outOfOrder: number
  /** Gaps reported for repair, and the ids they covered. */
  gaps: number
  gapIds: bigint
  /** Held records let go because a symbol's pending set was full (refetched through a gap). */
  evicted: number
}

interface SymbolState {
  /** The next id to release; everything below has been released. */
  next: bigint
  /** Highest id seen (released or held). */
  highest: bigint
  /** Held records by id, each waiting for `next` to reach it. */
  pending: Map<bigint, unknown>
  /** When the oldest held record's reorder window ends (ms); undefined when nothing is held. */
  deadline: number | undefined
  /** A reported gap not yet filled: no new gap is reported for the symbol until it is. */
  repairing: TradeGap | undefined
}

export interface SequenceTracker<T> {
  /**
   * Offers one record. Returns the records now releasable for its symbol, in id order (possibly
   * none, when it is held or dropped).
   */
  offer(symbol: string, id: bigint, record: T, nowMs: number): T[]
  /** Gaps whose reorder window has passed (or whose symbol overflowed), to be repaired now. */
  dueGaps(nowMs: number): TradeGap[]
  /**
   * Delivers the records fetched for a gap (any order, may include ids outside it). Returns the
   * records now releasable. Ids the source could not supply are reported in `missing`.
   */
  fill(gap: TradeGap, fetched: ReadonlyArray<{ id: bigint; record: T }>): { released: T[]; missing: bigint }
  /**
   * Starts a symbol after `lastId` (recovered from the last run's checkpoint): the first trade
   * that arrives above `lastId + 1` opens a gap from there, so a restart loses nothing.
   */
  seed(symbol: string, lastId: bigint): void
  /** The next id to release for a symbol (undefined before its first record). */
  expected(symbol: string): bigint | undefined
  readonly counters: Readonly<SequenceCounters>
  /** Number of records held across symbols. */
  held(): number
}

export function createSequenceTracker<T>(options: SequenceTrackerOptions): SequenceTracker<T> {
  const states = new Map<string, SymbolState>()
  const counters: SequenceCounters = { duplicates: 0, outOfOrder: 0, gaps: 0, gapIds: 0n, evicted: 0 }
  let heldTotal = 0

  const drain = (s: SymbolState, out: T[]): void => {
    while (s.pending.has(s.next)) {
      out.push(s.pending.get(s.next) as T)
      s.pending.delete(s.next)
      heldTotal--
      s.next++
    }
    // Nothing held and nothing known beyond `next`: no gap to wait for.
    if (s.pending.size === 0 && s.next > s.highest) s.deadline = undefined
  }

  const smallestHeld = (s: SymbolState): bigint => {
    let min: bigint | undefined
    for (const id of s.pending.keys()) if (min === undefined || id < min) min = id
    return min!
  }

  return {
    counters,

    offer(symbol, id, record, nowMs) {
      const s = states.get(symbol)
      if (!s) {
        states.set(symbol, { next: id + 1n, highest: id, pending: new Map(), deadline: undefined, repairing: undefined })
        return [record]
      }
      if (id < s.highest) counters.outOfOrder++
      if (id < s.next || s.pending.has(id)) {
        counters.duplicates++
        return []
      }
      if (id > s.highest) s.highest = id
      if (id === s.next) {
        const out: T[] = [record]
        s.next++
        drain(s, out)
        return out
      }
      if (s.pending.size >= options.maxPendingPerSymbol) {
        // Full: keep the oldest held (they are released first); let the newest go. Its id will
        // fall inside the gap reported for this symbol and be refetched.
        let newest = id
        for (const held of s.pending.keys()) if (held > newest) newest = held
        if (newest === id) {
          counters.evicted++
          s.deadline = nowMs // report the gap now
          return []
        }
        s.pending.delete(newest)
        heldTotal--
        counters.evicted++
        s.deadline = nowMs
      }
      s.pending.set(id, record)
      heldTotal++
      s.deadline ??= nowMs + options.reorderWindowMs
      return []
    },

    dueGaps(nowMs) {
      const gaps: TradeGap[] = []
      for (const [symbol, s] of states) {
        if (s.repairing || s.deadline === undefined || s.deadline > nowMs || s.next > s.highest) continue
        // Everything from `next` up to the first held id is missing (or up to the highest id
        // seen, when the records after `next` were let go); holes further on are reported after.
        const gap = { symbol, from: s.next, to: s.pending.size > 0 ? smallestHeld(s) - 1n : s.highest }
        s.repairing = gap
        counters.gaps++
        counters.gapIds += gap.to - gap.from + 1n
        gaps.push(gap)
      }
      return gaps
    },

    fill(gap, fetched) {
      const s = states.get(gap.symbol)
      if (!s) return { released: [], missing: gap.to - gap.from + 1n }
      const out: T[] = []
      const byId = new Map<bigint, T>()
      for (const f of fetched) if (f.id >= s.next && f.id <= gap.to) byId.set(f.id, f.record)
      let missing = 0n
      while (s.next <= gap.to) {
        const r = byId.get(s.next)
        if (r !== undefined) out.push(r)
        else if (s.pending.has(s.next)) {
          out.push(s.pending.get(s.next) as T)
          s.pending.delete(s.next)
          heldTotal--
        } else missing++
        s.next++
      }
      if (s.next > s.highest) s.highest = s.next - 1n
      drain(s, out)
      s.repairing = undefined
      // Holes left further on (only after evictions) are certainly missing: report them at once.
      if (s.pending.size > 0 || s.next <= s.highest) s.deadline = 0
      return { released: out, missing }
    },

    seed(symbol, lastId) {
      if (states.has(symbol)) return
      states.set(symbol, { next: lastId + 1n, highest: lastId, pending: new Map(), deadline: undefined, repairing: undefined })
    },

    expected(symbol) {
      return states.get(symbol)?.next
    },

    held() {
      return heldTotal
    },
  }
}
