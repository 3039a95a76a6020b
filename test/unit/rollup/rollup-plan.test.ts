import { describe, expect, it } from 'vitest'
import { planRollup, rollupExpiryFloorMs, rollupSourceKey, rollupSourceOf, rollupSummary, type Snapshot, type TableMetadata } from '../../../lib/internal'

const snap = (id: number, parent: number | undefined, operation: string, extra: Record<string, string> = {}): Snapshot =>
  ({ 'snapshot-id': BigInt(id), 'parent-snapshot-id': parent === undefined ? undefined : BigInt(parent), 'sequence-number': BigInt(id), 'timestamp-ms': 1000 * id, 'manifest-list': `m${id}`, summary: { operation, ...extra } }) as Snapshot

const table = (snapshots: Snapshot[], current = snapshots[snapshots.length - 1]): TableMetadata =>
  ({ location: 's3://w/market/trades', snapshots, 'current-snapshot-id': current?.['snapshot-id'], refs: current ? { main: { 'snapshot-id': current['snapshot-id'], type: 'branch' } } : {} }) as unknown as TableMetadata

const ids = (ss: readonly Snapshot[]): number[] => ss.map((s) => Number(s['snapshot-id']))

describe('planRollup', () => {
  const history = [snap(1, undefined, 'append'), snap(2, 1, 'append'), snap(3, 2, 'replace'), snap(4, 3, 'append'), snap(5, 4, 'replace')]

  it('folds every live file of the current snapshot into an empty rollup', () => {
    const plan = planRollup(table(history), undefined, { maxAppends: 10 })
    expect(plan.kind).toBe('all')
    expect(plan.kind === 'all' && plan.source['snapshot-id']).toBe(5n)
  })

  it('folds the appends after the one it holds, oldest first, skipping rewrites, ending at the newest', () => {
    const plan = planRollup(table(history), 1n, { maxAppends: 10 })
    expect(plan.kind).toBe('since')
    if (plan.kind !== 'since') return
    expect(ids(plan.appends)).toEqual([2, 4])
    expect(plan.source['snapshot-id']).toBe(5n)
  })

  it('is current when it holds the newest snapshot, or only rewrites came since', () => {
    expect(planRollup(table(history), 5n, { maxAppends: 10 }).kind).toBe('current')
    expect(planRollup(table(history), 4n, { maxAppends: 10 }).kind).toBe('current')
    expect(planRollup(table([]), undefined, { maxAppends: 10 }).kind).toBe('current')
  })

  it('catches up in steps of at most maxAppends', () => {
    const plan = planRollup(table(history), 1n, { maxAppends: 1 })
    expect(plan.kind === 'since' && ids(plan.appends)).toEqual([2])
    // The step ends at the rewrite after its last append, never past the next append.
    expect(plan.kind === 'since' && plan.source['snapshot-id']).toBe(3n)
    const next = planRollup(table(history), 3n, { maxAppends: 1 })
    expect(next.kind === 'since' && ids(next.appends)).toEqual([4])
  })

  it('walks past the snapshot it holds when that one was expired (its child names it as parent)', () => {
    const plan = planRollup(table(history.slice(2)), 2n, { maxAppends: 10 })
    expect(plan.kind === 'since' && ids(plan.appends)).toEqual([4])
  })

  it('says so when the history no longer reaches the snapshot it holds, or the source was rewritten', () => {
    expect(() => planRollup(table(history.slice(3)), 1n, { maxAppends: 10 })).toThrow(/not an ancestor.*expired/)
    const overwritten = [...history, snap(6, 5, 'overwrite')]
    expect(() => planRollup(table(overwritten), 5n, { maxAppends: 10 })).toThrow(/overwrite.*Rebuild the rollup/)
  })
})

describe('rollupSummary and rollupSourceOf', () => {
  it('records the source snapshot and the Kafka offsets the source held there', () => {
    const meta = table([
      snap(1, undefined, 'append', { 'k2.kafka.topic': 'trades', 'k2.kafka.offsets': '0:10,1:7', 'k2.kafka.offsets@trades.deferred': '0:3' }),
      snap(2, 1, 'replace', { 'k2.maintenance': 'compaction' }),
    ])
    const summary = rollupSummary(meta, meta.snapshots[1]!)
    expect(summary).toEqual({ [rollupSourceKey]: '2', 'k2.kafka.topic': 'trades', 'k2.kafka.offsets': '0:10,1:7', 'k2.kafka.offsets@trades.deferred': '0:3' })
    expect(rollupSourceOf({ ...snap(9, undefined, 'append'), summary: { operation: 'append', ...summary } } as Snapshot)).toBe(2n)
    expect(rollupSourceOf(undefined)).toBeUndefined()
    expect(() => rollupSourceOf({ ...snap(9, undefined, 'append'), summary: { operation: 'append', [rollupSourceKey]: 'x' } } as Snapshot)).toThrow(/malformed/)
  })
})

describe('rollupExpiryFloorMs', () => {
  it('keeps the snapshot the rollup holds and every later one, also while the rollup is current', () => {
    const meta = table([snap(1, undefined, 'append'), snap(2, 1, 'append'), snap(3, 2, 'append')])
    expect(rollupExpiryFloorMs(meta, 1n)).toBe(1000)
    // Current: the sink's next commits are children of 3 and must outlive expiry until folded.
    expect(rollupExpiryFloorMs(meta, 3n)).toBe(3000)
    expect(rollupExpiryFloorMs(meta, undefined)).toBeUndefined()
    // The held snapshot expired already: from its child on.
    expect(rollupExpiryFloorMs(table(meta.snapshots.slice(1)), 1n)).toBe(2000)
  })
})
