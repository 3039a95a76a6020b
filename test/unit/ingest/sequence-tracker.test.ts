import { describe, expect, it } from 'vitest'
import { createSequenceTracker, type TradeGap } from '../../../lib/internal'

/** Feeds ids (as arrivals at 1 ms steps), repairing every due gap from `history`, and returns the released ids. */
function run(arrivals: number[], options = { reorderWindowMs: 5, maxPendingPerSymbol: 100 }, history: (gap: TradeGap) => number[] = (g) => range(g.from, g.to)) {
  const t = createSequenceTracker<number>(options)
  const released: number[] = []
  const gaps: TradeGap[] = []
  let now = 0
  const repair = (): void => {
    for (const gap of t.dueGaps(now)) {
      gaps.push(gap)
      released.push(...t.fill(gap, history(gap).map((id) => ({ id: BigInt(id), record: id }))).released)
    }
  }
  for (const id of arrivals) {
    released.push(...t.offer('BTCUSDT', BigInt(id), id, now))
    now += 1
    repair()
  }
  now += 1000
  repair()
  return { released, gaps: gaps.map((g) => [Number(g.from), Number(g.to)]), counters: t.counters, held: t.held() }
}
const range = (from: bigint, to: bigint): number[] => Array.from({ length: Number(to - from + 1n) }, (_, i) => Number(from) + i)

describe('sequence tracker', () => {
  it.each([
    { name: 'in order', arrivals: [10, 11, 12, 13], released: [10, 11, 12, 13], gaps: [], duplicates: 0, outOfOrder: 0 },
    { name: 'exact duplicate dropped', arrivals: [10, 11, 11, 12], released: [10, 11, 12], gaps: [], duplicates: 1, outOfOrder: 0 },
    { name: 'old duplicate dropped', arrivals: [10, 11, 12, 10], released: [10, 11, 12], gaps: [], duplicates: 1, outOfOrder: 1 },
    { name: 'swap absorbed without REST', arrivals: [10, 12, 11, 13], released: [10, 11, 12, 13], gaps: [], duplicates: 0, outOfOrder: 1 },
    { name: 'held duplicate dropped', arrivals: [10, 12, 12, 11], released: [10, 11, 12], gaps: [], duplicates: 1, outOfOrder: 1 },
    { name: 'missing id repaired after the window', arrivals: [10, 12, 13, 14, 15, 16, 17, 18], released: [10, 11, 12, 13, 14, 15, 16, 17, 18], gaps: [[11, 11]], duplicates: 0, outOfOrder: 0 },
    { name: 'late arrival after repair is a duplicate', arrivals: [10, 12, 13, 14, 15, 16, 17, 11], released: [10, 11, 12, 13, 14, 15, 16, 17], gaps: [[11, 11]], duplicates: 1, outOfOrder: 1 },
    { name: 'jump after a reconnect repaired in one range', arrivals: [10, 11, 500], released: range(10n, 500n), gaps: [[12, 499]], duplicates: 0, outOfOrder: 0 },
  ])('$name', ({ arrivals, released, gaps, duplicates, outOfOrder }) => {
    const r = run(arrivals)
    expect(r.released).toEqual(released)
    expect(r.gaps).toEqual(gaps)
    expect(r.counters.duplicates).toBe(duplicates)
    expect(r.counters.outOfOrder).toBe(outOfOrder)
    expect(r.held).toBe(0)
  })

  it('keeps each symbol apart', () => {
    const t = createSequenceTracker<string>({ reorderWindowMs: 5, maxPendingPerSymbol: 10 })
    expect(t.offer('A', 1n, 'a1', 0)).toEqual(['a1'])
    expect(t.offer('B', 100n, 'b100', 0)).toEqual(['b100'])
    expect(t.offer('A', 3n, 'a3', 0)).toEqual([])
    expect(t.offer('B', 101n, 'b101', 0)).toEqual(['b101'])
    expect(t.dueGaps(10)).toEqual([{ symbol: 'A', from: 2n, to: 2n }])
  })

  it('reports a gap once while it is being repaired', () => {
    const t = createSequenceTracker<number>({ reorderWindowMs: 5, maxPendingPerSymbol: 10 })
    t.offer('A', 1n, 1, 0)
    t.offer('A', 3n, 3, 0)
    expect(t.dueGaps(10)).toHaveLength(1)
    t.offer('A', 4n, 4, 11)
    expect(t.dueGaps(20)).toEqual([])
  })

  it('stays bounded when a symbol runs far ahead, and still releases every id once', () => {
    const arrivals = [1, ...range(3n, 5000n)]
    const r = run(arrivals, { reorderWindowMs: 1_000_000, maxPendingPerSymbol: 50 })
    expect(r.released).toEqual(range(1n, 5000n))
    expect(r.counters.evicted).toBeGreaterThan(0)
    expect(r.held).toBe(0)
  })

  it('never holds more than the cap per symbol', () => {
    const t = createSequenceTracker<number>({ reorderWindowMs: 1_000_000, maxPendingPerSymbol: 20 })
    t.offer('A', 1n, 1, 0)
    for (let id = 3; id < 10_000; id++) t.offer('A', BigInt(id), id, 0)
    expect(t.held()).toBeLessThanOrEqual(20)
  })

  it('counts ids the source cannot supply and moves on', () => {
    const r = run([10, 13, 14, 15, 16, 17, 18], undefined, (g) => range(g.from, g.to).filter((id) => id !== 12))
    expect(r.released).toEqual([10, 11, 13, 14, 15, 16, 17, 18])
  })

  it('releases a random shuffle of a contiguous run exactly once, in order', () => {
    let seed = 7
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    for (let round = 0; round < 20; round++) {
      const ids = range(1000n, 1999n)
      // Local shuffles (reorders within a few places), duplicates and drops.
      const arrivals: number[] = []
      for (const id of ids) {
        const roll = random()
        if (roll < 0.05) continue // dropped: must be repaired
        arrivals.push(id)
        if (roll > 0.95) arrivals.push(id) // duplicated
      }
      for (let i = 0; i < arrivals.length - 1; i++) {
        if (random() < 0.1) [arrivals[i], arrivals[i + 1]] = [arrivals[i + 1]!, arrivals[i]!]
      }
      if (arrivals[0] !== 1000) arrivals.unshift(1000)
      // A trade missing at the very end is unknowable until a later one arrives, as live.
      arrivals.push(2000)
      const r = run(arrivals)
      expect(r.released).toEqual([...ids, 2000])
    }
  })
})

describe('sequence tracker resumed from a checkpoint', () => {
  it('repairs from the checkpoint to the first live trade, and drops what was already produced', () => {
    const t = createSequenceTracker<number>({ reorderWindowMs: 5, maxPendingPerSymbol: 100 })
    t.seed('A', 100n)
    expect(t.offer('A', 100n, 100, 0)).toEqual([]) // produced before the restart
    expect(t.offer('A', 105n, 105, 0)).toEqual([])
    expect(t.dueGaps(10)).toEqual([{ symbol: 'A', from: 101n, to: 104n }])
    expect(t.fill({ symbol: 'A', from: 101n, to: 104n }, [101, 102, 103, 104].map((id) => ({ id: BigInt(id), record: id }))).released).toEqual([101, 102, 103, 104, 105])
  })

  it('does not move a symbol that is already running', () => {
    const t = createSequenceTracker<number>({ reorderWindowMs: 5, maxPendingPerSymbol: 100 })
    t.offer('A', 7n, 7, 0)
    t.seed('A', 2n)
    expect(t.expected('A')).toBe(8n)
  })
})
