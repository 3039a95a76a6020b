import { describe, expect, it } from 'vitest'
import { degradationLevels } from '../../../lib/internal'
import { computeTiers } from '../../../lib/internal'
import { ingestSignals, shedTierOf } from '../../../lib/internal'

describe('the ingest signals its degradation manager decides on', () => {
  const own = { heapUsedRatio: 0.4, eventLoopDelayMs: 12 }

  it('reports the worst produce latency of the period in milliseconds, beside the process signals', () => {
    expect(ingestSignals(0.25, own)).toEqual({ heapUsedRatio: 0.4, eventLoopDelayMs: 12, produceLatencyMs: 250 })
  })

  it('leaves the feed delay out until the loop utilisation is known (the warm-up)', () => {
    const asked: number[] = []
    const signals = ingestSignals(0, own, (u) => (asked.push(u), 3))
    expect(signals).not.toHaveProperty('feedDelaySeconds')
    expect(asked).toEqual([])
  })

  it('asks the feed delay for the loop utilisation measured, and reports it', () => {
    const asked: number[] = []
    const signals = ingestSignals(0, { ...own, feedLoopUtilization: 0.97 }, (u) => (asked.push(u), 3.5))
    expect(asked).toEqual([0.97])
    expect(signals).toMatchObject({ feedLoopUtilization: 0.97, feedDelaySeconds: 3.5 })
  })

  it('leaves the feed delay out when it cannot be measured (no exchange clock, or none yet)', () => {
    expect(ingestSignals(0, { ...own, feedLoopUtilization: 0.97 })).not.toHaveProperty('feedDelaySeconds')
    expect(ingestSignals(0, { ...own, feedLoopUtilization: 0.97 }, () => undefined)).not.toHaveProperty('feedDelaySeconds')
  })

  it('reports a measured delay of 0 (an idle loop is not behind)', () => {
    expect(ingestSignals(0, { ...own, feedLoopUtilization: 0.2 }, () => 0)).toHaveProperty('feedDelaySeconds', 0)
  })
})

describe('where a record goes at a level', () => {
  // S000 busiest … S149 quietest: tiers 1 (top 20), 2 (top 100), 3 (the rest).
  const tiers = computeTiers(new Map(Array.from({ length: 150 }, (_, i) => [`S${String(i).padStart(3, '0')}`, 1000 - i])))
  const symbols = ['S000', 'S050', 'S120', 'NEVERSEEN']

  it.each([
    { level: 'NORMAL', deferred: [undefined, undefined, undefined, undefined] },
    { level: 'SOFT', deferred: [undefined, undefined, undefined, undefined] },
    { level: 'GRACEFUL', deferred: [undefined, undefined, 3, 3] },
    { level: 'AGGRESSIVE', deferred: [undefined, 2, 3, 3] },
    { level: 'CIRCUIT_BREAK', deferred: [undefined, 2, 3, 3] },
  ] as const)('$level defers tiers $deferred', ({ level, deferred }) => {
    expect(symbols.map((s) => shedTierOf(level, tiers, s, 'market.trades.deferred'))).toEqual(deferred)
  })

  it('defers nothing without a deferred topic for the stream, or without degradation', () => {
    for (const level of degradationLevels) expect(symbols.map((s) => shedTierOf(level, tiers, s, undefined))).toEqual([undefined, undefined, undefined, undefined])
    expect(symbols.map((s) => shedTierOf(undefined, tiers, s, 'market.trades.deferred'))).toEqual([undefined, undefined, undefined, undefined])
  })
})
