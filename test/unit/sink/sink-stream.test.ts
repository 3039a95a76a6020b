import { describe, expect, it } from 'vitest'
import { tradesTable } from '../../../lib/internal'
import type { SortOrder } from '../../../lib/internal'
import {
  beginFlush,
  clearStaged,
  endFlush,
  flushDue,
  lagFigures,
  noteConsumed,
  noteRead,
  recordCommit,
  repositionSeeks,
  resetToTable,
  resumeOffset,
  stageRecord,
  stageRows,
  widenOpenBatch,
  writerLayout,
  type BatchClock,
  type SinkStream,
} from '../../../lib/internal'
import type { Trade } from '../../../lib/internal'
import { tableAt, tradesStream } from './stream-fixtures'

const t0 = 1_800_000_000_000
const clockAt = (ms: number, scale = 1): BatchClock => ({ now: () => ms, scale: () => scale })

/** What the sink does with one record read from `partition` at `offset`: bookkeeping around staging its row. */
function read(s: SinkStream<Trade>, partition: number, offset: bigint, producedMs: number, clock: BatchClock, tier?: string): void {
  noteRead(s, partition, offset, producedMs)
  stageRecord(s, [String(offset)], producedMs, tier, clock)
  noteConsumed(s, partition, offset)
}

describe('sink stream: opening', () => {
  it('starts at the table’s offsets of its own topic, reading each partition after them', async () => {
    const { s, writers } = await tradesStream('trades', new Map([[0, 100n]]))
    expect(writers).toHaveLength(2)
    expect(s.committed).toEqual(new Map([[0, 100n]]))
    expect(resumeOffset(s, 0)).toBe(100n)
    // A partition the table holds nothing of is read from wherever the consumer starts.
    expect(resumeOffset(s, 1)).toBeUndefined()
    const other = await tradesStream('trades.deferred', new Map())
    expect(other.s.committed.size).toBe(0)
  })

  it('writes files in the table’s sort order, or the design’s when the table has none', () => {
    expect(writerLayout(tableAt('trades', new Map()), tradesTable).sortOrder).toEqual(tradesTable.sortOrder)
    const bySymbol: SortOrder = { 'order-id': 3, fields: [{ 'source-id': tradesTable.sortOrder.fields[0]!['source-id'], transform: 'identity', direction: 'asc', 'null-order': 'nulls-first' }] }
    const layout = writerLayout(tableAt('trades', new Map(), [bySymbol]), tradesTable)
    expect(layout.sortOrder).toEqual(bySymbol)
    expect(layout.schema).toBe(tradesTable.schema)
  })
})

describe('sink stream: a batch from staging to the table', () => {
  it('hands the batch to the commit and stages what comes next in the other writer', async () => {
    const { s, writers } = await tradesStream('trades', new Map([[0, 100n]]))
    for (let o = 100n; o < 103n; o++) read(s, 0, o, t0 + Number(o - 100n), clockAt(t0 + 5000))
    stageRows(s)
    expect(writers[0]!.rows).toHaveLength(3)

    const batch = beginFlush(s)!
    s.inFlight = Promise.resolve()
    expect(batch.writer).toBe(writers[0])
    expect(batch.startOffsets).toEqual(new Map([[0, 100n]]))
    expect(batch.batchOffsets).toEqual(new Map([[0, 103n]]))
    // The batch's oldest record is the commit's lag now, and no batch is open.
    expect(s.inFlightOldestMs).toBe(t0)
    expect(s.inFlightOldest).toEqual(new Map([[0, t0]]))
    expect(s.batchStartedMs).toBeUndefined()

    read(s, 0, 103n, t0 + 9000, clockAt(t0 + 9500))
    stageRows(s)
    expect(s.writer).toBe(writers[1])
    expect(writers[1]!.rows).toEqual([['103']])
    expect(s.batchStartedMs).toBe(t0 + 9500)

    recordCommit(s, s.loaded, batch.batchOffsets, 3, 1)
    endFlush(s)
    expect(s.committed).toEqual(new Map([[0, 103n]]))
    expect(s.report).toMatchObject({ records: 3, files: 1, commits: 1 })
    expect(s.inFlight).toBeUndefined()
    expect(s.inFlightOldestMs).toBeUndefined()

    // The next batch starts where the last one ended, in the writer that staged it.
    const next = beginFlush(s)!
    expect(next.startOffsets).toEqual(new Map([[0, 103n]]))
    expect(next.batchOffsets).toEqual(new Map([[0, 104n]]))
    expect(next.writer).toBe(writers[1])
  })

  it('has nothing to flush until it reads past the table, and keeps its writer', async () => {
    const { s, writers } = await tradesStream('trades', new Map([[0, 100n]]))
    expect(beginFlush(s)).toBeUndefined()
    expect(s.writer).toBe(writers[0])
  })

  it('is due on age once its batch is `maxAgeMs` old, or at once when it read only dead letters', async () => {
    const { s } = await tradesStream('trades', new Map([[0, 100n]]))
    expect(flushDue(s, t0, 30_000)).toBe(false)
    read(s, 0, 100n, t0, clockAt(t0))
    expect(flushDue(s, t0 + 29_999, 30_000)).toBe(false)
    expect(flushDue(s, t0 + 30_000, 30_000)).toBe(true)

    const dead = (await tradesStream('trades', new Map([[0, 100n]]))).s
    noteRead(dead, 0, 100n, t0)
    noteConsumed(dead, 0, 100n)
    expect(dead.batchStartedMs).toBeUndefined()
    expect(flushDue(dead, t0, 30_000)).toBe(true)
    expect(beginFlush(dead)?.batchOffsets).toEqual(new Map([[0, 101n]]))
  })

  it('counts a deferred batch’s records per tier, for the commit that backfills them', async () => {
    const { s } = await tradesStream('trades.deferred', new Map(), true)
    read(s, 0, 0n, t0, clockAt(t0), 'tail')
    read(s, 0, 1n, t0, clockAt(t0), 'tail')
    read(s, 1, 0n, t0, clockAt(t0), 'top')
    expect(beginFlush(s)?.tiers).toEqual(new Map([['tail', 2], ['top', 1]]))
    expect(s.stagedTiers.size).toBe(0)
  })

  it('keeps the widest batch scale its open batch saw, and hands it to the commit', async () => {
    const { s } = await tradesStream('trades', new Map())
    widenOpenBatch(s, 4)
    expect(s.batchScale).toBe(1)
    read(s, 0, 0n, t0, clockAt(t0, 2))
    expect(s.batchScale).toBe(2)
    widenOpenBatch(s, 4)
    widenOpenBatch(s, 1)
    expect(s.batchScale).toBe(4)
    beginFlush(s)
    expect(s.inFlightScale).toBe(4)
    expect(s.batchScale).toBe(1)
    endFlush(s)
    expect(s.inFlightScale).toBe(1)
  })
})

describe('sink stream: repositioning after a rebalance', () => {
  it('seeks every partition to the table’s offset, and one the table holds nothing of back to where this batch began it', () => {
    const seeks = repositionSeeks(
      new Map([
        [0, 90n],
        [1, 5n],
      ]),
      new Map([
        [0, 100n],
        [2, 7n],
      ]),
    )
    expect(seeks).toEqual([
      { partition: 1, offset: 5n },
      { partition: 0, offset: 100n },
      { partition: 2, offset: 7n },
    ])
  })

  it('drops what was staged and stands where the table is, with nothing to report of other partitions', async () => {
    const { s, writers } = await tradesStream('trades', new Map([[0, 100n]]))
    s.highWatermarks.set(0, 150n).set(1, 40n)
    read(s, 0, 100n, t0, clockAt(t0), undefined)
    stageRows(s)
    read(s, 0, 101n, t0, clockAt(t0), undefined)
    await clearStaged(s)
    expect(writers[0]!.rows).toHaveLength(0)
    expect(s.rows).toHaveLength(0)
    resetToTable(s, tableAt('trades', new Map([[0, 120n]])), new Map([[0, 120n]]))
    expect(s.committed).toEqual(new Map([[0, 120n]]))
    expect(resumeOffset(s, 0)).toBe(120n)
    expect(s.highWatermarks.size).toBe(0)
    expect(s.batchStartedMs).toBeUndefined()
    expect(beginFlush(s)).toBeUndefined()
    expect(lagFigures(s, t0 + 5000)).toEqual({ records: 0, seconds: 0 })
  })
})

describe('sink stream: lag figures', () => {
  it('counts the records up to the high-water marks the table does not hold, and the age of the oldest waiting record', async () => {
    const { s } = await tradesStream('trades', new Map([[0, 100n]]))
    s.highWatermarks.set(0, 150n).set(1, 20n)
    expect(lagFigures(s, t0)).toEqual({ records: 70, seconds: 0 })
    read(s, 0, 100n, t0 - 8000, clockAt(t0))
    expect(lagFigures(s, t0).seconds).toBe(8)
    // The batch in flight is older than what is staged after it: its age is the lag.
    beginFlush(s)
    read(s, 0, 101n, t0 - 1000, clockAt(t0))
    expect(lagFigures(s, t0 + 2000).seconds).toBe(10)
    // A record stamped in the future (clock skew) is no lag.
    endFlush(s)
    s.oldestStagedMs = t0 + 60_000
    expect(lagFigures(s, t0).seconds).toBe(0)
  })
})
