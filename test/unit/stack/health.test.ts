import { describe, expect, it } from 'vitest'
import { healthVerdict } from '../../../stack/lib/health'

const healthy = {
  workers: { 'replay-exchange': 'up', ingest: 'up', 'iceberg-sink': 'up', maintenance: 'up', api: 'up' },
  levels: { ingest: 0, 'iceberg-sink': 0 },
  lakeLagSeconds: { trades: 33.5, quotes: 12 },
  commitIntervalSeconds: 30,
}

describe('stack health, as the story checks it', () => {
  it('holds for every worker up, the lake lag within the commit interval + 10 s and both levels NORMAL', () => {
    const v = healthVerdict(healthy)
    expect(v.ok).toBe(true)
    expect(v.checks).toHaveLength(5 + 2 + 2)
  })

  it.each([
    ['a worker down (the executed story once showed "api down")', { ...healthy, workers: { ...healthy.workers, api: 'down' } }, /api running: down/],
    ['a lake lag of 336 s (the sink committed nothing)', { ...healthy, lakeLagSeconds: { trades: 336, quotes: 3 } }, /lake lag of trades: 336.0 s \(expected ≤ 40 s/],
    ['the ingest at SOFT', { ...healthy, levels: { ...healthy.levels, ingest: 1 } }, /ingest degradation level: SOFT/],
    ['a sink that does not report its level', { ...healthy, levels: { ...healthy.levels, 'iceberg-sink': undefined } }, /iceberg-sink degradation level: not reported/],
    ['no lake lag reported at all', { ...healthy, lakeLagSeconds: {} }, /lake lag: not reported/],
  ] as const)('fails on %s, and says why', (_name, inputs, problem) => {
    const v = healthVerdict(inputs)
    expect(v.ok).toBe(false)
    expect(v.problems.join('\n')).toMatch(problem)
  })
})
