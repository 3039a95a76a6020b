import { describe, expect, it } from 'vitest'
import { offsetsOfSnapshot, offsetsSummary, partialTableOffsets, tableOffsets, type Snapshot, type TableMetadata } from '../../../lib/internal'

const snap = (id: bigint, parent: bigint | undefined, summary: Record<string, string>): Snapshot =>
  ({ 'snapshot-id': id, ...(parent === undefined ? {} : { 'parent-snapshot-id': parent }), 'sequence-number': id, 'timestamp-ms': Number(id), 'manifest-list': `m${id}`, summary: { operation: 'append', ...summary } }) as Snapshot

describe('snapshot offsets', () => {
  it('records the hot topic in the primary keys and other topics under their own key, carrying the rest forward', () => {
    const hot = offsetsSummary('trades', new Map([[1, 50n], [0, 10n]]))
    expect(hot).toEqual({ 'k2.kafka.topic': 'trades', 'k2.kafka.offsets': '0:10,1:50' })
    const deferred = offsetsSummary('trades.deferred', new Map([[0, 7n]]), { primary: false, carry: { ...hot, operation: 'append', 'added-records': '5' } })
    expect(deferred).toEqual({ 'k2.kafka.topic': 'trades', 'k2.kafka.offsets': '0:10,1:50', 'k2.kafka.offsets@trades.deferred': '0:7' })
    const next = offsetsSummary('trades', new Map([[0, 11n], [1, 50n]]), { carry: deferred })
    expect(next['k2.kafka.offsets@trades.deferred']).toBe('0:7')
    expect(next['k2.kafka.offsets']).toBe('0:11,1:50')
  })

  it('reads each topic from the newest snapshot that records it', () => {
    const s1 = snap(1n, undefined, offsetsSummary('trades', new Map([[0, 10n]])))
    const s2 = snap(2n, 1n, offsetsSummary('trades.deferred', new Map([[0, 3n]]), { primary: false, carry: s1.summary }))
    const s3 = snap(3n, 2n, offsetsSummary('trades', new Map([[0, 20n]]), { carry: s2.summary }))
    const meta = { snapshots: [s1, s2, s3], 'current-snapshot-id': 3n, refs: { main: { 'snapshot-id': 3n, type: 'branch' } } } as unknown as TableMetadata
    expect(tableOffsets(meta, 'trades')).toEqual(new Map([[0, 20n]]))
    expect(tableOffsets(meta, 'trades.deferred')).toEqual(new Map([[0, 3n]]))
    expect(offsetsOfSnapshot(s1, 'trades.deferred')).toBeUndefined()
    expect(tableOffsets(meta, 'quotes')).toEqual(new Map())
  })

  describe('over part of the history (a catalog answer with snapshots=refs)', () => {
    const s1 = snap(1n, undefined, offsetsSummary('trades', new Map([[0, 10n]])))
    // A foreign commit (Spark's rewrite, say) that carried no offsets forward.
    const s2 = snap(2n, 1n, {})
    const s3 = snap(3n, 2n, {})
    const current = (s: Snapshot): TableMetadata => ({ snapshots: [s], 'current-snapshot-id': s['snapshot-id'], refs: { main: { 'snapshot-id': s['snapshot-id'], type: 'branch' } } }) as unknown as TableMetadata

    it('reads the current snapshot when it records the topic, as tableOffsets does', () => {
      const s4 = snap(4n, 3n, offsetsSummary('trades', new Map([[0, 30n]])))
      expect(partialTableOffsets(current(s4), 'trades')).toEqual(new Map([[0, 30n]]))
    })

    it('continues from what the reader knew at the parent, and refuses to guess when it missed a commit', () => {
      const known = { snapshotId: 2n, offsets: new Map([[0, 10n]]) }
      expect(partialTableOffsets(current(s3), 'trades', known)).toEqual(new Map([[0, 10n]]))
      // Known at s1, but s2 came between: its summary is not in this answer.
      expect(partialTableOffsets(current(s3), 'trades', { snapshotId: 1n, offsets: new Map([[0, 10n]]) })).toBeUndefined()
      expect(partialTableOffsets(current(s3), 'trades')).toBeUndefined()
      // With the whole history the walk finds s1's offsets, as tableOffsets does.
      const all = { ...current(s3), snapshots: [s1, s2, s3] } as TableMetadata
      expect(partialTableOffsets(all, 'trades')).toEqual(tableOffsets(all, 'trades'))
    })

    it('is empty at the table\'s first snapshot and for a table with no snapshot', () => {
      expect(partialTableOffsets(current(snap(9n, undefined, {})), 'trades')).toEqual(new Map())
      expect(partialTableOffsets({ snapshots: [], refs: {} } as unknown as TableMetadata, 'trades')).toEqual(new Map())
    })
  })
})
