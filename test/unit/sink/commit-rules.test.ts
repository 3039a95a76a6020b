import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../../lib/internal'
import { batchLanded, batchSummary, defaultMaxUncommittedMs, staleBatch, type BatchOffsets } from '../../../lib/internal'
import { tableOffsets } from '../../../lib/internal'
import { tableAt } from './stream-fixtures'

const offsets = (...entries: Array<[number, bigint]>): Map<number, bigint> => new Map(entries)

describe('commit rules: validate (every attempt, and every rebase after a 409)', () => {
  const batch: BatchOffsets = { table: 'trades', topic: 'market.trades', startOffsets: offsets([0, 100n], [1, 200n]), batchOffsets: offsets([0, 150n]) }

  it('lets the batch commit while the table still holds the offsets it started from', () => {
    expect(staleBatch(batch, offsets([0, 100n], [1, 200n]), 1000)).toBeUndefined()
    // A partition the batch did not read may have moved (another topic's batch, a sibling partition).
    expect(staleBatch(batch, offsets([0, 100n], [1, 260n]), 1000)).toBeUndefined()
  })

  it('abandons the batch when another sink moved one of its partitions, saying where the table is now', () => {
    for (const held of [offsets([0, 150n], [1, 200n]), offsets([0, 120n]), offsets([1, 200n])]) {
      const err = staleBatch(batch, held, 1000)
      expect(err?.code).toBe(ErrorCode.Conflict)
      expect(err?.retryable).toBe(false)
      expect(err?.message).toContain(`partition 0 of market.trades is now at ${held.get(0) ?? 'nothing'} in the table, not 100`)
    }
    // A batch that started where the table held nothing of the partition.
    const fresh = staleBatch({ ...batch, startOffsets: offsets() }, offsets([0, 40n]), 1000)
    expect(fresh?.message).toContain('is now at 40 in the table, not nothing')
  })

  it('abandons a batch whose files waited longer than maintenance keeps uncommitted files', () => {
    const held = offsets([0, 100n], [1, 200n])
    expect(staleBatch(batch, held, defaultMaxUncommittedMs)).toBeUndefined()
    const late = staleBatch(batch, held, defaultMaxUncommittedMs + 1)
    expect(late?.code).toBe(ErrorCode.Conflict)
    expect(late?.retryable).toBe(false)
    expect(late?.message).toContain(`uploaded ${Math.round((defaultMaxUncommittedMs + 1) / 1000)} s ago`)
    expect(staleBatch(batch, held, 61_000, 60_000)).toBeDefined()
  })
})

describe('commit rules: landed (after an unknown outcome)', () => {
  it('counts the batch in when the table’s offsets end exactly where it ends', () => {
    const ends = offsets([0, 150n], [2, 30n])
    expect(batchLanded(offsets([0, 150n], [1, 7n], [2, 30n]), ends)).toBe(true)
    // Not yet there, or another batch on top: the commit is retried, or validate abandons it.
    expect(batchLanded(offsets([0, 100n], [2, 30n]), ends)).toBe(false)
    expect(batchLanded(offsets([0, 180n], [2, 30n]), ends)).toBe(false)
    expect(batchLanded(offsets([0, 150n]), ends)).toBe(false)
  })
})

describe('commit rules: the snapshot summary', () => {
  it('records the table’s offsets with the batch’s laid over them', () => {
    const base = tableAt('market.trades', offsets([0, 10n], [1, 20n])).metadata
    const summary = batchSummary(base, 'market.trades', offsets([1, 25n]), true)
    const after = tableAt('market.trades', offsets()).metadata
    const committed = { ...after, snapshots: [{ 'snapshot-id': 8n, 'sequence-number': 8n, 'timestamp-ms': 0, 'manifest-list': 'm8', summary: { operation: 'append' as const, ...summary } }], refs: { main: { 'snapshot-id': 8n, type: 'branch' as const } } }
    expect(tableOffsets(committed, 'market.trades')).toEqual(offsets([0, 10n], [1, 25n]))
  })

  it('records a deferred topic beside the hot one, carrying the hot topic’s offsets forward', () => {
    const base = tableAt('market.trades', offsets([0, 10n])).metadata
    const summary = batchSummary(base, 'market.trades.deferred', offsets([0, 3n]), false)
    expect(summary).toEqual({ 'k2.kafka.topic': 'market.trades', 'k2.kafka.offsets': '0:10', 'k2.kafka.offsets@market.trades.deferred': '0:3' })
  })
})
