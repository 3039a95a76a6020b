import { describe, expect, it } from 'vitest'
import { degradationLevels } from '../../../lib/internal'
import { computeTiers, createVolumeWindow, isShed, levelActions, tierOf } from '../../../lib/internal'

describe('load shedder', () => {
  const volumes = new Map(Array.from({ length: 150 }, (_, i) => [`S${String(i).padStart(3, '0')}`, 1000 - i]))
  const tiers = computeTiers(volumes)

  it('ranks symbols into tiers by trailing volume: top 20, top 100, the rest', () => {
    expect(tierOf(tiers, 'S000')).toBe(1)
    expect(tierOf(tiers, 'S019')).toBe(1)
    expect(tierOf(tiers, 'S020')).toBe(2)
    expect(tierOf(tiers, 'S099')).toBe(2)
    expect(tierOf(tiers, 'S100')).toBe(3)
    expect(tierOf(tiers, 'NEVERSEEN')).toBe(3)
    expect([...tiers.values()].filter((t) => t === 1)).toHaveLength(20)
  })

  it('breaks ties by symbol so tiers are deterministic', () => {
    const t = computeTiers(new Map([['B', 5], ['A', 5], ['C', 5]]), { tier1: 1, tier2: 2 })
    expect([...t.entries()]).toEqual([['A', 1], ['B', 2], ['C', 3]])
  })

  it.each([
    ['NORMAL', [false, false, false], false, true],
    ['SOFT', [false, false, false], false, false],
    ['GRACEFUL', [false, false, true], false, false],
    ['AGGRESSIVE', [false, true, true], false, false],
    ['CIRCUIT_BREAK', [false, true, true], true, false],
  ] as const)('%s: sheds tiers %j, pauses %s, backfills %s', (level, shed, pause, backfill) => {
    expect(['S000', 'S050', 'S120'].map((s) => isShed(level, tiers, s))).toEqual(shed)
    expect(levelActions[level].pause).toBe(pause)
    expect(levelActions[level].backfill).toBe(backfill)
  })

  it('never sheds tier 1, and batches only widen as levels rise', () => {
    for (const level of degradationLevels) expect(levelActions[level].shedTiers).not.toContain(1)
    const scales = degradationLevels.map((l) => levelActions[l].batchScale)
    expect([...scales].sort((a, b) => a - b)).toEqual(scales)
  })

  it('counts volume over a sliding window and forgets what slid out', () => {
    const w = createVolumeWindow(60_000, 6)
    w.record('BTC', 5, 0)
    w.record('BTC', 3, 15_000)
    w.record('ETH', 1, 55_000)
    expect(w.volumes(59_000)).toEqual(new Map([['BTC', 8], ['ETH', 1]]))
    // At 65 s the first 10 s bucket (0–10 s) has left the window.
    expect(w.volumes(65_000)).toEqual(new Map([['BTC', 3], ['ETH', 1]]))
    expect(w.volumes(200_000)).toEqual(new Map())
    // A bucket reused after the window wrapped starts from zero.
    w.record('BTC', 2, 200_000)
    expect(w.volumes(200_000)).toEqual(new Map([['BTC', 2]]))
  })
})
