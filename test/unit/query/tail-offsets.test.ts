import { describe, expect, it } from 'vitest'
import { OffsetList } from '../../../lib/internal'

describe('the tail\'s offsets kept per partition', () => {
  it('counts the offsets kept in [from, to), through growth and trims, as a plain list would', () => {
    const list = new OffsetList()
    const plain: number[] = []
    // Gaps where records were skipped or were transaction markers; more than one growth step.
    for (let o = 0; o < 5000; o += 1 + (o % 3)) {
      list.push(o)
      plain.push(o)
    }
    const count = (from: number, to: number): number => plain.filter((o) => o >= from && o < to).length
    for (const [from, to] of [[0, 5000], [10, 11], [11, 10], [100, 2500], [4990, 6000]] as const) expect(list.countBetween(from, to)).toBe(count(from, to))
    list.dropBelow(2000)
    const kept = plain.filter((o) => o >= 2000)
    expect(list.countBetween(0, 10_000)).toBe(kept.length)
    for (let o = 5000; o < 9000; o += 2) {
      list.push(o)
      kept.push(o)
    }
    expect(list.countBetween(0, 10_000)).toBe(kept.length)
    expect(list.countBetween(1999, 2001)).toBe(kept.filter((o) => o < 2001).length)
  })
})
