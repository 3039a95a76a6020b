import { describe, expect, it } from 'vitest'
import type { Trade } from '../../../lib/internal'
import { createSinkSignals, type SinkSignals } from '../../../lib/internal'
import { beginFlush, endFlush, flushDue, noteConsumed, noteRead, recordCommit, resumeOffset, stageRecord, stageRows, type SinkStream } from '../../../lib/internal'
import { tradesStream } from './stream-fixtures'

const t0 = 1_800_000_000_000
const maxAgeMs = 30_000

interface Feed {
  /** Produce timestamp of each offset of partition 0. */
  readonly produced: number[]
  inputPerSecond: number
}

/**
 * One partition of a hot topic and the sink's stream of it, a second at a time: input arrives,
 * the sink reads up to `readPerSecond` of it, and the age trigger commits (the commit lands at once
 * unless `hold` keeps it in flight).
 */
function simulate(s: SinkStream<Trade>, feed: Feed, readPerSecond: number) {
  let now = t0
  return {
    get now() {
      return now
    },
    /** A second passes: the input arrives and the sink reads what it can, at `scale`. */
    read(scale = 1): void {
      now += 1000
      for (let i = 0; i < feed.inputPerSecond; i++) feed.produced.push(now - 1000 + (i * 1000) / feed.inputPerSecond)
      s.highWatermarks.set(0, BigInt(feed.produced.length))
      let at = resumeOffset(s, 0) ?? 0n
      for (let n = 0; n < readPerSecond && at < BigInt(feed.produced.length); n++, at++) {
        const producedMs = feed.produced[Number(at)]!
        noteRead(s, 0, at, producedMs)
        stageRecord(s, [], producedMs, undefined, { now: () => now, scale: () => scale })
        noteConsumed(s, 0, at)
      }
      stageRows(s)
    },
    /** The age loop: a batch `maxAgeMs × scale` old is committed; returns whether one was. */
    flushIfDue(scale = 1, hold = false): boolean {
      if (s.inFlight || !flushDue(s, now, maxAgeMs * scale)) return false
      const batch = beginFlush(s)!
      s.inFlight = Promise.resolve()
      if (!hold) this.land(batch.batchOffsets)
      return true
    },
    land(batchOffsets: ReadonlyMap<number, bigint>): void {
      recordCommit(s, s.loaded, batchOffsets, 0, 0)
      endFlush(s)
    },
    unread(): number {
      return feed.produced.length - Number(resumeOffset(s, 0) ?? 0n)
    },
  }
}

describe('sink signals: a healthy sink', () => {
  it('draws a sawtooth of lag: up to one commit cadence, back to none at each commit, with no backlog', async () => {
    const { s } = await tradesStream('trades', new Map([[0, 0n]]))
    const signals = createSinkSignals({ maxAgeMs, sinceMs: t0 })
    const sim = simulate(s, { produced: [], inputPerSecond: 200 }, 10_000)
    const samples: SinkSignals[] = []
    for (let second = 1; second <= 120; second++) {
      sim.read()
      sim.flushIfDue()
      samples.push(signals.sample([s], sim.now, 1))
    }
    const lag = samples.map((x) => x.lagCadences!)
    expect(Math.max(...lag)).toBeLessThanOrEqual(1)
    // Each commit takes the lag back to none, and each batch ages to about a cadence before it.
    const commits = lag.flatMap((v, i) => (v === 0 && i > 0 && lag[i - 1]! > 0 ? [i] : []))
    expect(commits.length).toBe(s.report.commits)
    expect(commits.length).toBeGreaterThanOrEqual(3)
    for (const i of commits) expect(lag[i - 1]).toBeGreaterThan(0.9)
    for (const x of samples) expect(x.backlogSeconds).toBe(0)
  })

  it('reports the slowest commit since the last sample once, as a contention sample', async () => {
    const { s } = await tradesStream('trades', new Map([[0, 0n]]))
    const signals = createSinkSignals({ maxAgeMs, sinceMs: t0 })
    for (const ms of [800, 2500, 1200]) signals.noteCommit(ms)
    expect(signals.sample([s], t0, 1).commitLatencyMs).toBe(2500)
    expect(signals.sample([s], t0 + 1000, 1)).not.toHaveProperty('commitLatencyMs')
  })

  it('leaves a deferred stream’s backlog out: it waits on purpose', async () => {
    const hot = (await tradesStream('trades', new Map([[0, 500n]]))).s
    hot.highWatermarks.set(0, 500n)
    const deferred = (await tradesStream('trades.deferred', new Map([[0, 0n]]), true)).s
    deferred.highWatermarks.set(0, 50_000n)
    deferred.lastReadMs.set(0, t0 - 600_000)
    const signals = createSinkSignals({ maxAgeMs, sinceMs: t0 - 3_600_000 })
    expect(signals.sample([hot, deferred], t0, 1)).toMatchObject({ lagCadences: 0, backlogRecords: 0, backlogSeconds: 0 })
  })
})

describe('sink signals: a restarted sink with a backlog', () => {
  it('drains the downtime’s backlog in seconds of the live input, and counts no lag from before its start', async () => {
    // Down for ten minutes while 100 records/s arrived; the table holds everything before.
    const downMs = 600_000
    const inputPerSecond = 100
    const produced = Array.from({ length: (downMs / 1000) * inputPerSecond }, (_, i) => t0 - downMs + (i * 1000) / inputPerSecond)
    const { s } = await tradesStream('trades', new Map([[0, 0n]]))
    const signals = createSinkSignals({ maxAgeMs, sinceMs: t0 })
    const sim = simulate(s, { produced, inputPerSecond }, 1000)
    const backlog: number[] = []
    for (let second = 1; sim.unread() > 0; second++) {
      sim.read()
      sim.flushIfDue()
      const x = signals.sample([s], sim.now, 1)
      backlog.push(x.backlogSeconds!)
      // Downtime is not lateness: the oldest record waits at most since the sink started.
      expect(x.lagSeconds).toBeLessThanOrEqual((sim.now - t0) / 1000)
      // Once the rate window has seen the live input, the backlog is in seconds of it, not of the history.
      if (second > 10 && sim.unread() > 0) expect(x.backlogSeconds).toBeCloseTo(sim.unread() / inputPerSecond, 6)
      if (second <= 29) expect(x.lagCadences).toBeLessThan(1)
    }
    // Drained, never growing.
    expect(backlog.length).toBeGreaterThan(30)
    for (let i = 1; i < backlog.length; i++) expect(backlog[i]).toBeLessThan(backlog[i - 1]!)
    expect(backlog.at(-1)).toBe(0)
  })
})

describe('sink signals: a batch widened at SOFT', () => {
  it('keeps the cadence it was widened to after the level is back at NORMAL, and the commit of it too', async () => {
    const { s } = await tradesStream('trades', new Map([[0, 0n]]))
    const signals = createSinkSignals({ maxAgeMs, sinceMs: t0 })
    const sim = simulate(s, { produced: [], inputPerSecond: 50 }, 10_000)
    const soft = 4
    // NORMAL for 10 s, then SOFT (batches ×4) for 30 s: the batch is not cut at 30 s.
    for (let second = 1; second <= 40; second++) {
      const scale = second > 10 ? soft : 1
      sim.read(scale)
      signals.sample([s], sim.now, scale)
      expect(sim.flushIfDue(scale)).toBe(false)
    }
    // Back at NORMAL: the 41 s old batch waited on purpose, so it is not late.
    sim.read(1)
    const ageMs = sim.now - t0
    const atNormal = signals.sample([s], sim.now, 1)
    expect(atNormal.lagSeconds).toBe(ageMs / 1000)
    expect(atNormal.lagCadences).toBeCloseTo(ageMs / (maxAgeMs * soft), 10)
    // It is cut now, and while its commit is in flight it keeps that cadence.
    expect(sim.flushIfDue(1, true)).toBe(true)
    const inFlight = signals.sample([s], sim.now + 3000, 1)
    expect(inFlight.lagCadences).toBeCloseTo((ageMs + 3000) / (maxAgeMs * soft), 10)
    sim.land(new Map(s.next))
    // The next batch opens at NORMAL: one cadence is the age trigger again.
    sim.read(1)
    sim.read(1)
    const next = signals.sample([s], sim.now, 1)
    expect(next.lagCadences).toBeCloseTo(2000 / maxAgeMs, 10)
  })
})
