import { describe, expect, it } from 'vitest'
import { backlogSeconds, createRateTracker, decodeProgress, encodeProgress, progressSignals, type PartitionView } from '../../../lib/internal'

const now = 1_800_000_000_000

describe('sink progress', () => {
  it('round-trips through the offset-commit metadata string, and ignores anything else', () => {
    const p = { read: 12_345_678_901n, oldestMs: now - 31_000, cadenceMs: 120_000, atMs: now }
    const text = encodeProgress(p)
    expect(text.length).toBeLessThan(200)
    expect(decodeProgress(text)).toEqual(p)
    expect(decodeProgress(encodeProgress({ read: 5n, cadenceMs: 30_000, atMs: now }))).toEqual({ read: 5n, cadenceMs: 30_000, atMs: now })
    for (const other of [null, undefined, '', 'consumer-x', 'k2p1 r=1', 'k2p1 r=x o=- c=1 a=1', 'k2p2 r=1 o=- c=1 a=1']) expect(decodeProgress(other)).toBeUndefined()
  })

  it('takes the lake lag from the oldest waiting record, in cadences of the batch it waits for', () => {
    const views: PartitionView[] = [
      // Caught up: no lag.
      { committed: 100n, end: 100n, progress: { read: 100n, cadenceMs: 30_000, atMs: now } },
      // A record of 33 s ago waits for a normal 30 s batch.
      { committed: 100n, end: 900n, progress: { read: 900n, oldestMs: now - 33_000, cadenceMs: 30_000, atMs: now } },
      // A record of 100 s ago waits for a batch widened ×4 (120 s): not late.
      { committed: 50n, end: 700n, progress: { read: 690n, oldestMs: now - 100_000, cadenceMs: 120_000, atMs: now } },
    ]
    const s = progressSignals(views, now, 10_000)
    expect(s.lagSeconds).toBe(100)
    expect(s.lagCadences).toBeCloseTo(1.1, 10)
    expect(s.backlogRecords).toBe(10)
  })

  it('counts records newer than a caught-up report as at most that old', () => {
    const s = progressSignals([{ committed: 10n, end: 20n, progress: { read: 10n, cadenceMs: 30_000, atMs: now - 2000 } }], now, 10_000)
    expect(s).toEqual({ lagSeconds: 2, lagCadences: 2000 / 30_000, backlogRecords: 10 })
  })

  it('says nothing of the backlog when a partition with records has no fresh progress (a stopped sink), but keeps the lag', () => {
    const stale = progressSignals([{ committed: 10n, end: 5000n, progress: { read: 4000n, oldestMs: now - 300_000, cadenceMs: 30_000, atMs: now - 60_000 } }], now, 10_000)
    expect(stale.backlogRecords).toBeUndefined()
    expect(stale.lagCadences).toBe(10)
    const none = progressSignals([{ committed: 10n, end: 5000n }], now, 10_000)
    expect(none).toEqual({})
    // A caught-up partition needs no progress.
    expect(progressSignals([{ committed: 10n, end: 10n }], now, 10_000)).toEqual({ lagSeconds: 0, lagCadences: 0, backlogRecords: 0 })
  })

  it('measures the input rate over a window, and backlog in seconds of it, with a floor for an idle feed', () => {
    const r = createRateTracker(10_000)
    expect(r.perSecond()).toBeUndefined()
    for (let t = 0; t <= 30; t++) r.push(t * 1000, t < 15 ? t * 1000 : 15_000 + (t - 15) * 3000)
    expect(r.perSecond()).toBeCloseTo(3000, 5)
    expect(backlogSeconds(6000, 3000)).toBe(2)
    expect(backlogSeconds(3, 0.5)).toBeCloseTo(0.03, 10)
    expect(backlogSeconds(undefined, 3000)).toBeUndefined()
  })
})

describe('sink progress seen from the ingest', () => {
  it('does not count records that arrived after the report as unread', () => {
    // The sink read up to the end 1.5 s ago; 3,000 records/s have arrived since: no backlog.
    const views: PartitionView[] = [
      { committed: 0n, end: 2250n, progress: { read: 0n, cadenceMs: 30_000, atMs: now - 1500 } },
      { committed: 0n, end: 2250n, progress: { read: 0n, cadenceMs: 30_000, atMs: now - 1500 } },
    ]
    expect(progressSignals(views, now, 10_000, 3000).backlogRecords).toBe(0)
    // A reader that stopped 1.5 s ago with 9,000 records unread is still 9,000 behind.
    const behind = views.map((v) => ({ ...v, end: v.end + 4500n }))
    expect(progressSignals(behind, now, 10_000, 3000).backlogRecords).toBe(9000)
  })
})
