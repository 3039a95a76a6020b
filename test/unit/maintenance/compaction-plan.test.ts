import { describe, expect, it } from 'vitest'
import { planCompaction, snapshotsToExpire, type CompactionCandidate } from '../../../lib/internal'

const hour = 3_600_000_000n
const t0 = BigInt(Date.UTC(2026, 10, 22)) * 1000n
const MiB = 2 ** 20

function file(name: string, opts: { hourIndex?: number; minute?: number; sizeMiB?: number; partition?: unknown[] } = {}): CompactionCandidate {
  return {
    path: name,
    specId: 0,
    partition: (opts.partition ?? [20414, 3]) as CompactionCandidate['partition'],
    sizeBytes: (opts.sizeMiB ?? 1) * MiB,
    records: 1000,
    minTimeMicros: opts.hourIndex === undefined ? undefined : t0 + BigInt(opts.hourIndex) * hour + BigInt(opts.minute ?? 0) * 60_000_000n,
  }
}

const policy = { targetFileBytes: 128 * MiB, nowMicros: t0 + 5n * hour + 30n * 60_000_000n }

describe('planCompaction', () => {
  it.each([
    { name: 'two small files of a closed hour merge', files: [file('a', { hourIndex: 1 }), file('b', { hourIndex: 1, minute: 30 })], groups: [['a', 'b']] },
    { name: 'one file alone is left', files: [file('a', { hourIndex: 1 })], groups: [] },
    { name: 'hours are kept apart', files: [file('a', { hourIndex: 1 }), file('b', { hourIndex: 2 }), file('c', { hourIndex: 2, minute: 5 })], groups: [['b', 'c']] },
    { name: 'partitions are kept apart', files: [file('a', { hourIndex: 1 }), file('b', { hourIndex: 1, partition: [20414, 4] })], groups: [] },
    { name: 'files near the target size stay', files: [file('a', { hourIndex: 1, sizeMiB: 100 }), file('b', { hourIndex: 1 }), file('c', { hourIndex: 1 })], groups: [['b', 'c']] },
    { name: 'the open hour waits for many small files', files: [file('a', { hourIndex: 5 }), file('b', { hourIndex: 5, minute: 10 })], groups: [] },
    { name: 'the previous hour, ended half an hour ago, is closed', files: [file('a', { hourIndex: 4 }), file('b', { hourIndex: 4, minute: 59 })], groups: [['a', 'b']] },
    { name: 'files without time bounds group together but never count as closed', files: [file('a'), file('b')], groups: [] },
  ])('$name', ({ files, groups }) => {
    expect(planCompaction(files, policy).map((g) => g.files.map((f) => f.path))).toEqual(groups)
  })

  it('leaves the open hour\'s merged file alone as small files gather again, and merges everything once the hour closes', () => {
    const sink = (n: number, hourIndex: number): CompactionCandidate[] => Array.from({ length: n }, (_, i) => file(`s${i}`, { hourIndex, minute: 20 + i, sizeMiB: 0.25 + (i % 3) * 0.05 }))
    const merged = file('m1', { hourIndex: 5, sizeMiB: 4 })
    // Open hour: one earlier merge plus 16 new sink files: only the 16 are merged.
    const open = planCompaction([merged, ...sink(16, 5)], policy)
    expect(open.map((g) => g.files.map((f) => f.path).sort())).toEqual([sink(16, 5).map((f) => f.path).sort()])
    // With 15 new files it still waits, whatever the merged file adds to the count.
    expect(planCompaction([merged, ...sink(15, 5)], policy)).toEqual([])
    // Closed hour: the merges and the stragglers become one file.
    const closed = planCompaction([merged, file('m2', { hourIndex: 4, sizeMiB: 4 }), file('m3', { hourIndex: 4, sizeMiB: 4 }), ...sink(3, 4)], policy)
    expect(closed.map((g) => g.files.length)).toEqual([5])
  })

  it('keeps an hour open for two minutes after it ends, for late records', () => {
    const files = [file('a', { hourIndex: 4 }), file('b', { hourIndex: 4, minute: 59 })]
    expect(planCompaction(files, { ...policy, nowMicros: t0 + 5n * hour + 60_000_000n })).toHaveLength(0)
    expect(planCompaction(files, { ...policy, nowMicros: t0 + 5n * hour + 180_000_000n })).toHaveLength(1)
  })

  it('merges the open hour once enough small files have gathered', () => {
    const files = Array.from({ length: 16 }, (_, i) => file(`f${i}`, { hourIndex: 5, minute: i }))
    expect(planCompaction(files, policy)).toHaveLength(1)
    expect(planCompaction(files.slice(1), policy)).toHaveLength(0)
  })

  it('splits a group so no output exceeds the target, oldest data first', () => {
    const files = Array.from({ length: 10 }, (_, i) => file(`f${i}`, { hourIndex: 1, minute: 50 - i * 5, sizeMiB: 40 }))
    const groups = planCompaction(files, policy)
    expect(groups.map((g) => g.files.length)).toEqual([3, 3, 3])
    for (const g of groups) expect(g.files.reduce((n, f) => n + f.sizeBytes, 0)).toBeLessThanOrEqual(128 * MiB)
    expect(groups[0]!.files.map((f) => f.path)).toEqual(['f9', 'f8', 'f7'])
  })
})

describe('snapshotsToExpire', () => {
  const now = Date.UTC(2026, 10, 22, 12)
  const snaps = Array.from({ length: 10 }, (_, i) => ({ id: BigInt(i + 1), timestampMs: now - (10 - i) * 3600_000 }))
  it('expires what is older than the cutoff beyond the newest kept, never the current', () => {
    expect(snapshotsToExpire(snaps, 10n, { maxAgeMs: 5 * 3600_000, keep: 2, nowMs: now })).toEqual([5n, 4n, 3n, 2n, 1n])
    expect(snapshotsToExpire(snaps, 10n, { maxAgeMs: 0, keep: 8, nowMs: now })).toEqual([2n, 1n])
    expect(snapshotsToExpire(snaps, 1n, { maxAgeMs: 0, keep: 1, nowMs: now })).not.toContain(1n)
  })
  it('keeps every snapshot from the floor on (those the rollup has not folded in)', () => {
    expect(snapshotsToExpire(snaps, 10n, { maxAgeMs: 0, keep: 2, nowMs: now, floorMs: snaps[3]!.timestampMs })).toEqual([3n, 2n, 1n])
    // A floor of 0 (the rollup has not reported yet) expires nothing.
    expect(snapshotsToExpire(snaps, 10n, { maxAgeMs: 0, keep: 1, nowMs: now, floorMs: 0 })).toEqual([])
  })
})
