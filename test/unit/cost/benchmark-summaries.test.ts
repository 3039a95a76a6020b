import { describe, expect, it } from 'vitest'
import {
  compareScalesWithSeed,
  costModelReport,
  estimateAtScales,
  figuresFromBenchmarks,
  isWorkbenchError,
  largeScaleTargetPerMillion,
  machineCeiling,
  peersLatency,
  peerSystems,
  projectRoot,
  queryBenchmarkSummary,
  readBenchmarkIndex,
  readBenchmarkResults,
  readPeerSystems,
  readQueryBenchmark,
  readUnitPrices,
  type BenchmarkIndex,
} from '../../../lib/internal'
import { edited, readProjectJson, thrownBy } from '../../support/cost-inputs'

describe('the committed benchmarks as the notebooks read them', () => {
  const index = readBenchmarkIndex(projectRoot)

  it('reads the query benchmark the index names, every query with its p50 ≤ p95 ≤ p99', () => {
    const q = readQueryBenchmark(projectRoot)
    expect(q.queries.length).toBeGreaterThan(3)
    expect(q.lakeTrades).toBeGreaterThan(1_000_000)
    for (const { ms } of q.queries) expect(ms.p50 <= ms.p95 && ms.p95 <= ms.p99).toBe(true)
  })

  it('says which key of a malformed query benchmark is wrong', () => {
    const bad = edited(readBenchmarkResults(projectRoot).query, (q) => delete q.queries[1].ms.p99)
    const err = thrownBy(() => queryBenchmarkSummary(bad))
    expect(isWorkbenchError(err, 'CONFIG_INVALID')).toBe(true)
    expect((err as Error).message).toBe('the query benchmark: queries[1].ms.p99 must be a number ≥ 0, got nothing (the key is missing)')
  })

  it('gives the single-machine ceiling from the headline', () => {
    const c = machineCeiling(index)
    expect(c.liveCommittedTradesPerSecond).toBeGreaterThan(0)
    expect(c.machine.cores).toBeGreaterThan(0)
  })

  it('gives the peers per query and system, null where a system could not answer, and nothing before bench:peers ran', () => {
    const peers = peersLatency(index)!
    expect(peers.systems).toContain('k2')
    for (const q of peers.queries) for (const s of peers.systems) expect(q.p99Ms[s] === null || typeof q.p99Ms[s] === 'number').toBe(true)
    const { peers: _peers, ...withoutPeers } = index
    expect(peersLatency(withoutPeers as BenchmarkIndex)).toBeUndefined()
    const unanswered = edited(index, (i) => (i.peers.queries[0].p50Ms.questdb = null)) as BenchmarkIndex
    expect(peersLatency(unanswered)!.queries[0]!.p50Ms.questdb).toBeNull()
  })

  it("reads the peers' systems, keeping a figure that does not apply as null", () => {
    const systems = readPeerSystems(projectRoot, index)!
    expect(systems.map((s) => s.system)).toContain('k2')
    const bad = edited(readProjectJson('docs/bench/peers.json'), (p) => (p.systems[0].exactDecimals = 'yes'))
    expect((thrownBy(() => peerSystems(bad)) as Error).message).toMatch(/systems\[0\]\.exactDecimals must be true or false/)
    const floor = edited(readProjectJson('docs/bench/peers.json'), (p) => (p.systems[0].loadSeconds = null))
    expect(peerSystems(floor)[0]!.loadSeconds).toBeNull()
    expect(readPeerSystems('/nonexistent', { ...index, peersSource: 'docs/bench/peers.json' })).toBeUndefined()
  })
})

describe('the cost model at three scales, as the notebooks and the cost document show it', () => {
  const prices = readUnitPrices(projectRoot)
  const results = readBenchmarkResults(projectRoot)
  const figures = figuresFromBenchmarks(results)

  it('estimates and compares with the seeds exactly as docs/cost-model.md does', () => {
    const report = costModelReport({ prices, figures, benchmarkFiles: results.files, largeTargetPerMillion: largeScaleTargetPerMillion })
    expect(estimateAtScales(prices, figures)).toEqual(report.estimates)
    expect(compareScalesWithSeed(report.estimates, figures)).toEqual(report.seedComparison)
    expect(largeScaleTargetPerMillion).toBe(0.05)
  })
})
