import { describe, expect, it } from 'vitest'
import { offsetsOfSnapshot, offsetsSummary, tableOffsets, type Snapshot, type TableMetadata } from '../../../lib'

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
})
