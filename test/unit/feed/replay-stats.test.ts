import { describe, expect, it } from 'vitest'
import { malformedKinds } from '../../../lib/internal'
import { createReplayCounters, replayStats } from '../../../lib/internal'

describe('replay exchange stats', () => {
  it('reports a snapshot: counting on afterwards does not change a snapshot already taken', () => {
    const counters = createReplayCounters()
    counters.events = 10
    counters.malformedByKind.oversize = 2
    const before = replayStats(counters, { connectionsOpen: 1, marketTimeMicros: undefined, tapeEnded: false, scheduleLagMs: 0 })
    counters.events++
    counters.malformedByKind.oversize++
    expect(before.events).toBe(10)
    expect(before.faults.malformedByKind.oversize).toBe(2)
  })

  it('counts every malformed kind from zero, and gives the market time in whole ms', () => {
    const stats = replayStats(createReplayCounters(), { connectionsOpen: 0, marketTimeMicros: 1_760_000_000_123_999, tapeEnded: true, scheduleLagMs: 12 })
    expect(Object.keys(stats.faults.malformedByKind)).toEqual([...malformedKinds])
    expect(Object.values(stats.faults.malformedByKind).every((n) => n === 0)).toBe(true)
    expect(stats.marketTimeMs).toBe(1_760_000_000_123)
    expect(stats).toMatchObject({ tapeEnded: true, scheduleLagMs: 12, connectionsOpen: 0 })
    expect(replayStats(createReplayCounters(), { connectionsOpen: 0, marketTimeMicros: undefined, tapeEnded: false, scheduleLagMs: 0 }).marketTimeMs).toBeUndefined()
  })
})
