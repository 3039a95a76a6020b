import { describe, expect, it } from 'vitest'
import { createSyntheticMarket } from '../../../lib/internal'
import { createActionSchedule } from '../../../lib/internal'
import { prng } from '../../support/prng'

/** Plays a schedule: takes the first symbol, moves its next action on by a random step, `steps` times. */
function play(count: number, seed: number, steps: number): Array<{ i: number; t: number }> {
  const random = prng(seed)
  const schedule = createActionSchedule(count, () => random() * 10)
  const order: Array<{ i: number; t: number }> = []
  for (let n = 0; n < steps; n++) {
    const i = schedule.first()
    const t = schedule.at(i)
    order.push({ i, t })
    schedule.rescheduleFirst(t + random() * 10)
  }
  return order
}

describe('synthetic action schedule', () => {
  it.each([1, 2, 7, 160, 2000])('always picks the symbol whose action comes first, of %d', (count) => {
    const random = prng(count)
    const times = Array.from({ length: count }, () => random())
    const schedule = createActionSchedule(count, (i) => times[i]!)
    expect(schedule.at(schedule.first())).toBe(Math.min(...times))
  })

  it('plays actions in time order as symbols are rescheduled', () => {
    const order = play(50, 3, 5_000)
    for (let n = 1; n < order.length; n++) expect(order[n]!.t).toBeGreaterThanOrEqual(order[n - 1]!.t)
    expect(new Set(order.map((o) => o.i)).size).toBe(50)
  })

  it('reorders every symbol when all are rescheduled, asking for their times in index order', () => {
    const schedule = createActionSchedule(5, (i) => i)
    expect(schedule.first()).toBe(0)
    const asked: number[] = []
    schedule.rescheduleAll((i) => {
      asked.push(i)
      return 10 - i
    })
    expect(asked).toEqual([0, 1, 2, 3, 4])
    expect(schedule.first()).toBe(4)
    expect(schedule.at(4)).toBe(6)
  })

  it('keeps the market tape in time order across market-wide regime switches (which reschedule every symbol)', () => {
    // Low activity and a long tape: many stress switches happen within it.
    const market = createSyntheticMarket({ seed: 12, symbols: 5, actionsPerSecond: 0.05, takerShare: 0.5 })
    let last = 0
    let back = 0
    for (let n = 0; n < 20_000; n++) {
      const t = market.next().timeMicros
      if (t < last) back++
      last = t
    }
    expect(back).toBe(0)
  })
})
