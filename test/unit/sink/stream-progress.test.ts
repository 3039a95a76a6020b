import { describe, expect, it } from 'vitest'
import { knownPartitions, partitionProgress, progressCommits, streamViews, type StreamPosition } from '../../../lib/internal'
import { decodeProgress, progressSignals } from '../../../lib/internal'

const now = 1_800_000_000_000
const base: StreamPosition = {
  committed: new Map([[0, 100n], [1, 200n]]),
  next: new Map(),
  highWatermarks: new Map([[0, 100n], [1, 200n], [2, 0n]]),
  stagedOldest: new Map(),
  inFlightOldest: new Map(),
  lastReadMs: new Map(),
  batchScale: 1,
  inFlightScale: 1,
}

describe('stream progress', () => {
  it('reports a caught-up partition with no oldest record, at the current scale', () => {
    expect(partitionProgress(base, 0, now, 30_000, 4)).toEqual({ read: 100n, cadenceMs: 120_000, atMs: now })
    expect(knownPartitions(base)).toEqual([0, 1, 2])
  })

  it('takes the oldest record from the batch in flight, then the open batch, each with the scale it was staged under', () => {
    const s: StreamPosition = { ...base, next: new Map([[0, 180n]]), highWatermarks: new Map([[0, 190n]]), inFlightOldest: new Map([[0, now - 40_000]]), stagedOldest: new Map([[0, now - 5000]]), inFlightScale: 4, batchScale: 1 }
    expect(partitionProgress(s, 0, now, 30_000, 1)).toEqual({ read: 180n, oldestMs: now - 40_000, cadenceMs: 120_000, atMs: now })
    const open: StreamPosition = { ...s, inFlightOldest: new Map() }
    expect(partitionProgress(open, 0, now, 30_000, 1)).toEqual({ read: 180n, oldestMs: now - 5000, cadenceMs: 30_000, atMs: now })
    // Its own signals: lag in cadences of that batch, backlog of the records not read.
    const sig = progressSignals(streamViews(s, now, 30_000, 1), now, Number.POSITIVE_INFINITY)
    expect(sig.lagCadences).toBeCloseTo(40 / 120, 10)
    expect(sig.backlogRecords).toBe(10)
  })

  it('bounds the age of unread records by the last record read when no batch holds the partition', () => {
    const s: StreamPosition = { ...base, highWatermarks: new Map([[1, 260n]]), lastReadMs: new Map([[1, now - 7000]]) }
    expect(partitionProgress(s, 1, now, 30_000, 1)).toMatchObject({ read: 200n, oldestMs: now - 7000 })
  })
})

describe('stream progress after a restart', () => {
  it('counts a waiting record’s age from the sink’s start at most: downtime is not lateness', () => {
    const s: StreamPosition = { ...base, next: new Map([[0, 180n]]), highWatermarks: new Map([[0, 190n]]), stagedOldest: new Map([[0, now - 600_000]]) }
    expect(partitionProgress(s, 0, now, 30_000, 1, now - 20_000).oldestMs).toBe(now - 20_000)
    expect(partitionProgress(s, 0, now, 30_000, 1).oldestMs).toBe(now - 600_000)
  })
})

describe('published progress', () => {
  it('commits the table’s offset of each partition with its progress, and leaves out partitions the table holds nothing of', () => {
    const s = { ...base, topic: 'market.trades', next: new Map([[1, 230n]]), stagedOldest: new Map([[1, now - 12_000]]) }
    const commits = progressCommits(s, now, 30_000, 2, now - 5000)
    expect(commits.map((c) => [c.partition, c.offset])).toEqual([
      [0, '100'],
      [1, '200'],
    ])
    expect(commits.every((c) => c.topic === 'market.trades')).toBe(true)
    // The ingest's shedder reads back what the sink measured.
    expect(decodeProgress(commits[1]!.metadata)).toEqual(partitionProgress(s, 1, now, 30_000, 2, now - 5000))
    expect(decodeProgress(commits[1]!.metadata)).toMatchObject({ read: 230n, oldestMs: now - 5000 })
  })
})
