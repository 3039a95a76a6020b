import { describe, expect, it } from 'vitest'
import { judgeKneeStep, kneeOf, nextKneeRate, type KneeStep } from '../../../bench/soak/knee-search'
import type { SoakSample } from '../../../bench/soak/soak-sample'

const options = { startRate: 2, maxRate: 64, minRate: 0.25, resolution: 1.25, maxSteps: 10 }
const step = (rate: number, passed: boolean, cpu: Record<string, number> = {}): KneeStep => ({ rate, passed, reason: '', recordsPerSecond: rate * 2600, cpu })

/** Runs the search against a stack that keeps up to `capacity`. */
function search(capacity: number, o = options): number[] {
  const steps: KneeStep[] = []
  for (let r = nextKneeRate(steps, o); r !== undefined; r = nextKneeRate(steps, o)) steps.push(step(r, r <= capacity))
  return steps.map((s) => s.rate)
}

describe('nextKneeRate', () => {
  it('doubles until a rate fails, then narrows between the best pass and the lowest failure', () => {
    expect(search(7)).toEqual([2, 4, 8, 5.7, 6.8])
  })
  it('halves from the start when even the start rate fails', () => {
    expect(search(0.6)).toEqual([2, 1, 0.5, 0.71, 0.6])
  })
  it('stops at the maximum rate when everything keeps up', () => {
    expect(search(1000)).toEqual([2, 4, 8, 16, 32, 64])
  })
  it('stops at the step budget', () => {
    expect(search(7, { ...options, maxSteps: 3 })).toEqual([2, 4, 8])
  })
})

describe('kneeOf', () => {
  it('is the best pass below the lowest failure, with the busiest process where it failed as the bottleneck', () => {
    const knee = kneeOf([step(2, true), step(4, true, { 'iceberg-sink': 0.6 }), step(8, false, { 'iceberg-sink': 0.97, kafka: 0.5, api: 0.4 }), step(5.7, true)])
    expect(knee).toEqual({ rate: 5.7, recordsPerSecond: 5.7 * 2600, bottleneck: 'iceberg-sink', bottleneckCoreShare: 0.97, busyCores: 1.87, saturated: false })
  })
  it('names the machine when the processes together kept nearly every core busy, with the busiest listed', () => {
    const cpu = { ingest: 0.59, api: 0.39, 'iceberg-sink': 0.32, maintenance: 0.22, kafka: 0.3, minio: 0.11 }
    const knee = kneeOf([step(8, true), step(11, false, cpu), step(9.4, true)], 2)
    expect(knee.saturated).toBe(true)
    expect(knee.bottleneck).toBe("the machine's 2 cores (1.93 busy at rate 11; most: ingest 0.59, api 0.39, iceberg-sink 0.32)")
    // The same step on a machine with twice the cores: the busiest process is named.
    expect(kneeOf([step(8, true), step(11, false, cpu), step(9.4, true)], 4)).toMatchObject({ saturated: false, bottleneck: 'ingest' })
  })
  it('has no rate when nothing kept up', () => {
    expect(kneeOf([step(2, false, { ingest: 1 })]).rate).toBeNull()
  })
})

describe('judgeKneeStep', () => {
  const s = (t: number, lag: number, shed = 0): SoakSample => ({ t, at: t * 1000, phase: 'step', rate: 4, level: {}, signals: {}, lakeLagSeconds: lag, counters: { shed, feedPauses: 0 }, api: { requests: 0, errors: 0 }, kernel: { cells: 0, errors: 0 }, processes: {} })
  const bound = { lagBoundSeconds: 40, commitIntervalSeconds: 30 }
  it('passes a commit sawtooth within the bound', () => {
    expect(judgeKneeStep(Array.from({ length: 36 }, (_, i) => s(i * 5, (i * 5) % 30)), bound).passed).toBe(true)
  })
  it('fails a lag that keeps growing', () => {
    expect(judgeKneeStep(Array.from({ length: 36 }, (_, i) => s(i * 5, i * 2)), bound)).toMatchObject({ passed: false, reason: expect.stringContaining('lake lag') })
  })
  it('fails when anything was shed in the judged half, even with the lag in bounds', () => {
    expect(judgeKneeStep(Array.from({ length: 36 }, (_, i) => s(i * 5, 10, i > 30 ? 100 : 0)), bound)).toMatchObject({ passed: false, reason: '100 records shed' })
  })
  it('forgives what the previous rate left in the first half (a backlog draining)', () => {
    expect(judgeKneeStep(Array.from({ length: 36 }, (_, i) => s(i * 5, i < 10 ? 90 : 15)), bound).passed).toBe(true)
  })
  it('fails a step whose market slowed down to the ingest: the replay exchange fell behind its schedule, lake lag and shedding look fine', () => {
    const slowed = Array.from({ length: 36 }, (_, i) => ({ ...s(i * 5, (i * 5) % 30), feedLagSeconds: i * 1.5 }))
    expect(judgeKneeStep(slowed, bound)).toMatchObject({ passed: false, reason: expect.stringContaining('behind its schedule') })
    // A second's lateness now and then (a GC pause, a reconnect) is keeping up.
    const jitter = Array.from({ length: 36 }, (_, i) => ({ ...s(i * 5, (i * 5) % 30), feedLagSeconds: i % 7 === 0 ? 1.2 : 0 }))
    expect(judgeKneeStep(jitter, bound).passed).toBe(true)
  })
  it('bounds the lag by the cadence in effect: a sink at SOFT commits every 60 s and keeps up, one whose lag outgrows it does not', () => {
    // The sink's signals as it exports them: its lag in cadences of 60 s (the lag in seconds is the sample's lake lag).
    const soft = (t: number, lag: number): SoakSample => ({ ...s(t, lag), signals: { 'iceberg-sink': { lagCadences: lag / 60 } } })
    expect(judgeKneeStep(Array.from({ length: 36 }, (_, i) => soft(i * 5, ((i * 5) % 60) + 3)), bound)).toMatchObject({ passed: true, reason: expect.stringContaining('cadence of up to 60 s') })
    expect(judgeKneeStep(Array.from({ length: 36 }, (_, i) => soft(i * 5, 60 + i * 3)), bound)).toMatchObject({ passed: false, reason: expect.stringContaining('above the commit cadence') })
    // Without the sink's signals, the configured interval is the cadence.
    expect(judgeKneeStep(Array.from({ length: 36 }, (_, i) => s(i * 5, ((i * 5) % 60) + 3)), bound).passed).toBe(false)
  })

  it('does not judge a step too short to tell', () => {
    expect(judgeKneeStep([s(0, 1), s(5, 1)], bound).passed).toBe(false)
  })
})
